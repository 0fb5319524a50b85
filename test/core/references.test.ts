import { describe, expect, it } from 'vitest';
import type { EvalContext } from '../../src/core/context';
import type { JsonValue } from '../../src/core/json';
import {
  classifyValue,
  referencedSteps,
  referencedVariables,
  referencesError,
  resolveParams,
  resolveValue,
  valueProblems,
} from '../../src/core/references';

const ctx: EvalContext = {
  now: Date.UTC(2024, 0, 31, 12),
  steps: {
    '1': {
      id: 'conv-1',
      messageCount: 7,
      vip: false,
      none: null,
      channels: ['email', 'chat'],
      list: [{ x: 'first' }, { x: 'second' }],
      custom: { orderNumberStr: 'A<1>' },
      totalStr: '19.90',
    },
    lookup: { emails: [{ email: 'ann@example.com' }], name: 'Ann' },
  },
  error: { message: 'Request failed', code: 'E_HTTP_500' },
};

describe('classifyValue', () => {
  it.each<{ value: unknown; expected: string }>([
    { value: '/#steps.1.id', expected: 'reference' },
    { value: '/#error.message', expected: 'reference' },
    { value: '/#foo', expected: 'reference' },
    { value: '/#fn:parseInt,steps.1.x', expected: 'function' },
    { value: '/#steps.{{x}}', expected: 'reference' },
    { value: 'Order {{{steps.1.id}}} shipped', expected: 'template' },
    { value: 'Order /#steps.1.id', expected: 'literal' },
    { value: ' /#steps.1.id', expected: 'literal' },
    { value: 'plain', expected: 'literal' },
    { value: '{ not a template }', expected: 'literal' },
    { value: 3, expected: 'literal' },
    { value: null, expected: 'literal' },
    { value: ['/#steps.1.id'], expected: 'literal' },
    { value: { a: '/#steps.1.id' }, expected: 'literal' },
  ])('classifies $value as $expected', ({ value, expected }) => {
    expect(classifyValue(value)).toBe(expected);
  });
});

describe('resolveValue', () => {
  it.each<{ name: string; value: JsonValue; expected: JsonValue | undefined }>([
    { name: 'keeps a string reference a string', value: '/#steps.1.id', expected: 'conv-1' },
    { name: 'keeps a number reference a number', value: '/#steps.1.messageCount', expected: 7 },
    { name: 'keeps a false reference false', value: '/#steps.1.vip', expected: false },
    { name: 'keeps a null reference null', value: '/#steps.1.none', expected: null },
    { name: 'keeps an array reference an array', value: '/#steps.1.channels', expected: ['email', 'chat'] },
    { name: 'reads an array element by index', value: '/#steps.1.list.1.x', expected: 'second' },
    { name: 'reads an array length', value: '/#steps.1.channels.length', expected: 2 },
    {
      name: 'reads a nested path of another step',
      value: '/#steps.lookup.emails.0.email',
      expected: 'ann@example.com',
    },
    { name: 'reads the whole trigger output', value: '/#steps.lookup', expected: ctx.steps['lookup'] ?? null },
    { name: 'reads the error message', value: '/#error.message', expected: 'Request failed' },
    { name: 'reads the error code', value: '/#error.code', expected: 'E_HTTP_500' },
    { name: 'is missing for an absent key', value: '/#steps.1.nope', expected: undefined },
    { name: 'is missing for a step that has not run', value: '/#steps.later.id', expected: undefined },
    { name: 'is missing for an unknown root', value: '/#foo.bar', expected: undefined },
    { name: 'is missing for a prototype key', value: '/#steps.1.constructor', expected: undefined },
    { name: 'calls a function, typed', value: '/#fn:parseFloat,steps.1.totalStr', expected: 19.9 },
    { name: 'is missing for an unknown function', value: '/#fn:nope,steps.1.id', expected: undefined },
    { name: 'renders a template to a string', value: 'Msgs: {{steps.1.messageCount}}', expected: 'Msgs: 7' },
    { name: 'escapes in double braces', value: '#{{steps.1.custom.orderNumberStr}}', expected: '#A&lt;1&gt;' },
    { name: 'does not escape in triple braces', value: '#{{{steps.1.custom.orderNumberStr}}}', expected: '#A<1>' },
    { name: 'renders a missing template value as empty', value: 'x{{steps.1.nope}}y', expected: 'xy' },
    { name: 'keeps a text with /# inside literal', value: 'Order /#steps.1.id', expected: 'Order /#steps.1.id' },
    { name: 'keeps a number literal', value: 3, expected: 3 },
    { name: 'keeps a boolean literal', value: true, expected: true },
    { name: 'keeps null', value: null, expected: null },
    {
      name: 'resolves an array deeply and drops missing elements',
      value: ['/#steps.1.id', '/#steps.1.nope', 'vip', ['/#steps.1.messageCount']],
      expected: ['conv-1', 'vip', [7]],
    },
    {
      name: 'resolves an object deeply and leaves out missing keys',
      value: { id: '/#steps.1.id', gone: '/#steps.1.nope', custom: { n: '/#steps.1.messageCount', keep: 'x' } },
      expected: { id: 'conv-1', custom: { n: 7, keep: 'x' } },
    },
  ])('$name', ({ value, expected }) => {
    expect(resolveValue(value, ctx)).toEqual(expected);
  });

  it('is missing for /#error.* when no error is being handled', () => {
    expect(resolveValue('/#error.message', { steps: {}, now: 0 })).toBeUndefined();
  });

  it('throws when a template cannot be rendered', () => {
    expect(() => resolveValue('{{#if x}}', ctx)).toThrow(/template error: Parse error/);
  });
});

describe('resolveParams', () => {
  it('leaves out params that resolve to missing and keeps types of the rest', () => {
    const params = {
      conversation: '/#steps.1.id',
      priority: 4,
      assignee: '/#steps.lookup.assignee',
      body: 'VIP {{{steps.lookup.name}}} after {{{steps.1.messageCount}}} messages',
      flag: '/#fn:ifExists,steps.1.nope',
      total: '/#fn:parseFloat,steps.1.totalStr',
    };
    expect(resolveParams(params, ctx)).toStrictEqual({
      conversation: 'conv-1',
      priority: 4,
      body: 'VIP Ann after 7 messages',
      total: 19.9,
    });
  });

  it('keeps a "__proto__" param as a plain own key', () => {
    const params = JSON.parse('{"__proto__": "/#steps.1.id"}') as Record<string, JsonValue>;
    const resolved = resolveParams(params, ctx);
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(resolved, '__proto__')?.value).toBe('conv-1');
  });
});

describe('referencedSteps', () => {
  it.each<{ name: string; value: unknown; expected: string[] }>([
    { name: 'a reference', value: '/#steps.lookup.emails.0', expected: ['lookup'] },
    { name: 'the trigger', value: '/#steps.1.id', expected: ['1'] },
    { name: 'a function path', value: '/#fn:ifExists,steps.abc.x,none', expected: ['abc'] },
    { name: 'a dateFormat path', value: '/#fn:dateFormat,steps.d1.at,MMM D, YYYY', expected: ['d1'] },
    { name: 'a template path', value: 'Hi {{{steps.lookup.name}}}', expected: ['lookup'] },
    { name: 'an #if block param', value: '{{#if steps.x.y}}yes{{/if}}', expected: ['x'] },
    { name: 'a helper param', value: '{{toLower steps.x.y}}', expected: ['x'] },
    {
      name: 'a subexpression and hash',
      value: "{{math (toLower steps.a.b) '+' 1}}{{dateDiff 'days' from=steps.c.at}}",
      expected: ['a', 'c'],
    },
    { name: 'an @root path', value: '{{@root.steps.r.x}}', expected: ['r'] },
    { name: 'an id with a dash', value: '{{steps.8-gu8QS1s.x}}', expected: ['8-gu8QS1s'] },
    {
      name: 'a condition tree, deduplicated in first-use order',
      value: {
        op: 'and',
        values: [
          { op: 'eq', values: ['/#steps.b.x', '/#steps.a.y'] },
          {
            op: 'or',
            values: [
              { op: 'exists', values: ['/#steps.b.z'] },
              { op: 'gt', values: ['{{steps.c.n}}', 1] },
            ],
          },
        ],
      },
      expected: ['b', 'a', 'c'],
    },
    {
      name: 'params nested in arrays and objects',
      value: { a: [{ b: '/#steps.deep.x' }], c: 'text' },
      expected: ['deep'],
    },
    { name: 'nothing in literals', value: ['Order /#steps.1.id', 3, null, 'steps.x.y'], expected: [] },
    { name: 'nothing in error references', value: ['/#error.message', '{{error.code}}'], expected: [] },
    { name: 'nothing in a template that does not parse', value: '{{steps.x.y', expected: [] },
    { name: 'nothing for a bare steps path', value: '/#steps', expected: [] },
  ])('finds $name', ({ value, expected }) => {
    expect(referencedSteps(value)).toEqual(expected);
  });
});

describe('referencesError', () => {
  it.each<{ value: unknown; expected: boolean }>([
    { value: '/#error.message', expected: true },
    { value: 'Failed: {{error.code}}', expected: true },
    { value: '{{#if error.code}}x{{/if}}', expected: true },
    { value: '/#fn:ifExists,error.code,none', expected: true },
    { value: { op: 'eq', values: ['/#error.code', 'E_HTTP_500'] }, expected: true },
    { value: ['/#steps.1.error.message'], expected: false },
    { value: 'error.message', expected: false },
    { value: 'Order /#error.message', expected: false },
    { value: 42, expected: false },
  ])('returns $expected for $value', ({ value, expected }) => {
    expect(referencesError(value)).toBe(expected);
  });
});

describe('referencedVariables', () => {
  it('lists the ids and names templates read, deeply, once each', () => {
    const params = {
      uri: '{{{variables.63d19ecab24da0e2e2268462}}}/clients/{{{steps.1.id}}}',
      headers: { Authorization: 'Basic {{{variables.63da823147407a231b1bbfce}}}', 'X-Key': '{{variables.apiKey}}' },
      list: ['{{#if variables.apiKey}}{{variables.other}}{{/if}}', '/#steps.1.variables.x', 'variables.plain'],
    };
    expect(referencedVariables(params)).toEqual([
      '63d19ecab24da0e2e2268462',
      '63da823147407a231b1bbfce',
      'apiKey',
      'other',
    ]);
    expect(referencedVariables({ a: '{{{steps.1.id}}}', b: 3 })).toEqual([]);
  });
});

describe('resolveParams with variable markers', () => {
  it('renders variables.<ref> as the context gives it, and as empty without markers', () => {
    const params = { h: 'Bearer {{{variables.apiKey}}}', e: '{{variables.apiKey}}', x: 'k={{{variables.none}}}' };
    const markers = { apiKey: '⟨variables.apiKey:0123⟩' };
    expect(resolveParams(params, { ...ctx, variables: markers })).toEqual({
      h: 'Bearer ⟨variables.apiKey:0123⟩',
      e: '⟨variables.apiKey:0123⟩',
      x: 'k=',
    });
    expect(resolveParams(params, ctx)).toEqual({ h: 'Bearer ', e: '', x: 'k=' });
  });
});

describe('valueProblems', () => {
  it('returns nothing for valid values of every form', () => {
    const value = {
      a: '/#steps.1.id',
      b: '/#error.message',
      c: '/#fn:dateFormat,steps.1.at,MMM D, YYYY',
      d: ['{{#each steps.1.tags}}{{this}}{{/each}}', "{{math steps.1.n '+' 1}}", 'Order /#foo'],
      e: { op: 'regex', values: ['/#steps.1.x', '^a{2}$'] },
      f: 12,
    };
    expect(valueProblems(value)).toEqual([]);
  });

  it.each<{ name: string; value: unknown; path: (string | number)[]; message: RegExp }>([
    {
      name: 'an unknown function',
      value: { a: '/#fn:toUpperCase,steps.1.x' },
      path: ['a'],
      message: /unknown function "toUpperCase"/,
    },
    {
      name: 'a function without a path',
      value: ['/#fn:parseInt'],
      path: [0],
      message: /function parseInt needs a path/,
    },
    { name: 'a function with a bad root', value: '/#fn:parseInt,foo.x', path: [], message: /"foo\.x" must start with/ },
    {
      name: 'an unknown reference root',
      value: { a: { b: ['/#foo'] } },
      path: ['a', 'b', 0],
      message: /reference "\/#foo" must start with "\/#steps\." or "\/#error\."/,
    },
    { name: 'a reference without a step id', value: '/#steps.', path: [], message: /needs a step id/ },
    {
      name: 'a reference without an error field',
      value: '/#error',
      path: [],
      message: /needs a field after "\/#error\."/,
    },
    {
      name: 'a template that does not parse',
      value: { body: 'Hi {{steps.1.name' },
      path: ['body'],
      message: /^template: Parse error on line 1/,
    },
    { name: 'an unclosed block', value: '{{#if steps.1.x}}yes', path: [], message: /^template: Parse error/ },
    { name: 'an unknown helper', value: '{{randomId size=5}}', path: [], message: /unknown helper "randomId"/ },
  ])('reports $name', ({ value, path, message }) => {
    const problems = valueProblems(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(path);
    expect(problems[0]?.message).toMatch(message);
  });

  it('reports every problem with its own path', () => {
    const problems = valueProblems({ a: '/#foo', b: ['ok', '/#fn:nope,steps.1.x'] });
    expect(problems.map((p) => p.path)).toEqual([['a'], ['b', 1]]);
  });
});
