import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conditionIsConstant, literalRegexPattern, evaluateCondition, type RegexTest } from '../../src/core/conditions';
import type { EvalContext } from '../../src/core/context';
import { OPERATORS, type Condition } from '../../src/core/definition.schema';
import { jsonEqual, type JsonValue } from '../../src/core/json';
import { MAX_CONDITION_DEPTH } from '../../src/core/limits';
import {
  expectPrototypesUnchanged,
  hostileJson,
  hostileNumber,
  nested,
  objectFromEntries,
  PROPERTY_TIMEOUT,
  PROTO_NAMES,
  runs,
  withinBudgetAsync,
} from './hostile';

/*
 * Properties of conditions (evaluateCondition, conditionIsConstant, literalRegexPattern) and the
 * JSON equality they use (jsonEqual):
 * 1. Total: any condition tree (known and unknown operators, malformed nested nodes, any operands:
 *    literals, references, `/#fn:` calls, templates) over any data gives a boolean or an Error (never
 *    another kind, never a stack overflow), within a time budget, with prototypes unchanged; the
 *    regex walks never throw.
 * 2. `contains` with many needles answers exactly as one needle at a time (it indexes the haystack
 *    for many needles, so two long lists are linear, not quadratic).
 * 3. `jsonEqual` is equality of own data: it agrees with comparing key-sorted serialisations (so an own
 *    "__proto__" key never matches the inherited one), and never overflows the stack.
 */

const regexTest: RegexTest = (pattern, input) => {
  try {
    return new RegExp(pattern).test(input.slice(0, 1000));
  } catch {
    throw new Error(`invalid pattern ${pattern}`);
  }
};

const operand: fc.Arbitrary<JsonValue> = hostileJson(
  2,
  fc.oneof(
    fc.constantFrom(
      '/#steps.1.a',
      '/#steps.1.list',
      '/#steps.1.__proto__',
      '/#steps.1.constructor',
      '/#steps..x',
      '/#error.message',
    ),
    fc.constantFrom(
      '/#fn:parseInt,steps.1.n',
      '/#fn:dateFormat,steps.1.d,w',
      '/#fn:ifExists,steps.9.x',
      '/#fn:',
      '/#fn:nope,,,',
    ),
    fc.constantFrom(
      '{{steps.1.a}}',
      '{{{json steps.1}}}',
      '{{#each steps.1.list}}{{this}}{{/each}}',
      '{{oops',
      '{{foo 1}}',
    ),
    fc.constantFrom('2024-05-01', '2024-05-01T10:00:00Z', ' 42 ', 'true', '', '(a+)+$', '[', '\ud800'),
    fc.string({ maxLength: 6 }),
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
  ),
);

const op = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...OPERATORS) },
  fc.constantFrom('nope', '__proto__', 'constructor', ''),
);

const condition: fc.Arbitrary<JsonValue> = fc.letrec<{ node: JsonValue }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc.tuple(op, fc.array(operand, { maxLength: 3 })).map(([o, values]) => ({ op: o, values })),
    fc
      .tuple(fc.constantFrom('and', 'or'), fc.array(tie('node'), { maxLength: 3 }))
      .map(([o, values]) => ({ op: o, values })),
    fc.constantFrom<JsonValue>(null, 'and', [], { op: 'and' }, { values: [] }, { op: 1, values: [] }),
  ),
})).node;

const context = fc.tuple(hostileJson(3), hostileJson(2)).map(([a, list]): EvalContext => ({
  now: Date.UTC(2024, 0, 31, 12),
  steps: { '1': { a, list: [a, list], n: '42', d: '2024-05-01' } },
  error: { message: 'Bad <gateway>', code: 'E_HTTP_502' },
}));

describe(
  'evaluateCondition (property: a boolean or an Error, never a stack overflow)',
  { timeout: PROPERTY_TIMEOUT },
  () => {
    it('evaluates any condition over any data to a boolean, or rejects it with a plain Error', async () => {
      await fc.assert(
        fc.asyncProperty(condition, context, async (cond, ctx) => {
          const result = await withinBudgetAsync(1000, async () => {
            try {
              return await evaluateCondition(cond as Condition, ctx, regexTest);
            } catch (error) {
              return error;
            }
          });
          if (typeof result !== 'boolean') {
            expect(result).toBeInstanceOf(Error);
            expect((result as Error).constructor).toBe(Error);
          }
          if (typeof cond === 'object' && cond !== null && !Array.isArray(cond) && typeof cond['op'] === 'string') {
            expect(typeof conditionIsConstant(cond as Condition)).toBe('boolean');
            expect(['string', 'undefined']).toContain(typeof literalRegexPattern(cond as Condition));
          }
          expectPrototypesUnchanged();
        }),
        runs(400),
      );
    });
  },
);

describe('contains (property: many needles answer as one at a time)', { timeout: PROPERTY_TIMEOUT }, () => {
  const item = fc.oneof(
    fc.constantFrom<JsonValue>('1', '1.0', ' 1 ', 1, -0, 0, '0', '-0', true, false, 'true', 'false', null, '', 'a'),
    fc.constantFrom<JsonValue>([1], ['1'], { a: 1 }, { a: '1' }, []),
    hostileNumber,
    fc.string({ maxLength: 3 }).filter((s) => !s.startsWith('/#') && !s.includes('{{')),
  );
  const ctx: EvalContext = { now: 0, steps: {} };

  it('agrees with checking each needle alone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { maxLength: 30 }),
        fc.array(item, { minLength: 8, maxLength: 20 }),
        async (haystack, needles) => {
          const all = await evaluateCondition({ op: 'contains', values: [haystack, needles] }, ctx, regexTest);
          const each = await Promise.all(
            needles.map((n) => evaluateCondition({ op: 'contains', values: [haystack, [n]] }, ctx, regexTest)),
          );
          expect(all).toBe(each.every(Boolean));
          expect(await evaluateCondition({ op: 'ncontains', values: [haystack, needles] }, ctx, regexTest)).toBe(!all);
        },
      ),
      runs(500),
    );
  });
});

/** Key-sorted serialisation of own data: equal exactly when two JSON values are equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('jsonEqual (property: equality of own data)', { timeout: PROPERTY_TIMEOUT }, () => {
  const small = hostileJson(3, fc.constantFrom<JsonValue>(0, 1, 'a', true, null, {}));
  it('agrees with comparing key-sorted serialisations', () => {
    fc.assert(
      fc.property(small, small, (a, b) => {
        expect(jsonEqual(a, b)).toBe(canonical(a) === canonical(b));
        expect(jsonEqual(a, JSON.parse(JSON.stringify(a)) as JsonValue)).toBe(true);
      }),
      runs(1000),
    );
  });

  it('compares objects with own proto-named keys as data', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROTO_NAMES), fc.string({ maxLength: 3 }), (key, other) => {
        fc.pre(key !== other);
        const withKey = objectFromEntries([[key, {}]]);
        const withOther = objectFromEntries([[other, 1]]);
        expect(jsonEqual(withKey, withOther)).toBe(false);
        expect(jsonEqual(withOther, withKey)).toBe(false);
      }),
      runs(200),
    );
  });
});

// ---- named regression examples -------------------------------------------------------------------

describe('conditions (regressions found by the properties)', () => {
  const ctx: EvalContext = { now: 0, steps: {} };

  it('says {"__proto__":{}} is not equal to {"x":5} (the inherited prototype compared equal to {})', async () => {
    const a = JSON.parse('{"__proto__":{}}') as JsonValue;
    expect(jsonEqual(a, { x: 5 })).toBe(false);
    expect(await evaluateCondition({ op: 'eq', values: [a, { x: 5 }] }, ctx, regexTest)).toBe(false);
    expect(await evaluateCondition({ op: 'contains', values: [[a], [{ x: 5 }]] }, ctx, regexTest)).toBe(false);
  });

  it('compares values nested 100,000 deep without overflowing the stack', async () => {
    const deep = (): JsonValue => nested(100_000, (inner) => [inner]);
    const c: EvalContext = { now: 0, steps: { '1': { a: deep(), b: deep() } } };
    expect(jsonEqual(deep(), deep())).toBe(true);
    expect(await evaluateCondition({ op: 'eq', values: ['/#steps.1.a', '/#steps.1.b'] }, c, regexTest)).toBe(true);
  });

  it('refuses and/or nested deeper than the limit with a plain Error, not a stack overflow', async () => {
    const deep = (n: number) => nested(n, (inner) => ({ op: 'and', values: [inner] }), { op: 'true', values: [] });
    await expect(evaluateCondition(deep(MAX_CONDITION_DEPTH) as Condition, ctx, regexTest)).resolves.toBe(true);
    await expect(evaluateCondition(deep(20_000) as Condition, ctx, regexTest)).rejects.toThrow(
      `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels`,
    );
    expect(conditionIsConstant(deep(20_000) as Condition)).toBe(true);
  });

  it('checks that one long list contains another in linear time', async () => {
    const n = 50_000;
    const haystack = Array.from({ length: n }, (_, i) => i);
    const needles = Array.from({ length: n }, (_, i) => String(n - 1 - i));
    const result = await withinBudgetAsync(1000, () =>
      evaluateCondition({ op: 'contains', values: [haystack, needles] }, ctx, regexTest),
    );
    expect(result).toBe(true);
  });
});
