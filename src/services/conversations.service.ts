import type { JsonObject } from '../core/json';
import type { ConversationFields } from '../core/records.schema';
import { UserError } from '../errors';
import {
  CONVERSATION,
  CUSTOMER,
  loadRecord,
  planUpdate,
  type CreatePlan,
  type RecordEdit,
  type UpdatePlan,
} from './records';

export async function planConversationCreate(
  org: string,
  fields: ConversationFields,
  id: string,
  now: Date,
): Promise<CreatePlan> {
  if (!(await loadRecord(CUSTOMER, org, fields.customer))) {
    throw new UserError(400, 'invalid_reference', `customer ${JSON.stringify(fields.customer)} was not found`, [
      { path: 'customer', message: 'no such customer' },
    ]);
  }
  const at = now.toISOString();
  return {
    type: 'create',
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

/** Plans a change (as data, see RecordEdit in records.ts) on the conversation as it is now. */
export function planConversationEdit(org: string, id: string, edit: RecordEdit, now: Date): Promise<UpdatePlan> {
  return planUpdate(CONVERSATION, org, id, edit, now);
}

export function getConversation(org: string, id: string): Promise<JsonObject | undefined> {
  return loadRecord(CONVERSATION, org, id);
}
