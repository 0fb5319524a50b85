/**
 * Durations of waits (delays, event timeouts, debounce delays, scheduled runs): an ISO-8601 duration
 * (`PT15M`, `P2D`, `P1DT12H`, `PT0.5S`) or a number of seconds (as exports write `runAt.value`). Years and
 * months are refused: their length depends on the calendar, and a wait must have one length.
 */
const ISO_DURATION = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

/** The longest wait we accept: a year (Temporal timers can be longer; a longer wait is a schedule). */
export const MAX_WAIT_MS = 366 * 24 * 3600 * 1000;

/** The duration in milliseconds, or a message saying why the value is not a duration. */
export function parseDuration(value: unknown): { ms: number } | { error: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { error: 'a duration in seconds must be a number >= 0' };
    return bounded(Math.round(value * 1000));
  }
  if (typeof value !== 'string') return { error: 'a duration is an ISO-8601 duration ("PT15M", "P2D") or seconds' };
  const m = ISO_DURATION.exec(value.trim().toUpperCase());
  if (!m)
    return {
      error: `${JSON.stringify(value)} is not an ISO-8601 duration of weeks, days, hours, minutes and seconds ("PT15M", "P2D")`,
    };
  const [, w, d, h, min, s] = m;
  const ms =
    ((Number(w ?? 0) * 7 + Number(d ?? 0)) * 24 * 3600 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60) * 1000 +
    Math.round(Number(s ?? 0) * 1000);
  return bounded(ms);
}

function bounded(ms: number): { ms: number } | { error: string } {
  return ms > MAX_WAIT_MS ? { error: 'a wait can last a year at most' } : { ms };
}

/** The duration in milliseconds; throws on a value that is not one. */
export function durationMs(value: unknown): number {
  const parsed = parseDuration(value);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.ms;
}
