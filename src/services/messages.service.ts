import type { JsonObject } from '../core/json';
import type { MessageFields, NoteFields } from '../core/records.schema';
import { UserError } from '../errors';
import { MessageModel } from '../models/message.model';
import { CONVERSATION, MESSAGE, loadRecord, updatePlanOn, type CreatePlan, type UpdatePlan } from './records';

/** A new message and the conversation counters it moves; both are applied from one plan. */
export interface MessagePlan {
  message: CreatePlan;
  conversation: UpdatePlan;
}

async function requireConversation(org: string, id: string): Promise<JsonObject> {
  const conversation = await loadRecord(CONVERSATION, org, id);
  if (!conversation) {
    throw new UserError(400, 'invalid_reference', `conversation ${JSON.stringify(id)} was not found`, [
      { path: 'conversation', message: 'no such conversation' },
    ]);
  }
  return conversation;
}

export async function planMessageCreate(
  org: string,
  fields: MessageFields,
  id: string,
  now: Date,
): Promise<MessagePlan> {
  const conversation = await requireConversation(org, fields.conversation);
  const at = now.toISOString();
  const first = conversation.messageCount === 0;
  const directionType = fields.directionType ?? (first ? `initial-${fields.direction}` : fields.direction);
  const message: JsonObject = {
    id,
    conversation: fields.conversation,
    customer: conversation.customer ?? null,
    channel: fields.channel,
    direction: fields.direction,
    directionType,
    subject: fields.subject ?? null,
    body: fields.body,
    createdAt: at,
    updatedAt: at,
  };
  const edit = {
    type: 'conversation.message-added' as const,
    direction: fields.direction,
    channel: fields.channel,
    at,
  };
  return {
    message: { type: 'create', record: message },
    conversation: updatePlanOn(conversation, edit, now),
  };
}

export async function planNoteCreate(org: string, fields: NoteFields, id: string, now: Date): Promise<CreatePlan> {
  const conversation = await requireConversation(org, fields.conversation);
  const at = now.toISOString();
  return {
    type: 'create',
    record: {
      id,
      conversation: fields.conversation,
      customer: conversation.customer ?? null,
      body: fields.body,
      userMentions: fields.userMentions ?? [],
      createdAt: at,
      updatedAt: at,
    },
  };
}

export function getMessage(org: string, id: string): Promise<JsonObject | undefined> {
  return loadRecord(MESSAGE, org, id);
}

export async function listMessages(org: string, conversation: string, limit = 100): Promise<JsonObject[]> {
  const docs: unknown[] = await MessageModel.find({ org, conversation })
    .sort({ createdAt: 1, _id: 1 })
    .limit(limit)
    .lean();
  return docs.map((d) => MESSAGE.toJson(d));
}

/** The latest message of a conversation, optionally of one direction. */
export async function findLastMessage(
  org: string,
  conversation: string,
  direction?: 'in' | 'out',
): Promise<JsonObject | undefined> {
  const filter = direction ? { org, conversation, direction } : { org, conversation };
  const doc: unknown = await MessageModel.findOne(filter).sort({ createdAt: -1, _id: -1 }).lean();
  return doc ? MESSAGE.toJson(doc) : undefined;
}
