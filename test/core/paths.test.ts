import { describe, expect, it } from 'vitest';
import { getPath, parsePath } from '../../src/core/paths';

describe('parsePath', () => {
  it.each([
    { text: 'steps.a.list.0.x', expected: ['steps', 'a', 'list', '0', 'x'] },
    { text: 'steps', expected: ['steps'] },
    { text: '', expected: [] },
    { text: 'a..b', expected: ['a', '', 'b'] },
    { text: 'steps.8-gu8QS1s.custom.@app.vipBool', expected: ['steps', '8-gu8QS1s', 'custom', '@app', 'vipBool'] },
  ])('splits "$text" on dots', ({ text, expected }) => {
    expect(parsePath(text)).toEqual(expected);
  });
});

describe('getPath', () => {
  const root = {
    steps: {
      '1': {
        id: 'conv-1',
        count: 0,
        vip: false,
        none: null,
        list: [{ x: 'first' }, { x: 'second' }],
        tags: ['a', 'b', 'c'],
        name: 'Ann',
        custom: { tierStr: 'gold', nested: { deep: [1, [2, 3]] } },
        obj: { length: 7 },
      },
    },
  };

  it.each([
    { name: 'a nested property', path: 'steps.1.custom.tierStr', expected: 'gold' },
    { name: 'a number, keeping its type', path: 'steps.1.count', expected: 0 },
    { name: 'a boolean, keeping its type', path: 'steps.1.vip', expected: false },
    { name: 'null as null', path: 'steps.1.none', expected: null },
    { name: 'an array element by index', path: 'steps.1.list.1.x', expected: 'second' },
    { name: 'an element of a nested array', path: 'steps.1.custom.nested.deep.1.0', expected: 2 },
    { name: 'the length of an array', path: 'steps.1.tags.length', expected: 3 },
    { name: 'the length of a string', path: 'steps.1.name.length', expected: 3 },
    { name: "an object's own length key", path: 'steps.1.obj.length', expected: 7 },
    { name: 'a whole object', path: 'steps.1.custom.nested', expected: { deep: [1, [2, 3]] } },
  ])('reads $name', ({ path, expected }) => {
    expect(getPath(root, parsePath(path))).toEqual(expected);
  });

  it.each([
    { name: 'a key is absent', path: 'steps.1.nope' },
    { name: 'a step is absent', path: 'steps.2.id' },
    { name: 'the index is past the end', path: 'steps.1.list.5.x' },
    { name: 'the index is negative', path: 'steps.1.list.-1' },
    { name: 'the index has a leading zero', path: 'steps.1.list.01' },
    { name: 'an array is read by a name', path: 'steps.1.list.x' },
    { name: 'a string is read by an index', path: 'steps.1.name.0' },
    { name: 'the path goes through null', path: 'steps.1.none.x' },
    { name: 'the path goes through a number', path: 'steps.1.count.x' },
    { name: 'the path names constructor', path: 'steps.1.constructor' },
    { name: 'the path names __proto__', path: 'steps.1.__proto__' },
    { name: 'the path names toString', path: 'steps.1.custom.toString' },
    { name: 'the path names hasOwnProperty', path: 'steps.hasOwnProperty' },
    { name: 'the path names an array method', path: 'steps.1.tags.map' },
    { name: 'the path has an empty segment', path: 'steps..1' },
  ])('returns undefined when $name', ({ path }) => {
    expect(getPath(root, parsePath(path))).toBeUndefined();
  });

  it('returns the root for an empty path', () => {
    expect(getPath({ a: 1 }, [])).toEqual({ a: 1 });
  });

  it('reads a "__proto__" key that the data really holds', () => {
    const data: unknown = JSON.parse('{"__proto__": {"x": 1}}');
    expect(getPath(data, ['__proto__', 'x'])).toBe(1);
  });

  it.each([
    { name: 'a function', value: () => 1 },
    { name: 'NaN', value: Number.NaN },
    { name: 'Infinity', value: Number.POSITIVE_INFINITY },
  ])('treats a non-JSON leaf ($name) as missing', ({ value }) => {
    expect(getPath({ a: value }, ['a'])).toBeUndefined();
  });
});
