/**
 * Event and action names are accepted with or without the `kustomer.` prefix, so workflows exported
 * from that product import unchanged. Definitions keep the spelling the user gave; every lookup goes
 * through these functions.
 */
const PREFIX = 'kustomer.';

export function canonicalName(name: string): string {
  return name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

/** Event names: `kustomer.conversation.update`, `hooks.form.63d1.receive`, `acme.order-shipped`. */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
export const MAX_NAME_LENGTH = 200;

/** The record kinds whose events only real writes publish (`customer.create`, `kustomer.note.update`, ...). */
const RECORD_EVENT_PREFIXES = ['customer.', 'conversation.', 'message.', 'note.'];

/** Whether `name` is reserved for the events of record writes, so no client can publish it. */
export function isRecordEventName(name: string): boolean {
  const canonical = canonicalName(name);
  return RECORD_EVENT_PREFIXES.some((prefix) => canonical.startsWith(prefix));
}

/** The event name a callable definition runs on (its trigger's, when it names none): `workflow.<id>.call`. */
export function callableEventName(definitionId: string): string {
  return `workflow.${definitionId}.call`;
}

/** The kinds of inbound hooks (`POST /v1/hooks`), each with its receiving route. */
export const HOOK_TYPES = ['web', 'form', 'email'] as const;
export type HookType = (typeof HOOK_TYPES)[number];

/** The event a hook publishes, `hooks.<type>.<id>.receive`: what a trigger `kustomer.hooks.form.<id>.receive` listens to. */
export function hookEventName(type: HookType, hookId: string): string {
  return `hooks.${type}.${hookId}.receive`;
}

/** Whether `name` is reserved for hooks (`hooks.*`, with or without `kustomer.`): only a hook publishes it. */
export function isHookEventName(name: string): boolean {
  return canonicalName(name).startsWith('hooks.');
}
