import type { JsonObject } from '../core/json';
import type { MessageFields, NoteFields } from '../core/records.schema';
import { UserError } from '../errors';
import { derivedId } from '../models/ids';
import { MessageModel } from '../models/message.model';
import type { EventPublisher, WriteContext } from './events.types';
import {
  applyCreate,
  applyUpdate,
  CONVERSATION,
  loadRecord,
  MESSAGE,
  planAndApply,
  storedCreatePlan,
  storedUpdatePlan,
  updatePlanOn,
  type ConversationEdit,
  type ConversationJson,
  type CreatePlan,
  type MessageJson,
  type SavePlan,
  type StoredPlan,
  type UpdatePlan,
  type Writer,
} from './records';

/** A new message and the conversation counters it moves; both are applied from one plan. */
interface MessagePlan {
  message: CreatePlan<'message'>;
  conversation: UpdatePlan<'conversation'>;
}

/** A message to create; without a channel, it goes out on the conversation's default one (see defaultChannel). */
export type NewMessage = Omit<MessageFields, 'channel'> & { channel?: string | undefined };

async function requireConversation(org: string, id: string): Promise<ConversationJson> {
  const conversation = await loadRecord(CONVERSATION, org, id);
  if (!conversation) {
    throw new UserError(400, 'invalid_reference', `conversation ${JSON.stringify(id)} was not found`, [
      { path: 'conversation', message: 'no such conversation' },
    ]);
  }
  return conversation;
}

/** An automated reply goes out on the channel the customer last wrote on, else the conversation's first. */
async function defaultChannel(org: string, conversation: string): Promise<string> {
  const lastIn = await findLastMessage(org, conversation, 'in');
  if (lastIn) return lastIn.channel;
  const record = await loadRecord(CONVERSATION, org, conversation);
  return record?.channels[0] ?? 'email';
}

async function planMessageCreate(org: string, fields: NewMessage, id: string, now: Date): Promise<MessagePlan> {
  const channel = fields.channel ?? (await defaultChannel(org, fields.conversation));
  const conversation = await requireConversation(org, fields.conversation);
  const at = now.toISOString();
  const first = conversation.messageCount === 0;
  const message: MessageJson = {
    id,
    conversation: fields.conversation,
    customer: conversation.customer,
    channel,
    direction: fields.direction,
    directionType: fields.directionType ?? (first ? `initial-${fields.direction}` : fields.direction),
    subject: fields.subject ?? null,
    body: fields.body,
    createdAt: at,
    updatedAt: at,
  };
  const edit: ConversationEdit = { type: 'conversation.message-added', direction: fields.direction, channel, at };
  return {
    message: { type: 'create', kind: 'message', record: message },
    conversation: updatePlanOn('conversation', conversation, edit, now),
  };
}

/**
 * A message is created first (`message.create`), then its conversation's counters move
 * (`conversation.update`, as the product fires on every new message). The second event's id is
 * derived from the first, so both stay stable across retries.
 */
async function applyMessagePlan(
  plan: MessagePlan,
  write: WriteContext,
  events: EventPublisher,
  createdByRun: string | undefined,
  save: SavePlan<MessagePlan>,
): Promise<JsonObject> {
  const message = await applyCreate(plan.message, write, events, createdByRun ? { createdByRun } : {});
  await applyUpdate(
    plan.conversation,
    { ...write, eventId: derivedId(write.eventId, 'conversation.update') },
    events,
    (conversation) => save({ ...plan, conversation }),
  );
  return message;
}

/**
 * Creates message `id` and moves its conversation's counters: the API's write and the
 * `message.create` step's (see Writer). `createdByRun`: the run that writes it, when a run does.
 */
export function createMessage(
  fields: NewMessage,
  id: string,
  writer: Writer,
  createdByRun?: string,
): Promise<JsonObject> {
  return planAndApply(
    writer,
    () => planMessageCreate(writer.org, fields, id, new Date()),
    (plan, save) => applyMessagePlan(plan, writer.context(), writer.events, createdByRun, save),
    (stored: { message: StoredPlan<CreatePlan<'message'>>; conversation: StoredPlan<UpdatePlan<'conversation'>> }) => ({
      message: storedCreatePlan(stored.message, 'message'),
      conversation: storedUpdatePlan(stored.conversation, 'conversation'),
    }),
  );
}

async function planNoteCreate(org: string, fields: NoteFields, id: string, now: Date): Promise<CreatePlan<'note'>> {
  const conversation = await requireConversation(org, fields.conversation);
  const at = now.toISOString();
  return {
    type: 'create',
    kind: 'note',
    record: {
      id,
      conversation: fields.conversation,
      customer: conversation.customer,
      body: fields.body,
      userMentions: fields.userMentions ?? [],
      createdAt: at,
      updatedAt: at,
    },
  };
}

/** Creates note `id` on a conversation: the `note.create` step's write (see Writer). */
export function createNote(fields: NoteFields, id: string, writer: Writer): Promise<JsonObject> {
  return planAndApply(
    writer,
    () => planNoteCreate(writer.org, fields, id, new Date()),
    (plan) => applyCreate(plan, writer.context(), writer.events),
    (stored: StoredPlan<CreatePlan<'note'>>) => storedCreatePlan(stored, 'note'),
  );
}

export function getMessage(org: string, id: string): Promise<MessageJson | undefined> {
  return loadRecord(MESSAGE, org, id);
}

export async function listMessages(org: string, conversation: string, limit = 100): Promise<MessageJson[]> {
  const docs = await MessageModel.find({ org, conversation }).sort({ createdAt: 1, _id: 1 }).limit(limit).lean();
  return docs.map((d) => MESSAGE.toJson(d));
}

/** The latest message of a conversation, optionally of one direction. */
export async function findLastMessage(
  org: string,
  conversation: string,
  direction?: 'in' | 'out',
): Promise<MessageJson | undefined> {
  const filter = direction ? { org, conversation, direction } : { org, conversation };
  const doc = await MessageModel.findOne(filter).sort({ createdAt: -1, _id: -1 }).lean();
  return doc ? MESSAGE.toJson(doc) : undefined;
}
