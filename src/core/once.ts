/**
 * A value made on first use, then kept. The interpreter's workflow bundle evaluates its modules afresh for
 * every run (the SDK's per-workflow module cache), so a library that most runs never call (Handlebars, dayjs,
 * libphonenumber) is loaded through this instead of a top-level import: measured on 2 cores, evaluating
 * them for every run halved the runs per second a worker could start.
 */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
