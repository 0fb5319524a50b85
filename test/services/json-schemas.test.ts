import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlainObject, type JsonObject } from '../../src/core/json';
import { jsonSchemaError, jsonSchemaProblems } from '../../src/services/json-schemas';
import { expectPrototypesUnchanged, hostileJson, PROPERTY_TIMEOUT, runs } from '../core/hostile';

const inputs: JsonObject = {
  type: 'object',
  properties: {
    email: { type: 'string', format: 'email' },
    tags: { type: 'array', items: { type: 'string' } },
    order: { type: 'object', properties: { total: { type: 'number', minimum: 0 } }, additionalProperties: false },
  },
  required: ['email'],
};

describe('jsonSchemaError', () => {
  it('accepts JSON Schemas, the corpus shapes and the {name: type} map of app exports', () => {
    expect(jsonSchemaError(inputs)).toBeUndefined();
    expect(jsonSchemaError({ properties: { 'Dot.In.Name': { type: 'string' } }, required: [] })).toBeUndefined();
    expect(jsonSchemaError({ input1: 'string', input2: 'string' })).toBeUndefined();
    expect(jsonSchemaError({})).toBeUndefined();
  });

  it('refuses unknown keywords, wrong keyword values, unresolvable references and patterns RE2 cannot run', () => {
    expect(jsonSchemaError({ type: 'object', requird: ['a'] })).toMatch(/unknown keyword: "requird"/);
    expect(jsonSchemaError({ type: 'text' })).toMatch(/schema is invalid/);
    expect(jsonSchemaError({ $ref: 'https://example.com/schema.json' })).toMatch(/resolve reference/);
    expect(jsonSchemaError({ type: 'string', pattern: '(?<=a)b' })).toBeDefined();
    expect(jsonSchemaError({ type: 'string', format: 'no-such-format' })).toMatch(/unknown format/);
  });

  it('compiles a schema with an $id again (ajv keeps no schema between checks)', () => {
    const schema = { $id: 'https://example.com/inputs', type: 'object' };
    expect(jsonSchemaError(schema)).toBeUndefined();
    expect(jsonSchemaError({ ...schema, required: [] })).toBeUndefined();
  });

  it(
    'answers a message or undefined for any JSON object, never throwing, with prototypes unchanged (property)',
    () => {
      fc.assert(
        fc.property(hostileJson(5), (value) => {
          const schema = isPlainObject(value) ? value : { anyOf: [value] };
          const error = jsonSchemaError(schema as JsonObject);
          expect(error === undefined || typeof error === 'string').toBe(true);
        }),
        runs(300),
      );
      expectPrototypesUnchanged();
    },
    PROPERTY_TIMEOUT,
  );
});

describe('jsonSchemaProblems', () => {
  it('is empty for a value that fits', () => {
    expect(jsonSchemaProblems(inputs, { email: 'a@b.co', tags: ['x'], order: { total: 3 } }, 'inputs')).toEqual([]);
  });

  it('lists every problem at its path under the root', () => {
    const problems = jsonSchemaProblems(inputs, { tags: ['x', 2], order: { total: -1, extra: true } }, 'inputs');
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'inputs.email', message: 'required' },
        { path: 'inputs.tags[1]', message: 'must be string' },
        { path: 'inputs.order.total', message: 'must be >= 0' },
        { path: 'inputs.order', message: 'unknown property "extra"' },
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('checks values against the {name: type} map of app exports', () => {
    expect(jsonSchemaProblems({ input1: 'string' }, { input1: 5 }, 'inputs')).toEqual([
      { path: 'inputs.input1', message: 'must be string' },
    ]);
  });

  it('reports a schema that does not compile as one problem at the root', () => {
    expect(jsonSchemaProblems({ type: 'text' }, {}, 'outputs')).toEqual([
      { path: 'outputs', message: expect.stringContaining('the schema is not valid') },
    ]);
  });
});
