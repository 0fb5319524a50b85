import { MAX_JSON_DEPTH } from './limits';
import type { PathSegment } from './problems';

export { MAX_JSON_DEPTH };

/** Any JSON value; user data (event payloads, custom attributes, step outputs) is typed as this. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Calls `visit` on every string inside `value` (the value itself, array elements, object property
 * values) with its path, in document order, and stops at the first call that returns `true`; returns
 * whether one did. Iterative, and paths are built only for the strings (from parent links), so no
 * nesting depth can overflow the stack or cost time quadratic in the depth: unlike the recursive
 * walks, it needs no depth limit, and values deeper than `MAX_JSON_DEPTH` are walked whole.
 */
export function eachString(value: unknown, visit: (text: string, path: PathSegment[]) => boolean | void): boolean {
  interface Item {
    value: unknown;
    key?: PathSegment;
    parent?: Item;
  }
  const pathOf = (item: Item): PathSegment[] => {
    const path: PathSegment[] = [];
    for (let at: Item | undefined = item; at?.key !== undefined; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Item[] = [{ value }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const v = item.value;
    if (typeof v === 'string') {
      if (visit(v, pathOf(item)) === true) return true;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: item });
    } else if (isPlainObject(v)) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: v[keys[i]!], key: keys[i]!, parent: item });
    }
  }
  return false;
}

/**
 * The first thing that makes `value` not plain JSON, located by path. Iterative, so a hostile
 * nesting depth cannot overflow the stack.
 */
export function jsonProblem(value: unknown): { path: (string | number)[]; message: string } | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.path.length > MAX_JSON_DEPTH)
      return { path: item.path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    const v = item.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path: item.path, message: 'numbers must be finite' };
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((child, i) => stack.push({ value: child, path: [...item.path, i] }));
      continue;
    }
    if (isPlainObject(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      for (const key of Object.keys(v)) stack.push({ value: v[key], path: [...item.path, key] });
      continue;
    }
    return { path: item.path, message: 'expected a JSON value' };
  }
  return undefined;
}

/**
 * Structural equality over JSON values (object key order ignored; own keys only, so an own
 * `"__proto__"` key never compares against the inherited one). Iterative, so deep values cannot
 * overflow the stack.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const pairs: [unknown, unknown][] = [[a, b]];
  for (let pair = pairs.pop(); pair !== undefined; pair = pairs.pop()) {
    const [x, y] = pair;
    if (x === y) continue;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      x.forEach((item, i) => pairs.push([item, y[i]]));
    } else if (isPlainObject(x) && isPlainObject(y)) {
      const keys = Object.keys(x);
      if (keys.length !== Object.keys(y).length) return false;
      for (const k of keys) {
        if (!Object.hasOwn(y, k)) return false;
        pairs.push([x[k], y[k]]);
      }
    } else {
      return false;
    }
  }
  return true;
}

/**
 * The path of the first place where two JSON values differ (`[]` for the roots themselves), or
 * undefined when they are equal (object key order ignored).
 */
export function jsonDifference(
  a: unknown,
  b: unknown,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  if (a === b) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const found = jsonDifference(a[i], b[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!Object.hasOwn(a, key) || !Object.hasOwn(b, key)) return [...path, key];
      const found = jsonDifference(a[key], b[key], [...path, key]);
      if (found) return found;
    }
    return undefined;
  }
  return path;
}
