import type { JsonObject } from '../core/json';
import type { ConversationFields } from '../core/records.schema';
import { UserError } from '../errors';
import {
  applyCreate,
  applyUpdate,
  CONVERSATION,
  CUSTOMER,
  loadRecord,
  planAndApply,
  planUpdate,
  storedCreatePlan,
  storedUpdatePlan,
  type ConversationEdit,
  type ConversationJson,
  type CreatePlan,
  type StoredPlan,
  type UpdatePlan,
  type Writer,
} from './records';

async function planConversationCreate(
  org: string,
  fields: ConversationFields,
  id: string,
  now: Date,
): Promise<CreatePlan<'conversation'>> {
  if (!(await loadRecord(CUSTOMER, org, fields.customer))) {
    throw new UserError(400, 'invalid_reference', `customer ${JSON.stringify(fields.customer)} was not found`, [
      { path: 'customer', message: 'no such customer' },
    ]);
  }
  const at = now.toISOString();
  return {
    type: 'create',
    kind: 'conversation',
    record: {
      id,
      customer: fields.customer,
      name: fields.name ?? null,
      channels: fields.channels ?? [],
      status: fields.status ?? 'open',
      priority: fields.priority ?? 1,
      tags: [...new Set(fields.tags ?? [])],
      assignedUsers: [...new Set(fields.assignedUsers ?? [])],
      snoozedUntil: fields.snoozedUntil ?? null,
      custom: fields.custom ?? {},
      messageCount: 0,
      lastMessageAt: null,
      lastMessageInAt: null,
      lastMessageOutAt: null,
      createdAt: at,
      updatedAt: at,
    },
  };
}

/** Creates conversation `id`: the API's write and the `conversation.create` step's (see Writer). */
export function createConversation(fields: ConversationFields, id: string, writer: Writer): Promise<JsonObject> {
  return planAndApply(
    writer,
    () => planConversationCreate(writer.org, fields, id, new Date()),
    (plan) => applyCreate(plan, writer.context(), writer.events),
    (stored: StoredPlan<CreatePlan<'conversation'>>) => storedCreatePlan(stored, 'conversation'),
  );
}

/** Makes a change (as data, see ConversationEdit in records/edits.ts) on the conversation as it is now. */
export function editConversation(id: string, edit: ConversationEdit, writer: Writer): Promise<JsonObject> {
  return planAndApply(
    writer,
    () => planUpdate(CONVERSATION, writer.org, id, edit, new Date()),
    (plan, save) => applyUpdate(plan, writer.context(), writer.events, save),
    (stored: StoredPlan<UpdatePlan<'conversation'>>) => storedUpdatePlan(stored, 'conversation'),
  );
}

export function getConversation(org: string, id: string): Promise<ConversationJson | undefined> {
  return loadRecord(CONVERSATION, org, id);
}
