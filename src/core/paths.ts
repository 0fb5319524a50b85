import type { JsonValue } from './json';

/**
 * Dot paths such as `steps.a.list.0.x` address data inside step outputs. Lookups walk own
 * properties only: user data is untrusted, and a path like `steps.1.constructor` must never reach
 * `Object.prototype` (or anything else that is not JSON the user sent).
 */

/**
 * Splits a dot path into segments: `'steps.a.list.0.x'` -> `['steps','a','list','0','x']`.
 * No escaping exists (keys containing dots cannot be addressed, as in the product). Empty text gives
 * `[]`; empty segments (`a..b`) are kept and simply match nothing.
 */
export function parsePath(text: string): string[] {
  return text === '' ? [] : text.split('.');
}

const INDEX = /^(0|[1-9]\d*)$/;

/**
 * The value at `segments` under `root`, or `undefined` when any step of the way is missing.
 * Arrays take decimal indexes (`list.0`) and `length`; strings take `length` only. Objects are read
 * through own properties only, so `__proto__`, `constructor`, `toString` etc. are missing unless the
 * data really holds such a key. Never throws.
 */
export function getPath(root: unknown, segments: readonly string[]): JsonValue | undefined {
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (segment === 'length') current = current.length;
      else if (INDEX.test(segment)) current = current[Number(segment)];
      else return undefined;
    } else if (typeof current === 'string') {
      if (segment !== 'length') return undefined;
      current = current.length;
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return toJson(current);
}

/** Non-JSON leaves (functions, symbols, bigint) count as missing rather than leaking out typed as JSON. */
function toJson(value: unknown): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object':
      return value as JsonValue;
    default:
      return undefined;
  }
}
