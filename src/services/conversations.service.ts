import type { JsonObject } from '../core/json';
import type { ConversationFields, ConversationPatch } from '../core/records.schema';
import { NotFoundError, UserError } from '../errors';
import { CONVERSATION, CUSTOMER } from './record-kinds';
import { loadRecord, type CreatePlan, type UpdatePlan } from './record-store';

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

/** A change to a conversation, expressed on its JSON form. */
export type ConversationEdit = (before: JsonObject) => JsonObject;

export async function planConversationEdit(
  org: string,
  id: string,
  edit: ConversationEdit,
  now: Date,
): Promise<UpdatePlan> {
  const before = await loadRecord(CONVERSATION, org, id);
  if (!before) throw new NotFoundError('conversation', id);
  return { type: 'update', id, before, after: { ...edit(before), updatedAt: now.toISOString() } };
}

/**
 * Field updates. Custom attributes merge key by key. Leaving the snoozed status (to open or done)
 * clears `snoozedUntil`, so a done conversation never carries a stale wake-up time.
 */
export function patchEdit(patch: ConversationPatch): ConversationEdit {
  return (before) => {
    const after: JsonObject = { ...before };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      after[key] =
        key === 'custom' ? { ...(before.custom as JsonObject), ...(value as JsonObject) } : (value as JsonObject);
    }
    if (patch.status !== undefined && patch.status !== 'snoozed' && patch.snoozedUntil === undefined) {
      after.snoozedUntil = null;
    }
    if (Array.isArray(after.tags)) after.tags = [...new Set(after.tags)];
    return after;
  };
}

export const appendTags =
  (tags: string[]): ConversationEdit =>
  (before) => ({ ...before, tags: [...new Set([...(before.tags as string[]), ...tags])] });

export const removeTags =
  (tags: string[]): ConversationEdit =>
  (before) => ({ ...before, tags: (before.tags as string[]).filter((t) => !tags.includes(t)) });

/** Assigning makes the user the conversation's assignee (replacing earlier assignees). */
export const assignUser =
  (user: string): ConversationEdit =>
  (before) => ({ ...before, assignedUsers: [user] });

export function getConversation(org: string, id: string): Promise<JsonObject | undefined> {
  return loadRecord(CONVERSATION, org, id);
}
