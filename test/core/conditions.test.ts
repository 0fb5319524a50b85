import { describe, expect, it } from 'vitest';
import { evaluateCondition, literalRegexPattern, type RegexTest } from '../../src/core/conditions';
import type { EvalContext } from '../../src/core/context';
import type { Condition } from '../../src/core/definition.schema';
import type { JsonValue } from '../../src/core/json';

// The real regexTest is RE2 in an activity; JavaScript's RegExp agrees with it on these patterns.
const jsRegex: RegexTest = (pattern, input) => new RegExp(pattern).test(input);

const ctx: EvalContext = {
  now: Date.UTC(2024, 0, 31, 12),
  steps: {
    '1': {
      status: 'done',
      statusCode: 200,
      countStr: '42',
      vip: true,
      vipStr: 'true',
      none: null,
      empty: '',
      emptyList: [],
      tags: ['t1', 't2', 't3'],
      nums: [1, 2, 3],
      subject: 'Refund request #123',
      createdAt: '2024-01-01T10:00:00Z',
      closedAt: '2024-01-02T10:00:00Z',
      obj: { a: 1, b: [1, 2] },
    },
  },
  error: { message: 'Gateway timeout', code: 'E_HTTP_504' },
};

function cond(op: string, ...values: JsonValue[]): Condition {
  return { op, values } as Condition;
}

async function evaluate(condition: Condition, context: EvalContext = ctx, regexTest: RegexTest = jsRegex) {
  return evaluateCondition(condition, context, regexTest);
}

describe('evaluateCondition', () => {
  it.each<{ name: string; a: JsonValue; b: JsonValue; expected: boolean }>([
    { name: 'equal strings', a: '/#steps.1.status', b: 'done', expected: true },
    { name: 'strings differing in case', a: '/#steps.1.status', b: 'Done', expected: false },
    { name: 'a number and its numeric string', a: '/#steps.1.statusCode', b: '200', expected: true },
    { name: 'a numeric string and a number', a: '/#steps.1.countStr', b: 42, expected: true },
    { name: 'a number and a different numeric string', a: '/#steps.1.statusCode', b: '201', expected: false },
    { name: 'a number and a non-numeric string', a: '/#steps.1.statusCode', b: 'OK', expected: false },
    { name: 'a boolean and "true"', a: '/#steps.1.vip', b: 'true', expected: true },
    { name: 'a "true" string and a boolean', a: '/#steps.1.vipStr', b: true, expected: true },
    { name: 'a boolean and "false"', a: '/#steps.1.vip', b: 'false', expected: false },
    { name: 'a boolean and 1', a: '/#steps.1.vip', b: 1, expected: false },
    { name: 'deeply equal arrays', a: '/#steps.1.tags', b: ['t1', 't2', 't3'], expected: true },
    { name: 'arrays in another order', a: '/#steps.1.tags', b: ['t2', 't1', 't3'], expected: false },
    { name: 'deeply equal objects', a: '/#steps.1.obj', b: { b: [1, 2], a: 1 }, expected: true },
    { name: 'missing and null', a: '/#steps.1.nope', b: null, expected: true },
    { name: 'missing and missing', a: '/#steps.1.nope', b: '/#steps.2.nope', expected: true },
    { name: 'null and null', a: '/#steps.1.none', b: null, expected: true },
    { name: 'missing and an empty string', a: '/#steps.1.nope', b: '', expected: false },
    { name: 'an empty string and missing', a: '/#steps.1.empty', b: '/#steps.1.nope', expected: false },
    { name: 'a template and a string', a: '{{steps.1.status}}!', b: 'done!', expected: true },
    { name: 'a function result and a number', a: '/#fn:parseInt,steps.1.countStr', b: 42, expected: true },
    { name: 'the error code and a literal', a: '/#error.code', b: 'E_HTTP_504', expected: true },
  ])('eq compares $name', async ({ a, b, expected }) => {
    expect(await evaluate(cond('eq', a, b))).toBe(expected);
    expect(await evaluate(cond('neq', a, b))).toBe(!expected);
  });

  it.each<{ name: string; a: JsonValue; b: JsonValue; expected: boolean }>([
    { name: 'a substring', a: '/#steps.1.subject', b: 'Refund', expected: true },
    { name: 'a substring in another case', a: '/#steps.1.subject', b: 'refund', expected: false },
    { name: 'a number as a substring', a: '/#steps.1.subject', b: 123, expected: true },
    { name: 'an array element', a: '/#steps.1.tags', b: 't2', expected: true },
    { name: 'an absent array element', a: '/#steps.1.tags', b: 't9', expected: false },
    { name: 'an element given as a one-element array', a: '/#steps.1.tags', b: ['t2'], expected: true },
    { name: 'every element of an array', a: '/#steps.1.tags', b: ['t3', 't1'], expected: true },
    { name: 'not every element of an array', a: '/#steps.1.tags', b: ['t1', 't9'], expected: false },
    { name: 'an empty array', a: '/#steps.1.tags', b: [], expected: true },
    { name: 'a numeric string in a number array', a: '/#steps.1.nums', b: '2', expected: true },
    { name: 'a number in an array of numeric strings', a: ['1', '2'], b: 2, expected: true },
    { name: 'an element of a missing value', a: '/#steps.1.nope', b: 't1', expected: false },
    { name: 'a missing needle', a: '/#steps.1.tags', b: '/#steps.1.nope', expected: false },
    { name: 'a substring of a number', a: '/#steps.1.statusCode', b: '20', expected: false },
    { name: 'a key of an object', a: '/#steps.1.obj', b: 'a', expected: false },
  ])('contains checks $name', async ({ a, b, expected }) => {
    expect(await evaluate(cond('contains', a, b))).toBe(expected);
  });

  it.each<{ name: string; a: JsonValue; b: JsonValue; expected: boolean }>([
    { name: 'an absent element', a: '/#steps.1.tags', b: 't9', expected: true },
    { name: 'a present element', a: '/#steps.1.tags', b: 't1', expected: false },
    { name: 'anything in a missing value', a: '/#steps.1.nope', b: 't1', expected: true },
  ])('ncontains checks $name', async ({ a, b, expected }) => {
    expect(await evaluate(cond('ncontains', a, b))).toBe(expected);
  });

  it.each<{ name: string; a: JsonValue; expected: boolean }>([
    { name: 'a string', a: '/#steps.1.status', expected: true },
    { name: 'an empty string', a: '/#steps.1.empty', expected: true },
    { name: 'an empty array', a: '/#steps.1.emptyList', expected: true },
    { name: 'false', a: '/#steps.1.vip', expected: true },
    { name: 'a literal true (builder "else")', a: true, expected: true },
    { name: 'null', a: '/#steps.1.none', expected: false },
    { name: 'a missing key', a: '/#steps.1.nope', expected: false },
    { name: 'a missing step', a: '/#steps.later.id', expected: false },
    { name: 'an unknown function', a: '/#fn:nope,steps.1.status', expected: false },
  ])('exists is $expected for $name', async ({ a, expected }) => {
    expect(await evaluate(cond('exists', a, ''))).toBe(expected);
    expect(await evaluate(cond('dne', a))).toBe(!expected);
  });

  it.each<{ op: string; a: JsonValue; b: JsonValue; expected: boolean }>([
    { op: 'gt', a: '/#steps.1.statusCode', b: 199, expected: true },
    { op: 'gt', a: '/#steps.1.statusCode', b: '200', expected: false },
    { op: 'gte', a: '/#steps.1.statusCode', b: '200', expected: true },
    { op: 'lt', a: '/#steps.1.statusCode', b: 300, expected: true },
    { op: 'lt', a: '/#steps.1.countStr', b: '5', expected: false },
    { op: 'lte', a: '/#steps.1.countStr', b: 42, expected: true },
    { op: 'gt', a: '10', b: '9', expected: true },
    { op: 'gt', a: '/#steps.1.closedAt', b: '/#steps.1.createdAt', expected: true },
    { op: 'lt', a: '/#steps.1.closedAt', b: '2024-01-02T11:00:00+02:00', expected: false },
    { op: 'lte', a: '/#steps.1.createdAt', b: '2024-01-01T10:00:00.000Z', expected: true },
    { op: 'gte', a: '2024-02-01', b: '/#steps.1.closedAt', expected: true },
    { op: 'gt', a: '/#steps.1.status', b: 'abc', expected: false },
    { op: 'lt', a: '/#steps.1.status', b: 'zzz', expected: false },
    { op: 'gt', a: '/#steps.1.closedAt', b: 0, expected: false },
    { op: 'gt', a: '/#steps.1.nope', b: -1, expected: false },
    { op: 'lt', a: '/#steps.1.none', b: 1, expected: false },
    { op: 'gt', a: '/#steps.1.vip', b: 0, expected: false },
    { op: 'gte', a: '', b: 0, expected: false },
  ])('$op compares $a with $b as $expected', async ({ op, a, b, expected }) => {
    expect(await evaluate(cond(op, a, b))).toBe(expected);
  });

  it.each<{ name: string; input: JsonValue; pattern: JsonValue; expected: boolean }>([
    { name: 'a matching string', input: '/#steps.1.subject', pattern: '^Refund', expected: true },
    { name: 'a case-sensitive mismatch', input: '/#steps.1.subject', pattern: '^refund', expected: false },
    { name: 'a stringified number', input: '/#steps.1.statusCode', pattern: '^2\\d\\d$', expected: true },
    { name: 'a stringified boolean', input: '/#steps.1.vip', pattern: '^true$', expected: true },
    { name: 'a missing input', input: '/#steps.1.nope', pattern: '.*', expected: false },
    { name: 'a null input', input: '/#steps.1.none', pattern: '.*', expected: false },
    { name: 'an array input', input: '/#steps.1.tags', pattern: '.*', expected: false },
    { name: 'a non-string pattern', input: '/#steps.1.subject', pattern: 5, expected: false },
    { name: 'a pattern from a reference', input: '/#steps.1.subject', pattern: '/#steps.1.status', expected: false },
  ])('regex tests $name', async ({ input, pattern, expected }) => {
    expect(await evaluate(cond('regex', input, pattern))).toBe(expected);
  });

  it('passes the pattern and input to regexTest and awaits its promise', async () => {
    const calls: [string, string][] = [];
    const asyncTest: RegexTest = async (pattern, input) => {
      calls.push([pattern, input]);
      return Promise.resolve(pattern === '(?i)^refund');
    };
    expect(await evaluate(cond('regex', '/#steps.1.subject', '(?i)^refund'), ctx, asyncTest)).toBe(true);
    expect(calls).toEqual([['(?i)^refund', 'Refund request #123']]);
  });

  it.each<{ name: string; condition: Condition; expected: boolean }>([
    { name: 'true', condition: cond('true', true), expected: true },
    { name: 'true without values', condition: cond('true'), expected: true },
    { name: 'an empty and', condition: cond('and'), expected: true },
    { name: 'an empty or', condition: cond('or'), expected: false },
    { name: 'an and of true and false', condition: cond('and', cond('true'), cond('eq', 1, 2)), expected: false },
    { name: 'an or of false and true', condition: cond('or', cond('eq', 1, 2), cond('true')), expected: true },
    { name: 'a nested child without values', condition: cond('and', { op: 'true' }), expected: true },
  ])('combines $name', async ({ condition, expected }) => {
    expect(await evaluate(condition)).toBe(expected);
  });

  it('short-circuits and/or in order', async () => {
    const seen: string[] = [];
    const spy: RegexTest = (pattern) => {
      seen.push(pattern);
      return pattern.startsWith('yes');
    };
    const r = (pattern: string) => cond('regex', 'x', pattern);
    expect(await evaluate(cond('and', r('yes1'), r('no1'), r('yes2')), ctx, spy)).toBe(false);
    expect(await evaluate(cond('or', r('no2'), r('yes3'), r('no3')), ctx, spy)).toBe(true);
    expect(seen).toEqual(['yes1', 'no1', 'no2', 'yes3']);
  });

  it('throws a plain Error for an unknown operator', async () => {
    await expect(evaluate(cond('like', 'a', 'b'))).rejects.toThrow('unknown condition operator "like"');
  });

  it('throws for a malformed nested condition', async () => {
    await expect(evaluate(cond('and', 'not a condition'))).rejects.toThrow(/not a condition/);
  });

  describe('with the trigger condition of the reference example (section 7)', () => {
    const trigger = {
      op: 'and',
      values: [
        { op: 'eq', values: ['/#steps.1.changes.attributes.status.after', 'done'] },
        {
          op: 'or',
          values: [
            { op: 'contains', values: ['/#steps.1.channels', 'email'] },
            { op: 'gt', values: ['/#steps.1.messageCount', 5] },
          ],
        },
      ],
    } as Condition;
    const event = (status: string | undefined, channels: string[], messageCount: number): EvalContext => ({
      now: 0,
      steps: {
        '1': {
          id: 'conv-1',
          channels,
          messageCount,
          changes:
            status === undefined ? {} : { attributes: { status: { op: 'replace', before: 'open', after: status } } },
        },
      },
    });

    it.each([
      { name: 'a closed email conversation', context: event('done', ['email'], 2), expected: true },
      { name: 'a closed long chat thread', context: event('done', ['chat'], 6), expected: true },
      { name: 'a closed short chat thread', context: event('done', ['chat'], 5), expected: false },
      { name: 'a reopened email conversation', context: event('open', ['email'], 9), expected: false },
      { name: 'an update that did not change the status', context: event(undefined, ['email'], 9), expected: false },
    ])('matches $name: $expected', async ({ context, expected }) => {
      expect(await evaluate(trigger, context)).toBe(expected);
    });
  });
});

describe('literalRegexPattern', () => {
  it.each<{ name: string; node: Condition; expected: string | undefined }>([
    { name: 'a literal pattern', node: cond('regex', '/#steps.1.x', '^a+$'), expected: '^a+$' },
    { name: 'a reference', node: cond('regex', '/#steps.1.y', '/#steps.1.pattern'), expected: undefined },
    { name: 'a function call', node: cond('regex', 'x', '/#fn:toLower,steps.1.p'), expected: undefined },
    { name: 'a template', node: cond('regex', 'x', '{{steps.1.p}}'), expected: undefined },
    { name: 'a number', node: cond('regex', 'x', 7), expected: undefined },
    { name: 'another operator', node: cond('eq', 'x', '^not a regex$'), expected: undefined },
  ])('is $expected for $name', ({ node, expected }) => {
    expect(literalRegexPattern(node)).toBe(expected);
  });
});
