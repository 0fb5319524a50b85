/**
 * `Retry-After` (RFC 9110: whole seconds, or an HTTP date) in milliseconds from `now`; undefined when absent or
 * unreadable, 0 for a date already past. Callers cap it (REST steps at 10 minutes, webhook deliveries at 24 h).
 */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  // An HTTP date names its day and month ("Wed, 02 Dec 2026 09:00:30 GMT"); Date.parse would take "-5" as a year.
  if (!/[a-z]/i.test(header)) return undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
