import type { JsonObject } from '../core/json';
import type { ConversationPatch, CustomerFields } from '../core/records.schema';

/**
 * A change to a record, as data. Plans store edits, not only their results, so that a write that
 * lost a race (the record changed between planning and applying) can be planned again from the
 * record as it is now, and a stored plan stays meaningful across worker restarts.
 */
export type RecordEdit =
  | { type: 'customer.patch'; patch: Partial<CustomerFields> }
  | { type: 'conversation.patch'; patch: ConversationPatch }
  | { type: 'conversation.append-tags'; tags: string[] }
  | { type: 'conversation.remove-tags'; tags: string[] }
  | { type: 'conversation.assign-user'; user: string }
  | { type: 'conversation.message-added'; direction: 'in' | 'out'; channel: string; at: string };

const mergeCustom = (before: JsonObject, custom: JsonObject): JsonObject => ({
  ...(before.custom as JsonObject),
  ...custom,
});

/** The record after `edit`; `now` becomes its `updatedAt`. */
export function applyEdit(before: JsonObject, edit: RecordEdit, now: string): JsonObject {
  const after: JsonObject = { ...before, updatedAt: now };
  switch (edit.type) {
    case 'customer.patch':
    case 'conversation.patch': {
      // Custom attributes merge key by key (as the product does); other given fields replace.
      for (const [key, value] of Object.entries(edit.patch)) {
        if (value === undefined) continue;
        after[key] = key === 'custom' ? mergeCustom(before, value as JsonObject) : (value as JsonObject);
      }
      // Leaving the snoozed status clears `snoozedUntil`, so a done conversation never carries a
      // stale wake-up time.
      if (edit.type === 'conversation.patch') {
        const { status, snoozedUntil } = edit.patch;
        if (status !== undefined && status !== 'snoozed' && snoozedUntil === undefined) after.snoozedUntil = null;
        if (Array.isArray(after.tags)) after.tags = [...new Set(after.tags)];
      }
      return after;
    }
    case 'conversation.append-tags':
      return { ...after, tags: [...new Set([...(before.tags as string[]), ...edit.tags])] };
    case 'conversation.remove-tags':
      return { ...after, tags: (before.tags as string[]).filter((t) => !edit.tags.includes(t)) };
    case 'conversation.assign-user':
      // Assigning makes the user the conversation's assignee, replacing earlier assignees.
      return { ...after, assignedUsers: [edit.user] };
    case 'conversation.message-added': {
      const channels = before.channels as string[];
      return {
        ...after,
        messageCount: (before.messageCount as number) + 1,
        lastMessageAt: edit.at,
        [edit.direction === 'in' ? 'lastMessageInAt' : 'lastMessageOutAt']: edit.at,
        channels: channels.includes(edit.channel) ? channels : [...channels, edit.channel],
      };
    }
  }
}
