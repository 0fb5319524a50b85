import fc from 'fast-check';
import { expect } from 'vitest';
import type { JsonValue } from '../../src/core/json';

/**
 * Shared pieces of the property tests (`*.property.test.ts`): hostile inputs, the prototype check and
 * the run settings. Every property runs with a fixed seed and a bounded number of runs so the unit
 * project stays fast and reproducible; `FC_SEED` and `FC_RUNS` override both for a longer local search
 * (e.g. `FC_RUNS=5000 npx vitest run --project unit property`).
 */
const scale = process.env['FC_RUNS'] === undefined ? 1 : Number(process.env['FC_RUNS']) / 100;

export function runs(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['FC_SEED'] === undefined ? 20260511 : Number(process.env['FC_SEED']);
  return { seed, numRuns: Math.max(1, Math.round(numRuns * scale)), endOnFailure: true };
}

/** A test timeout for a property test: generous (the machine is shared), scaled with `FC_RUNS`. */
export const PROPERTY_TIMEOUT = Math.max(1, scale) * 30_000;

/** Keys and path segments that name inherited members of objects, arrays, strings or functions. */
export const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '__lookupGetter__',
  'isPrototypeOf',
  'toJSON',
  'toHTML',
  'length',
  'map',
  'call',
  'apply',
  'bind',
] as const;

/** Strings a user could send: plain, unicode, lone surrogates, proto names, numbers as text, markup. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(...PROTO_NAMES),
  fc.constantFrom('\ud800', '\udfff', 'a\ud800b', '\u2028', '\u0000', '', ' ', '<b>&"\'`=', 'true', 'false', 'null'),
  fc.constantFrom(
    '0',
    '-0',
    '1e308',
    '-1e309',
    'NaN',
    'Infinity',
    '0x10',
    ' 42 ',
    '2024-05-01',
    '2024-05-01T10:00:00Z',
  ),
);

/** Numbers at the edges: -0, huge, tiny, integers past 2^53 (all finite: JSON has no NaN). */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 2, 8.64e15, 8.64e15 + 1, -8.64e15 - 1),
);

/**
 * JSON values with hostile keys (own `__proto__`, `constructor`... made by `JSON.parse`, as the API
 * receives them), odd numbers and strings, arrays and objects up to `maxDepth`.
 */
export function hostileJson(maxDepth = 4, leaf: fc.Arbitrary<JsonValue> = hostileLeaf): fc.Arbitrary<JsonValue> {
  const key = fc.oneof(
    fc.constantFrom(...PROTO_NAMES),
    fc.string({ maxLength: 6 }),
    fc.constantFrom('a', 'b', '1', '0'),
  );
  return fc
    .letrec<{ value: JsonValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', maxDepth, withCrossShrink: true },
        leaf,
        fc.array(tie('value'), { maxLength: 5 }),
        fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map(objectFromEntries),
      ),
    }))
    .value.map((value) => JSON.parse(JSON.stringify(value)) as JsonValue);
}

const hostileLeaf: fc.Arbitrary<JsonValue> = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));

/** An object with these own keys, `__proto__` included (as `JSON.parse` makes it). */
export function objectFromEntries(entries: [string, JsonValue][]): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Values nested `depth` levels deep, built without recursion. */
export function nested(depth: number, wrap: (inner: JsonValue) => JsonValue, leaf: JsonValue = 1): JsonValue {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

const PROTOTYPES: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['String.prototype', String.prototype],
  ['Function.prototype', Function.prototype],
  ['Number.prototype', Number.prototype],
];

type Member = { value: unknown; get: unknown; set: unknown; flags: string };

function snapshot(): Map<string, Member> {
  const out = new Map<string, Member>();
  for (const [name, proto] of PROTOTYPES) {
    for (const key of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key)!;
      out.set(`${name}.${String(key)}`, {
        value: d.value,
        get: d.get,
        set: d.set,
        flags: `${d.writable}${d.enumerable}${d.configurable}`,
      });
    }
    out.set(`${name} [[Prototype]]`, { value: Object.getPrototypeOf(proto), get: 0, set: 0, flags: '' });
  }
  return out;
}

const before = snapshot();

const same = (a: Member | undefined, b: Member | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  Object.is(a.value, b.value) &&
  a.get === b.get &&
  a.set === b.set &&
  a.flags === b.flags;

/** Fails if any built-in prototype gained, lost or changed a member since this module loaded. */
export function expectPrototypesUnchanged(): void {
  const now = snapshot();
  const changed = [...new Set([...before.keys(), ...now.keys()])].filter((k) => !same(before.get(k), now.get(k)));
  expect(changed).toEqual([]);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
}

/** Runs `fn`, failing if it takes longer than `ms` (a budget, generous for a loaded 2-core machine). */
export function withinBudget<T>(ms: number, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    const took = performance.now() - start;
    expect(took, `took ${took.toFixed(0)} ms, budget ${ms} ms`).toBeLessThan(ms);
  }
}

/** The same as `withinBudget` for async work. */
export async function withinBudgetAsync<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    const took = performance.now() - start;
    expect(took, `took ${took.toFixed(0)} ms, budget ${ms} ms`).toBeLessThan(ms);
  }
}

/** Whether `value` is plain JSON made only of own data (no functions, no inherited members, no undefined). */
export function isOwnJson(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (Array.isArray(v)) {
      stack.push(...(v as unknown[]));
      continue;
    }
    if (typeof v !== 'object') return false;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return true;
}
