import dayjs from 'dayjs';
import advancedFormat from 'dayjs/plugin/advancedFormat';
import localizedFormat from 'dayjs/plugin/localizedFormat';
import utc from 'dayjs/plugin/utc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EvalContext } from '../../src/core/context';
import { callFunction, formatDate, FUNCTION_NAMES, looksLikeEmail, parseFunctionCall } from '../../src/core/functions';
import type { JsonValue } from '../../src/core/json';
import { MAX_JSON_DEPTH } from '../../src/core/limits';
import { getPath, parsePath } from '../../src/core/paths';
import {
  classifyValue,
  referencedSteps,
  referencesError,
  resolveParams,
  resolveValue,
  valueProblems,
} from '../../src/core/references';
import {
  expectPrototypesUnchanged,
  hostileJson,
  hostileNumber,
  hostileString,
  isOwnJson,
  nested,
  objectFromEntries,
  PROPERTY_TIMEOUT,
  PROTO_NAMES,
  runs,
  withinBudget,
} from './hostile';

/*
 * Properties of values: `/#steps...` references, `/#fn:` calls, templates and literals
 * (resolveValue, resolveParams, valueProblems, referencedSteps, referencesError, getPath, callFunction,
 * parseFunctionCall, formatDate):
 * 1. Total: any JSON value (hostile keys, malformed `/#` strings such as `/#steps..x`, `/#fn:` with
 *    wrong arities or unknown names, templates) resolves to plain own JSON or to missing, or throws
 *    an Error "template error: ..." (only for templates); the save-time checks never throw; values
 *    the save-time checks accept resolve without error unless a render limit stops a template;
 *    prototypes are unchanged; each call within a time budget.
 * 2. Own data only: a reference resolves to what walking own properties gives (arrays: indexes and
 *    length; strings: length), never to an inherited member such as `constructor`.
 * 3. `/#fn:` calls never throw, whatever the data and the arguments.
 * 4. `isValidEmailAddress` answers exactly as the product's `/.+@.+/`, in linear time; `dateFormat`
 *    formats exactly as dayjs, in linear time.
 */

// ---- values --------------------------------------------------------------------------------------

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1', 'a', 'b', 'x', 'list', '0', '00', '-1', 'length', '') },
  fc.constantFrom(...PROTO_NAMES),
  fc.string({ maxLength: 3 }),
);
const refPath = fc
  .tuple(
    fc.constantFrom('steps', 'error', 'variables', '', 'constructor', '__proto__'),
    fc.array(segment, { maxLength: 4 }),
  )
  .map(([root, rest]) => [root, ...rest].join('.'));
const fnCall = fc
  .tuple(
    fc.oneof(fc.constantFrom(...FUNCTION_NAMES), fc.constantFrom('', 'toString', 'constructor', '__proto__', 'eval')),
    fc.oneof(
      refPath,
      refPath.map((p) => `/#${p}`),
      fc.constant(''),
    ),
    fc.array(fc.oneof(hostileString, fc.constantFrom('YYYY', 'LLLL', '[x', 'w', 'Do MMM', ',,', '')), { maxLength: 3 }),
  )
  .map(([name, path, args]) => `/#fn:${[name, path, ...args].join(',')}`);
const template = fc.oneof(
  refPath.map((p) => `{{${p}}}`),
  refPath.map((p) => `{{{json ${p}}}} and {{toUpper ${p}}}`),
  fc.constantFrom(
    '{{',
    '{{#each steps.1}}{{@key}}{{/each}}',
    '{{lookup steps.1 "constructor"}}',
    '{{steps.1.',
    '{{> p}}',
  ),
);
const valueString = fc.oneof(
  refPath.map((p) => `/#${p}`),
  fnCall,
  template,
  hostileString,
  fc.constantFrom('/#', '/#.', '/#steps..x', '/#steps.', '/#fn:', '/#fn:,', ' /#steps.1.a', '/#error'),
);
/** Strings other than templates (a broken template is the one thing that may throw). */
const notTemplate = valueString.filter((s) => classifyValue(s) !== 'template');
const value: fc.Arbitrary<JsonValue> = hostileJson(
  3,
  fc.oneof({ weight: 3, arbitrary: valueString }, hostileNumber, fc.boolean(), fc.constant(null)),
);

const context = fc.tuple(hostileJson(4), hostileJson(3), fc.boolean()).map(([one, a, failed]): EvalContext => ({
  now: Date.UTC(2024, 0, 31, 12),
  steps: { '1': one, a, list: [one, a] } as EvalContext['steps'],
  ...(failed ? { error: { message: 'Bad <gateway>', code: 'E_HTTP_502' } } : {}),
}));

function resolve(v: JsonValue, ctx: EvalContext): { value: JsonValue | undefined } | { error: string } {
  try {
    return { value: resolveValue(v, ctx) };
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return { error: (error as Error).message };
  }
}

describe('resolveValue (property: total, own JSON, prototypes untouched)', { timeout: PROPERTY_TIMEOUT }, () => {
  it('resolves any value to own JSON or missing, or fails only on a template', () => {
    fc.assert(
      fc.property(value, context, (v, ctx) => {
        const problems = withinBudget(1000, () => valueProblems(v));
        for (const p of problems) expect(typeof p.message).toBe('string');
        expect(referencedSteps(v).every((id) => typeof id === 'string' && id !== '')).toBe(true);
        expect(typeof referencesError(v)).toBe('boolean');
        const result = withinBudget(1000, () => resolve(v, ctx));
        if ('value' in result) {
          expect(result.value === undefined || isOwnJson(result.value)).toBe(true);
        } else {
          expect(result.error).toMatch(/^template error: /);
          // Accepted on save: only a render limit may stop it.
          if (problems.length === 0) expect(result.error).toMatch(/output exceeds|loops run more than/);
        }
        expectPrototypesUnchanged();
      }),
      runs(400),
    );
  });

  it('resolves params to an object of own keys, keeping a "__proto__" key as data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.string()), notTemplate), { maxLength: 6 }),
        context,
        (entries, ctx) => {
          const params = JSON.parse(JSON.stringify(objectFromEntries(entries))) as Record<string, JsonValue>;
          const out = resolveParams(params, ctx);
          expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
          for (const key of Object.keys(out)) expect(Object.hasOwn(params, key)).toBe(true);
          expect(isOwnJson(out)).toBe(true);
          expectPrototypesUnchanged();
        },
      ),
      runs(200),
    );
  });
});

// ---- own data only -------------------------------------------------------------------------------

/** The reference walk: own properties of objects, decimal indexes and `length` of arrays, `length` of strings. */
function ownPath(root: unknown, segments: readonly string[]): unknown {
  let current = root;
  for (const s of segments) {
    if (Array.isArray(current))
      current = s === 'length' ? current.length : /^(0|[1-9]\d*)$/.test(s) ? current[Number(s)] : undefined;
    else if (typeof current === 'string') current = s === 'length' ? current.length : undefined;
    else if (typeof current === 'object' && current !== null)
      current = Object.hasOwn(current, s) ? (current as Record<string, unknown>)[s] : undefined;
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

describe('references (property: own data only)', { timeout: PROPERTY_TIMEOUT }, () => {
  it('resolves /#steps... to the walk over own properties, never an inherited member', () => {
    fc.assert(
      fc.property(context, fc.array(segment, { minLength: 1, maxLength: 5 }), (ctx, segs) => {
        const path = ['steps', ...segs];
        const expected = ownPath({ steps: ctx.steps }, path);
        expect(resolveValue(`/#${path.join('.')}`, ctx)).toEqual(expected);
        expect(getPath({ steps: ctx.steps }, parsePath(path.join('.')))).toEqual(expected);
        // A `/#fn:` path cannot hold a comma (it separates the arguments).
        if (!path.some((s) => s.includes(','))) {
          expect(callFunction(`ifExists,${path.join('.')},fallback`, ctx)).toEqual(expected ?? 'fallback');
        }
      }),
      runs(400),
    );
  });
});

// ---- /#fn: calls ---------------------------------------------------------------------------------

describe('callFunction (property: never throws)', { timeout: PROPERTY_TIMEOUT }, () => {
  it('returns JSON or missing for any expression and any data', () => {
    fc.assert(
      fc.property(fnCall, context, fc.oneof(hostileNumber, hostileString), (call, ctx, x) => {
        const data = { ...ctx, steps: { ...ctx.steps, x: { v: x, d: [x] } } };
        for (const expression of [
          call.slice('/#fn:'.length),
          `dateFormat,steps.x.v,${String(x)}`,
          `parseInt,steps.x.v`,
        ]) {
          const out = withinBudget(500, () => callFunction(expression, data));
          expect(out === undefined || isOwnJson(out)).toBe(true);
          const parsed = parseFunctionCall(expression);
          expect(typeof parsed.name === 'string' && typeof parsed.path === 'string').toBe(true);
        }
      }),
      runs(400),
    );
  });
});

// ---- equivalences --------------------------------------------------------------------------------

dayjs.extend(utc);
dayjs.extend(advancedFormat);
dayjs.extend(localizedFormat);

describe(
  'isValidEmailAddress and dateFormat (property: the same answers, in linear time)',
  { timeout: PROPERTY_TIMEOUT },
  () => {
    it('answers exactly as /.+@.+/ does', () => {
      const text = fc.string({
        unit: fc.constantFrom('a', '@', '\n', '\r', '\u2028', '\u2029', ' ', '\ud800'),
        maxLength: 12,
      });
      fc.assert(
        fc.property(text, (s) => {
          expect(looksLikeEmail(s)).toBe(/.+@.+/.test(s));
        }),
        runs(1000),
      );
    });

    /**
     * One known difference: dayjs's `Do` prints its ordinal in brackets (`[1st]`), and a `[` earlier in
     * the format that no `]` of the format closes pairs with that bracket; we print such a `[` as text.
     */
    const pairsWithOrdinal = (f: string): boolean => {
      const tail = f.slice(f.lastIndexOf(']') + 1);
      return tail.includes('[') && tail.slice(tail.indexOf('[')).includes('Do');
    };

    it('formats as dayjs formats, for formats dayjs can apply', () => {
      const format = fc.string({
        unit: fc.constantFrom(
          'Y',
          'M',
          'D',
          'd',
          'H',
          'h',
          'm',
          's',
          'A',
          'L',
          'l',
          'Do',
          'Q',
          'X',
          'x',
          '[',
          ']',
          ' ',
          ',',
          'T',
          'k',
          'S',
          'Z',
        ),
        maxLength: 14,
      });
      fc.assert(
        fc.property(fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }).map(Math.trunc), format, (ms, f) => {
          if (pairsWithOrdinal(f)) return;
          let expected: string | undefined;
          try {
            expected = f === '' ? new Date(ms).toISOString() : dayjs.utc(ms).format(f);
          } catch {
            expected = undefined;
          }
          expect(formatDate(ms, f)).toBe(expected);
        }),
        runs(1000),
      );
    });
  },
);

// ---- named regression examples -------------------------------------------------------------------

// The regressions of `/#fn:` functions these properties found are in functions.test.ts.
describe('values (regressions found by the properties)', () => {
  const ctx: EvalContext = { now: 0, steps: { '1': { n: 1e16 } } };

  it('refuses values nested deeper than the JSON limit with an Error, without overflowing the stack', () => {
    const deep = nested(20_000, (inner) => [inner], '/#steps.1.n');
    expect(() => resolveValue(deep, ctx)).toThrow(`value nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(valueProblems(nested(20_000, (inner) => ({ a: inner }), '/#foo'))).toHaveLength(1);
    expect(referencedSteps(nested(20_000, (inner) => [inner], '/#steps.deep.x'))).toEqual(['deep']);
    expect(
      resolveValue(
        nested(MAX_JSON_DEPTH, (inner) => [inner], '/#steps.1.n'),
        ctx,
      ),
    ).toEqual(nested(MAX_JSON_DEPTH, (inner) => [inner], 1e16));
  });
});
