import { describe, expect, it } from 'vitest';
import { jsonDifference, jsonEqual, jsonProblem, MAX_JSON_DEPTH } from '../../src/core/json';
import { JsonObjectSchema, JsonValueSchema } from '../../src/core/json.schema';

describe('jsonProblem', () => {
  it.each([
    ['a string', 'x'],
    ['null', null],
    ['nested arrays', [[1, [2]], []]],
    ['odd keys', { 'a.b': { $c: 1 }, '': 0 }],
  ])('accepts %s', (_name, value) => {
    expect(jsonProblem(value)).toBeUndefined();
  });

  it.each([
    ['NaN', { a: [1, Number.NaN] }, ['a', 1], 'numbers must be finite'],
    ['a function', { f: () => 1 }, ['f'], 'expected a JSON value'],
    ['a date', [new Date(0)], [0], 'expected a JSON value'],
    ['undefined inside an array', [undefined], [0], 'expected a JSON value'],
  ])('rejects %s at its path', (_name, value, path, message) => {
    expect(jsonProblem(value)).toEqual({ path, message });
  });

  it('rejects nesting past the limit without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    const problem = jsonProblem(deep);
    expect(problem?.message).toBe(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(problem?.path).toHaveLength(MAX_JSON_DEPTH + 1);
  });
});

describe('JsonObjectSchema', () => {
  it('returns the input itself, keeping an own "__proto__" key', () => {
    const input = JSON.parse('{"__proto__":{"x":1},"b":[[2]]}') as unknown;
    const parsed = JsonObjectSchema.parse(input);
    expect(parsed).toBe(input);
    expect(JSON.stringify(parsed)).toBe('{"__proto__":{"x":1},"b":[[2]]}');
  });

  it('rejects arrays and scalars as objects, and reports nested problems by path', () => {
    expect(JsonObjectSchema.safeParse([1]).error?.issues[0]?.message).toBe('expected a JSON object');
    expect(JsonValueSchema.safeParse({ a: { b: Infinity } }).error?.issues[0]?.path).toEqual(['a', 'b']);
  });
});

describe('jsonEqual', () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [[1, 2], [2, 1], false],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [1, '1', false],
  ])('jsonEqual(%j, %j) is %s', (a, b, want) => {
    expect(jsonEqual(a, b)).toBe(want);
  });
});

describe('jsonDifference', () => {
  it.each([
    [{ a: 1 }, { a: 1 }, undefined],
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, undefined],
    [{ a: 1 }, { a: 2 }, ['a']],
    [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'y' }] } }, ['a', 'b', 1, 'c']],
    [{ a: 1 }, { a: 1, b: 2 }, ['b']],
    [[1, 2], [1], []],
    ['x', 1, []],
  ])('between %j and %j is %j', (a, b, expected) => {
    expect(jsonDifference(a, b)).toEqual(expected);
  });
});
