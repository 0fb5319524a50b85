import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import type { EvalContext } from '../../src/core/context';
import { renderTemplate, templatePaths, templateSyntaxError } from '../../src/core/templates';

const NOW = Date.UTC(2024, 0, 31, 12, 0, 0);

const ctx: EvalContext = {
  now: NOW,
  steps: {
    '1': {
      name: 'Ann <ann@example.com>',
      quote: `"It's" & more`,
      mixed: 'MiXeD Case',
      count: 0,
      total: '19.5',
      n: 7,
      vip: false,
      none: null,
      tags: ['vip', 'email'],
      items: [
        { sku: 'A1', qty: 2 },
        { sku: 'B2', qty: 1 },
      ],
      createdAt: '2024-01-01T08:30:00Z',
      closedAt: '2024-01-03T20:30:00Z',
      epoch: Date.UTC(2024, 0, 1),
      custom: { orderNumberStr: 'A-1001' },
    },
    'step-2': { status: 'done' },
  },
  error: { message: 'Bad <gateway>', code: 'E_HTTP_502' },
};

describe('renderTemplate', () => {
  it.each([
    {
      name: 'escapes HTML in double braces',
      template: 'Hi {{steps.1.name}}',
      expected: 'Hi Ann &lt;ann@example.com&gt;',
    },
    {
      name: 'escapes quotes and ampersands',
      template: '{{steps.1.quote}}',
      expected: '&quot;It&#x27;s&quot; &amp; more',
    },
    {
      name: 'does not escape in triple braces',
      template: 'Hi {{{steps.1.name}}}',
      expected: 'Hi Ann <ann@example.com>',
    },
    { name: 'renders a missing value as empty', template: '[{{steps.1.nope}}][{{{steps.9.x}}}]', expected: '[][]' },
    { name: 'renders null as empty', template: '[{{steps.1.none}}]', expected: '[]' },
    { name: 'renders zero and false', template: '{{steps.1.count}} {{steps.1.vip}}', expected: '0 false' },
    { name: 'renders an array comma-joined', template: '{{steps.1.tags}}', expected: 'vip,email' },
    {
      name: 'reads array elements and length',
      template: '{{steps.1.items.1.sku}} of {{steps.1.items.length}}',
      expected: 'B2 of 2',
    },
    { name: 'reads a step id with a dash', template: '{{steps.step-2.status}}', expected: 'done' },
    {
      name: 'reads the error',
      template: '{{error.code}}: {{error.message}}',
      expected: 'E_HTTP_502: Bad &lt;gateway&gt;',
    },
    { name: 'reads nothing from variables', template: '[{{variables.abc}}]', expected: '[]' },
    {
      name: 'does not reach prototypes',
      template: '[{{steps.1.constructor}}][{{steps.1.__proto__}}][{{steps.1.tags.map}}]',
      expected: '[][][]',
    },
    { name: 'keeps text without tags', template: 'plain {text}', expected: 'plain {text}' },
  ])('$name', ({ template, expected }) => {
    expect(renderTemplate(template, ctx)).toBe(expected);
  });

  it.each([
    { name: '#if on a present value', template: '{{#if steps.1.tags}}yes{{else}}no{{/if}}', expected: 'yes' },
    { name: '#if on a missing value', template: '{{#if steps.1.nope}}yes{{else}}no{{/if}}', expected: 'no' },
    { name: '#if on zero', template: '{{#if steps.1.count}}yes{{else}}no{{/if}}', expected: 'no' },
    {
      name: '#if on zero with includeZero',
      template: '{{#if steps.1.count includeZero=true}}yes{{else}}no{{/if}}',
      expected: 'yes',
    },
    { name: '#unless on false', template: '{{#unless steps.1.vip}}regular{{/unless}}', expected: 'regular' },
    {
      name: '#each over an array',
      template: '{{#each steps.1.items}}{{@index}}:{{sku}}x{{qty}};{{/each}}',
      expected: '0:A1x2;1:B2x1;',
    },
    {
      name: '#each with @root inside',
      template: '{{#each steps.1.tags}}{{this}}@{{@root.steps.step-2.status}} {{/each}}',
      expected: 'vip@done email@done ',
    },
    { name: '#each over a missing value', template: '{{#each steps.1.nope}}x{{else}}none{{/each}}', expected: 'none' },
  ])('supports $name', ({ template, expected }) => {
    expect(renderTemplate(template, ctx)).toBe(expected);
  });

  it.each([
    { template: '{{toLower steps.1.mixed}}', expected: 'mixed case' },
    { template: '{{toUpper steps.1.mixed}}', expected: 'MIXED CASE' },
    { template: '{{toUpper steps.1.n}}', expected: '7' },
    { template: '[{{toLower steps.1.nope}}]', expected: '[]' },
    { template: '[{{toLower steps.1.tags}}]', expected: '[]' },
    { template: "{{math steps.1.n '+' 3}}", expected: '10' },
    { template: "{{math steps.1.total '-' 0.5}}", expected: '19' },
    { template: "{{math steps.1.n '*' '2'}}", expected: '14' },
    { template: "{{math steps.1.n '/' 2}}", expected: '3.5' },
    { template: "{{math steps.1.n '%' 4}}", expected: '3' },
    { template: "[{{math steps.1.n '/' 0}}]", expected: '[]' },
    { template: "[{{math steps.1.name '+' 1}}]", expected: '[]' },
    { template: "[{{math steps.1.nope '+' 1}}]", expected: '[]' },
    { template: "[{{math steps.1.n '^' 2}}]", expected: '[]' },
    { template: "{{math (math steps.1.n '+' 1) '*' 2}}", expected: '16' },
    { template: '{{{json steps.1.tags}}}', expected: '["vip","email"]' },
    { template: '{{json steps.1.tags}}', expected: '[&quot;vip&quot;,&quot;email&quot;]' },
    { template: '{{{json steps.1.items.[0]}}}', expected: '{"sku":"A1","qty":2}' },
    { template: '{{{json steps.1.n}}}', expected: '7' },
    { template: '[{{{json steps.1.nope}}}]', expected: '[]' },
  ])('renders $template as $expected', ({ template, expected }) => {
    expect(renderTemplate(template, ctx)).toBe(expected);
  });

  it.each([
    { template: "{{date 'hours' count=0}}", expected: '2024-01-31T12:00:00.000Z' },
    { template: '{{date}}', expected: '2024-01-31T12:00:00.000Z' },
    { template: "{{date 'hours' count=2}}", expected: '2024-01-31T14:00:00.000Z' },
    { template: "{{date 'days' count=-31}}", expected: '2023-12-31T12:00:00.000Z' },
    { template: "{{date 'month' count=1}}", expected: '2024-02-29T12:00:00.000Z' },
    { template: "{{date 'minutes' count='30'}}", expected: '2024-01-31T12:30:00.000Z' },
    { template: "[{{date 'fortnights' count=1}}]", expected: '[]' },
    { template: "{{dateFormat steps.1.createdAt format='LL'}}", expected: 'January 1, 2024' },
    { template: "{{dateFormat steps.1.createdAt format='YYYY-MM-DD HH:mm'}}", expected: '2024-01-01 08:30' },
    { template: "{{dateFormat steps.1.createdAt 'Do MMM'}}", expected: '1st Jan' },
    { template: "{{dateFormat steps.1.epoch format='x'}}", expected: String(Date.UTC(2024, 0, 1)) },
    { template: "{{dateFormat (date 'days' count=1) format='dddd'}}", expected: 'Thursday' },
    { template: '{{dateFormat steps.1.createdAt}}', expected: '2024-01-01T08:30:00.000Z' },
    { template: "[{{dateFormat steps.1.name format='LL'}}]", expected: '[]' },
    { template: "{{dateDiff 'days' from=steps.1.createdAt to=steps.1.closedAt}}", expected: '2' },
    { template: "{{dateDiff 'hours' from=steps.1.createdAt to=steps.1.closedAt}}", expected: '60' },
    { template: "{{dateDiff 'days' from=steps.1.closedAt to=steps.1.createdAt}}", expected: '-2' },
    { template: "{{dateDiff 'days' from=steps.1.createdAt}}", expected: '30' },
    { template: '{{dateDiff from=steps.1.createdAt}}', expected: String(NOW - Date.UTC(2024, 0, 1, 8, 30)) },
    { template: "[{{dateDiff 'days' from=steps.1.nope}}]", expected: '[]' },
    { template: "[{{dateDiff 'eons' from=steps.1.createdAt}}]", expected: '[]' },
  ])('renders $template from the context clock as $expected', ({ template, expected }) => {
    expect(renderTemplate(template, ctx)).toBe(expected);
  });

  it('renders the same date for the same context now, whatever the wall clock', () => {
    const at = (now: number) => renderTemplate("{{date 'seconds' count=1}}", { steps: {}, now });
    expect(at(0)).toBe('1970-01-01T00:00:01.000Z');
    expect(at(0)).toBe(at(0));
  });

  it('keeps its helpers off the global Handlebars instance', () => {
    expect(Handlebars.helpers['toLower']).toBeUndefined();
    Handlebars.registerHelper('shout', () => 'GLOBAL');
    try {
      expect(() => renderTemplate('{{shout steps.1.n}}', ctx)).toThrow(/template error: Missing helper: "shout"/);
    } finally {
      Handlebars.unregisterHelper('shout');
    }
  });

  it.each([
    { name: 'it does not parse', template: 'Hi {{steps.1.name', error: /^template error: Parse error on line 1:/ },
    {
      name: 'it calls an unknown helper with arguments',
      template: '{{randomId 5}}',
      error: /Missing helper: "randomId"/,
    },
    { name: 'it uses the disabled log helper', template: '{{log steps.1.n}}', error: /Missing helper: "log"/ },
  ])('throws when $name', ({ template, error }) => {
    expect(() => renderTemplate(template, ctx)).toThrow(error);
  });

  it('still renders correctly after more distinct templates than the cache holds', () => {
    for (let i = 0; i < 600; i++) expect(renderTemplate(`${i}:{{steps.1.n}}`, ctx)).toBe(`${i}:7`);
    expect(renderTemplate('0:{{steps.1.n}}', ctx)).toBe('0:7');
  });
});

describe('templateSyntaxError', () => {
  it.each([
    'Hi {{{steps.1.name}}}',
    '{{#if steps.1.x}}a{{else if steps.1.y}}b{{else}}c{{/if}}',
    "{{#each steps.1.items}}{{lookup this 'sku'}}{{/each}}",
    "{{dateDiff 'days' from=steps.1.a to=(date 'days' count=1)}}",
    '{{unknownButNoArgs}}',
    '{{steps.1.tags.[0]}} {{steps.1.tags.0.x}}',
    '{{!-- a comment --}}plain',
  ])('accepts %s', (template) => {
    expect(templateSyntaxError(template)).toBeUndefined();
  });

  it.each([
    { template: 'Hi {{steps.1.name', error: /^Parse error on line 1: Expecting 'ID', got 'INVALID'$/ },
    {
      template: '{{json steps.1}}',
      error: /got 'NUMBER' \(a path cannot end in a number: write steps\.\[1\] or list\.\[0\]\)$/,
    },
    { template: '{{#if a}}x{{/each}}', error: /if doesn't match each/ },
    { template: '{{> partial}}', error: /^partials are not supported$/ },
    { template: '{{#> layout}}x{{/layout}}', error: /^partials are not supported$/ },
    { template: '{{foo steps.1.x}}', error: /^unknown helper "foo"$/ },
    { template: '{{randomId size=5}}', error: /^unknown helper "randomId"$/ },
    { template: '{{log steps.1.x}}', error: /^unknown helper "log"$/ },
    { template: '{{toLower (shout steps.1.x)}}', error: /^unknown helper "shout"$/ },
    { template: '{{if steps.1.x}}', error: /"if" must be used as a block/ },
    { template: '{{#if}}x{{/if}}', error: /^#if needs exactly one argument$/ },
    { template: '{{#each a b}}x{{/each}}', error: /^#each needs exactly one argument$/ },
    { template: '{{lookup steps.a}}', error: /^lookup needs exactly two arguments$/ },
  ])('reports $template', ({ template, error }) => {
    expect(templateSyntaxError(template)).toMatch(error);
  });
});

describe('templatePaths', () => {
  it('lists data paths from mustaches, params, hashes, subexpressions and @root', () => {
    const paths = templatePaths(
      "{{#if steps.a.x}}{{toLower steps.b.y}}{{/if}}{{dateDiff 'days' from=(toLower steps.c.z)}}{{@root.steps.d.w}}{{@index}}",
    );
    expect(paths).toEqual([
      ['if'],
      ['steps', 'a', 'x'],
      ['toLower'],
      ['steps', 'b', 'y'],
      ['dateDiff'],
      ['toLower'],
      ['steps', 'c', 'z'],
      ['steps', 'd', 'w'],
    ]);
  });

  it('returns undefined for a template that does not parse', () => {
    expect(templatePaths('{{oops')).toBeUndefined();
  });
});
