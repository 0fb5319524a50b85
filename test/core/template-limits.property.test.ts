import fc from 'fast-check';
import Handlebars from 'handlebars';
import { describe, expect, it, vi } from 'vitest';
import type { JsonValue } from '../../src/core/json';
import {
  MAX_TEMPLATE_ITERATIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_NESTING,
  MAX_TEMPLATE_OUTPUT,
} from '../../src/core/limits';
import { templateNesting } from '../../src/core/template-scan';
import { renderTemplate, templatePaths, templateSyntaxError } from '../../src/core/templates';
import { expectPrototypesUnchanged, objectFromEntries, PROPERTY_TIMEOUT, runs, withinBudget } from './hostile';
import { anyTemplate, contextOf, LIMIT_ERROR, nestedTemplate, render } from './template-arbitraries';

/*
 * Properties of the template limits (templateNesting, the save-time length and nesting limits, the
 * render's output and iteration limits):
 * 1. The nesting scan never counts less than Handlebars' parser nests, whatever the text (escapes,
 *    comments, raw blocks, strings and `[segments]` holding braces and parentheses).
 * 2. Loops over big arrays and repeated big values stop at the output or iteration limit, within a
 *    time budget, instead of building megabytes.
 * Then the named regression examples these properties (and templates.property.test.ts) found.
 */

// ---- 1. the nesting scan -------------------------------------------------------------------------

const NESTING_TYPES = new Set(['BlockStatement', 'PartialBlockStatement', 'DecoratorBlock', 'SubExpression']);

/** How deeply Handlebars' AST nests blocks (an `{{else if}}` is a block inside the inverse) and subexpressions. */
function astNesting(node: unknown, depth = 0): number {
  if (Array.isArray(node)) return node.reduce((max: number, child) => Math.max(max, astNesting(child, depth)), depth);
  if (typeof node !== 'object' || node === null) return depth;
  const here = NESTING_TYPES.has((node as { type?: string }).type ?? '') ? depth + 1 : depth;
  let max = here;
  for (const [key, child] of Object.entries(node)) if (key !== 'loc') max = Math.max(max, astNesting(child, here));
  return max;
}

describe('templateNesting (property: never below the parser)', { timeout: PROPERTY_TIMEOUT }, () => {
  it('counts at least the nesting of every template Handlebars parses', () => {
    let parsed = 0;
    let deepest = 0;
    fc.assert(
      fc.property(fc.oneof(anyTemplate, nestedTemplate), (template) => {
        let ast: unknown;
        try {
          ast = Handlebars.parseWithoutProcessing(template);
        } catch {
          return;
        }
        parsed++;
        const nesting = astNesting(ast);
        deepest = Math.max(deepest, nesting);
        expect(templateNesting(template)).toBeGreaterThanOrEqual(nesting);
      }),
      runs(600),
    );
    expect(parsed).toBeGreaterThan(300);
    expect(deepest).toBeGreaterThanOrEqual(6);
  });

  it('stops counting past the limit it is given', () => {
    const deep = `{{a ${'(a '.repeat(1000)}x${')'.repeat(1000)}}}`;
    expect(templateNesting(deep)).toBe(1000);
    expect(templateNesting(deep, 32)).toBe(33);
  });
});

// ---- 2. budgets ----------------------------------------------------------------------------------

describe('renderTemplate (property: loops and repetition stop at the limits)', { timeout: PROPERTY_TIMEOUT }, () => {
  const bodies = fc.constantFrom(
    '',
    '{{this}}',
    '{{{this}}},',
    '{{{json @root.steps.[1]}}}',
    'xxxxxxxxxxxxxxxx',
    '{{@index}}',
  );
  it('stops nested loops over big arrays at the output or iteration limit, in bounded time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 20_000 }),
        bodies,
        (levels, size, inner) => {
          const list = Array.from({ length: size }, (_, i) => (i % 2 === 0 ? i : `<${i}>`));
          const ctx = contextOf({ list }, null);
          const template =
            '{{#each steps.[1].list}}' +
            '{{#each @root.steps.[1].list}}'.repeat(levels - 1) +
            inner +
            '{{/each}}'.repeat(levels);
          const result = withinBudget(2000, () => render(template, ctx));
          if ('error' in result) expect(result.error).toMatch(LIMIT_ERROR);
          else expect(result.out.length).toBeLessThanOrEqual(MAX_TEMPLATE_OUTPUT);
        },
      ),
      runs(12),
    );
  });

  it('stops repeated big values at the output limit, in bounded time', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          '{{steps.[1].big}}',
          '{{{steps.[1].big}}}',
          '{{steps.[1].list}}',
          '{{{json steps.[1]}}}',
          '{{toUpper steps.[1].big}}',
        ),
        fc.constantFrom(1, 10, 100, 1500),
        fc.integer({ min: 1, max: 400_000 }),
        (mustache, times, size) => {
          const template = mustache.repeat(times);
          renderTemplate(template, contextOf({}, null)); // compiled outside the timing: only the render is budgeted
          const big = 'a<'.repeat(size / 2);
          const ctx = contextOf({ big, list: Array.from({ length: size / 8 }, (_, i) => i) }, null);
          const result = withinBudget(1000, () => render(template, ctx));
          if ('error' in result) {
            expect(result.error).toMatch(/^template error: (output exceeds \d+ characters|Invalid string length)$/);
          } else {
            expect(result.out.length).toBeLessThanOrEqual(MAX_TEMPLATE_OUTPUT);
          }
        },
      ),
      runs(12),
    );
  });
});

// ---- named regression examples -------------------------------------------------------------------

describe('templates (regressions found by the properties)', () => {
  const ctx = contextOf({ name: 'Ann', list: [1, 2, 3] }, null);

  it('refuses on save a 12 KB template nesting 3,000 subexpressions, without parsing it', () => {
    const template = `{{a ${'(a '.repeat(3000)}x${')'.repeat(3000)}}}`;
    expect(template.length).toBeLessThan(MAX_TEMPLATE_LENGTH);
    const problem = withinBudget(100, () => templateSyntaxError(template));
    expect(problem).toBe(`blocks, {{else}} chains and subexpressions nest deeper than ${MAX_TEMPLATE_NESTING} levels`);
    expect(templatePaths(template)).toBeUndefined();
  });

  it.each([1500, 2000])('refuses on save trigger templates nesting %i subexpressions', (depth) => {
    const template = `{{a ${'(a '.repeat(depth)}steps.1.x${')'.repeat(depth)}}}`;
    expect(withinBudget(100, () => templateSyntaxError(template))).toMatch(/nest deeper than/);
  });

  it('refuses on save an {{else if}} chain longer than the nesting limit (each link nests)', () => {
    const chain = (n: number) => `{{#if a}}x${'{{else if a}}x'.repeat(n)}{{/if}}`;
    expect(templateSyntaxError(chain(MAX_TEMPLATE_NESTING - 1))).toBeUndefined();
    expect(templateSyntaxError(chain(MAX_TEMPLATE_NESTING))).toMatch(/nest deeper than/);
  });

  it('accepts and renders nesting up to the limit', () => {
    const template = `{{toLower ${'(toLower '.repeat(MAX_TEMPLATE_NESTING - 1)}steps.1.name${')'.repeat(MAX_TEMPLATE_NESTING - 1)}}}`;
    expect(templateSyntaxError(template)).toBeUndefined();
    expect(renderTemplate(template, ctx)).toBe('ann');
  });

  it('refuses on save a template longer than the limit', () => {
    expect(templateSyntaxError('x'.repeat(MAX_TEMPLATE_LENGTH))).toBeUndefined();
    expect(templateSyntaxError('x'.repeat(MAX_TEMPLATE_LENGTH + 1))).toBe(
      `longer than ${MAX_TEMPLATE_LENGTH} characters (${MAX_TEMPLATE_LENGTH + 1})`,
    );
  });

  it('stops a nested {{#each}} building 10 MB at the output limit, early', () => {
    const list = Array.from({ length: 1000 }, (_, i) => `${'x'.repeat(90)}-${i}`);
    const big = contextOf({ list }, null);
    const template = '{{#each steps.1.list}}{{#each @root.steps.1.list}}{{this}}{{/each}}{{/each}}';
    expect(() => withinBudget(500, () => renderTemplate(template, big))).toThrow(
      `template error: output exceeds ${MAX_TEMPLATE_OUTPUT} characters`,
    );
  });

  it('stops loops that render nothing at the iteration limit', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => i);
    const template = '{{#each steps.1.list}}{{#each @root.steps.1.list}}{{/each}}{{/each}}';
    expect(() => withinBudget(1000, () => renderTemplate(template, contextOf({ list }, null)))).toThrow(
      `template error: loops run more than ${MAX_TEMPLATE_ITERATIONS} iterations`,
    );
  });

  it('stops a template repeating a 400 KB value at the output limit before escaping it 1,500 times', () => {
    const template = '{{steps.1.big}}'.repeat(1500);
    renderTemplate(template, ctx); // compiled outside the timing
    const big = contextOf({ big: '<'.repeat(400_000) }, null);
    expect(() => withinBudget(500, () => renderTemplate(template, big))).toThrow(
      `template error: output exceeds ${MAX_TEMPLATE_OUTPUT} characters`,
    );
  });

  it('counts a loop section over an array ({{#list}}...{{/list}}) like {{#each}}', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => i);
    expect(() =>
      renderTemplate(
        '{{#steps.1.list}}{{#@root.steps.1.list}}{{/@root.steps.1.list}}{{/steps.1.list}}',
        contextOf({ list }, null),
      ),
    ).toThrow(/loops run more than/);
  });

  it.each(['helperMissing', 'blockHelperMissing'])(
    'refuses on save calls of the hook %s (they throw when rendered)',
    (hook) => {
      for (const template of [`{{${hook}}}`, `{{#${hook}}}x{{/${hook}}}`, `{{toLower (${hook})}}`]) {
        expect(templateSyntaxError(template)).toBe(`"${hook}" is not a helper a template may call`);
      }
    },
  );

  it('renders objects whose own toString or valueOf are data instead of throwing a TypeError', () => {
    const hostile = JSON.parse('{"toString":"x","valueOf":1,"toHTML":true}') as JsonValue;
    const c = contextOf({ o: hostile, list: [hostile, 1] }, null);
    expect(renderTemplate('{{steps.1.o}}|{{{steps.1.o}}}|{{steps.1.list}}', c)).toBe(
      '[object Object]|[object Object]|[object Object],1',
    );
    expect(renderTemplate('[{{lookup steps.[1] steps.1.o}}]', c)).toBe('[]');
  });

  it('never writes to the console when a template reaches for a prototype member', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(renderTemplate('[{{steps.1.toLocaleString}}][{{steps.1.list.propertyIsEnumerable}}]', ctx)).toBe('[][]');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('renders the date helper past the dates JavaScript holds as empty, not an error', () => {
    const c = contextOf({ n: 300_000, huge: 1e308 }, null);
    expect(renderTemplate("[{{date 'years' count=steps.1.n}}][{{date 'days' count=steps.1.huge}}]", c)).toBe('[][]');
    expect(renderTemplate("[{{dateDiff 'days' from=steps.1.huge}}][{{dateFormat steps.1.huge}}]", c)).toBe('[][]');
  });

  it('formats a date with thousands of unmatched "[" in linear time, as dayjs would', () => {
    const c = contextOf({ f: `YYYY [x] ${'['.repeat(50_000)}`, t: '2024-05-01T10:00:00Z' }, null);
    const out = withinBudget(500, () => renderTemplate('{{{dateFormat steps.1.t format=steps.1.f}}}', c));
    expect(out).toBe(`2024 x ${'['.repeat(50_000)}`);
  });

  it('keeps own "__proto__" keys as data and objects built from them plain', () => {
    const c = contextOf(objectFromEntries([['__proto__', { polluted: 'yes' }]]), null);
    expect(renderTemplate('{{steps.1.__proto__.polluted}}{{#each steps.[1]}}{{@key}}{{/each}}', c)).toBe(
      'yes__proto__',
    );
    expectPrototypesUnchanged();
  });
});
