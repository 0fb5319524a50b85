import { canonicalName } from './names';

/**
 * The name of every action a step can name (canonical: no `kustomer.` prefix). Kept apart from the
 * params schemas (actions.catalog.ts, which type-checks that both list the same actions) because the
 * interpreter needs only the names: every run evaluates its workflow bundle's modules afresh, and zod
 * schemas are not free to build.
 */
export const ACTION_NAMES = [
  'customer.find',
  'customer.find-by-email',
  'customer.find-by-external-id',
  'customer.create',
  'customer.update',
  'conversation.find-by-id',
  'conversation.create',
  'conversation.update',
  'conversation.append-tags',
  'conversation.remove-tags',
  'conversation.assign-user',
  'message.create',
  'message.find-by-id',
  'message.find-last',
  'note.create',
  'regex-match.generic',
  'app.scheduler.schedule-workflow',
  'rest-api.json',
  'rest-api.generic',
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(ACTION_NAMES);

/**
 * Actions that call other servers: they run as regular activities (a slow partner must not hold a
 * workflow task, and their retries wait on the server, not in the worker), not local ones like the CRM
 * actions.
 */
export const NETWORK_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>(['rest-api.json', 'rest-api.generic']);

/** The canonical action for a step's `action` (prefix optional), or undefined when unknown. */
export function lookupAction(name: string): ActionName | undefined {
  const canonical = canonicalName(name);
  return NAMES.has(canonical) ? (canonical as ActionName) : undefined;
}
