/**
 * Event and action names are accepted with or without the `kustomer.` prefix, so workflows exported
 * from that product import unchanged. Definitions keep the spelling the user gave; every lookup goes
 * through these functions.
 */
const PREFIX = 'kustomer.';

export function canonicalName(name: string): string {
  return name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

export const EVENT_NAMES = {
  customerCreate: 'customer.create',
  customerUpdate: 'customer.update',
  conversationCreate: 'conversation.create',
  conversationUpdate: 'conversation.update',
  messageCreate: 'message.create',
  noteCreate: 'note.create',
} as const;
export type RecordEventName = (typeof EVENT_NAMES)[keyof typeof EVENT_NAMES];
