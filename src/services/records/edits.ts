/**
 * A change to a record, as data. Plans store edits, not only their results, so that a write that
 * lost a race (the record changed between planning and applying) can be planned again from the
 * record as it is now, and a stored plan stays meaningful across worker restarts.
 */
import { jsonEqual, type JsonObject, type JsonValue } from '../../core/json';
import type { ConversationPatch, CustomerFields } from '../../core/records.schema';
import type { ConversationJson, CustomerJson, RecordJson } from './kinds';

export type CustomerEdit = { type: 'customer.patch'; patch: Partial<CustomerFields> };
export type ConversationEdit =
  | { type: 'conversation.patch'; patch: ConversationPatch }
  | { type: 'conversation.append-tags'; tags: string[] }
  | { type: 'conversation.remove-tags'; tags: string[] }
  | { type: 'conversation.assign-user'; user: string }
  | { type: 'conversation.message-added'; direction: 'in' | 'out'; channel: string; at: string };

interface Edits {
  customer: CustomerEdit;
  conversation: ConversationEdit;
}
/** The kinds whose records change after they are created. */
export type EditableKindName = keyof Edits;
export type RecordEdit<K extends EditableKindName = EditableKindName> = Edits[K];

/** A given field replaces the record's; an absent one keeps it. */
const given = <T>(value: T | undefined, before: T): T => (value === undefined ? before : value);
/** Custom attributes merge key by key (as the product does). */
const mergeCustom = (before: JsonObject, custom: JsonObject | undefined): JsonObject =>
  custom === undefined ? before : { ...before, ...custom };

function editCustomer(before: CustomerJson, edit: CustomerEdit, now: string): CustomerJson {
  const { patch } = edit;
  return {
    ...before,
    updatedAt: now,
    name: given(patch.name, before.name),
    emails: given(patch.emails, before.emails),
    phones: given(patch.phones, before.phones),
    externalId: given(patch.externalId, before.externalId),
    custom: mergeCustom(before.custom, patch.custom),
  };
}

function editConversation(before: ConversationJson, edit: ConversationEdit, now: string): ConversationJson {
  const after: ConversationJson = { ...before, updatedAt: now };
  switch (edit.type) {
    case 'conversation.patch': {
      const { patch } = edit;
      // Leaving the snoozed status clears `snoozedUntil`, so a done conversation never carries a
      // stale wake-up time.
      const leavesSnoozed =
        patch.status !== undefined && patch.status !== 'snoozed' && patch.snoozedUntil === undefined;
      return {
        ...after,
        name: given(patch.name, before.name),
        channels: given(patch.channels, before.channels),
        status: given(patch.status, before.status),
        priority: given(patch.priority, before.priority),
        tags: [...new Set(given(patch.tags, before.tags))],
        assignedUsers: given(patch.assignedUsers, before.assignedUsers),
        snoozedUntil: leavesSnoozed ? null : given(patch.snoozedUntil, before.snoozedUntil),
        custom: mergeCustom(before.custom, patch.custom),
      };
    }
    case 'conversation.append-tags':
      return { ...after, tags: [...new Set([...before.tags, ...edit.tags])] };
    case 'conversation.remove-tags':
      return { ...after, tags: before.tags.filter((t) => !edit.tags.includes(t)) };
    case 'conversation.assign-user':
      // Assigning makes the user the conversation's assignee, replacing earlier assignees.
      return { ...after, assignedUsers: [edit.user] };
    case 'conversation.message-added':
      return {
        ...after,
        messageCount: before.messageCount + 1,
        lastMessageAt: edit.at,
        [edit.direction === 'in' ? 'lastMessageInAt' : 'lastMessageOutAt']: edit.at,
        channels: before.channels.includes(edit.channel) ? before.channels : [...before.channels, edit.channel],
      };
  }
}

const EDITORS: {
  [K in EditableKindName]: (before: RecordJson<K>, edit: RecordEdit<K>, now: string) => RecordJson<K>;
} = { customer: editCustomer, conversation: editConversation };

/** The record after `edit`; `now` becomes its `updatedAt`. */
export function applyEdit<K extends EditableKindName>(
  kind: K,
  before: RecordJson<K>,
  edit: RecordEdit<K>,
  now: string,
): RecordJson<K> {
  return EDITORS[kind](before, edit, now);
}

export type Change = { op: 'add' | 'replace' | 'remove'; before?: JsonValue; after?: JsonValue };

const UNTRACKED = new Set(['id', 'createdAt', 'updatedAt']);

/** `changes.attributes.<field> = {op, before, after}` for every attribute that differs. */
export function diffAttributes(before: JsonObject, after: JsonObject): Record<string, Change> {
  const changes: Record<string, Change> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (UNTRACKED.has(key)) continue;
    const b = before[key] ?? null;
    const a = after[key] ?? null;
    if (jsonEqual(b, a)) continue;
    if (b === null) changes[key] = { op: 'add', after: a };
    else if (a === null) changes[key] = { op: 'remove', before: b };
    else changes[key] = { op: 'replace', before: b, after: a };
  }
  return changes;
}
