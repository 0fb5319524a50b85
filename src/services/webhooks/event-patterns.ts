import { z } from 'zod';
import { canonicalName, EVENT_NAME_PATTERN, MAX_NAME_LENGTH } from '../../core/names';

/**
 * What a subscription's `events` may hold: an event name (`conversation.update`, `kustomer.message.create`,
 * `hooks.web.<id>.receive`, a custom `acme.order-shipped`), `<prefix>.*` for every event whose name starts
 * with `<prefix>.` (`conversation.*`, `hooks.*`), or `*` for every event. A wildcard stands only for whole
 * trailing segments: `conv*` and `*.update` are refused. Names are stored canonical (no `kustomer.` prefix).
 */
export const EventPatternSchema = z
  .string()
  .trim()
  .min(1, { abort: true })
  .max(MAX_NAME_LENGTH, { abort: true })
  .refine((pattern) => pattern === '*' || EVENT_NAME_PATTERN.test(pattern.replace(/\.\*$/, '')), {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not an event name or a "<prefix>.*" pattern (letters, digits and "." "_" "-" ":"; "*" only as a whole last segment)`,
  })
  .transform(canonicalName);

/** Whether an event name is one of the patterns (see EventPatternSchema). */
export function matchesEvent(patterns: readonly string[], eventName: string): boolean {
  const name = canonicalName(eventName);
  return patterns.some(
    (pattern) =>
      pattern === '*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
  );
}
