import fc from 'fast-check';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import type { EvalContext } from '../../src/core/context';
import { MAX_TEMPLATE_OUTPUT } from '../../src/core/limits';
import { HELPERS } from '../../src/core/template-helpers';
import { renderTemplate, templatePaths, templateSyntaxError } from '../../src/core/templates';
import { expectPrototypesUnchanged, PROPERTY_TIMEOUT, PROTO_NAMES, runs, withinBudget } from './hostile';
import { anyTemplate, data, LIMIT_ERROR, render, RENDER_ERROR, wellFormed } from './template-arbitraries';

/*
 * Properties of templates (renderTemplate, templateSyntaxError, templatePaths):
 * 1. Total and bounded: for any template text and any JSON data, the save-time checks return a
 *    message or nothing and never throw; rendering returns at most MAX_TEMPLATE_OUTPUT characters or
 *    throws an Error "template error: ..."; a template the save-time check accepts fails to render
 *    only on a render limit; built-in prototypes are unchanged; everything within a time budget.
 * 2. Own data only: a path or `lookup` renders exactly what walking own properties gives, so
 *    `constructor`, `__proto__`, `toString`... never reach inherited members.
 * 3. Same text as Handlebars: for data without hostile keys, a valid template renders exactly what a
 *    plain Handlebars environment with the same helpers renders (the limits only ever stop a render).
 * The nesting scan and the render limits are in template-limits.property.test.ts.
 */

// ---- 1. total and bounded ------------------------------------------------------------------------

describe('templates (property: total, bounded, prototypes untouched)', { timeout: PROPERTY_TIMEOUT }, () => {
  it('checks any template without throwing and renders it within the output limit or fails with a template error', () => {
    fc.assert(
      fc.property(anyTemplate, data, (template, ctx) => {
        const problem = withinBudget(1000, () => templateSyntaxError(template));
        expect(problem === undefined || typeof problem === 'string').toBe(true);
        const paths = templatePaths(template);
        if (paths !== undefined) for (const p of paths) expect(p.every((s) => typeof s === 'string')).toBe(true);
        const result = withinBudget(1000, () => render(template, ctx));
        if ('out' in result) {
          expect(result.out.length).toBeLessThanOrEqual(MAX_TEMPLATE_OUTPUT);
          expect(result.out).not.toMatch(/\[native code\]|function \w*\(/);
        } else {
          expect(result.error).toMatch(RENDER_ERROR);
          // Accepted on save means it renders, whatever the data, unless a render limit stops it.
          if (problem === undefined) expect(result.error).toMatch(LIMIT_ERROR);
        }
        expectPrototypesUnchanged();
      }),
      runs(300),
    );
  });
});

// ---- 2. own data only ----------------------------------------------------------------------------

/**
 * What Handlebars' lookups give when only own properties count (strings: own indexes and length).
 * A path stops at null or undefined; the `lookup` helper stops at any falsy value and returns it.
 */
function ownWalk(root: unknown, segments: readonly string[], stopAtFalsy = false): unknown {
  let current = root;
  for (const segment of segments) {
    if (current === undefined || current === null || (stopAtFalsy && !current)) return current;
    const holder = Object(current) as Record<string, unknown>;
    current = Object.hasOwn(holder, segment) ? holder[segment] : undefined;
  }
  return current;
}

function shown(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(shown).join(',');
  return typeof value === 'object' ? '[object Object]' : String(value);
}

describe('templates (property: own data only)', { timeout: PROPERTY_TIMEOUT }, () => {
  const segments = fc.array(fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.constantFrom('1', 'a', '0', 'b', 'x')), {
    minLength: 1,
    maxLength: 4,
  });

  it('renders a path as the walk over own properties gives it', () => {
    fc.assert(
      fc.property(data, segments, (ctx, segs) => {
        const template = `{{{steps.${segs.map((s) => `[${s}]`).join('.')}}}}`;
        const root = { steps: ctx.steps };
        expect(renderTemplate(template, ctx)).toBe(shown(ownWalk(root, ['steps', ...segs])));
        expectPrototypesUnchanged();
      }),
      runs(300),
    );
  });

  it('renders lookup chains as the walk over own properties gives them', () => {
    fc.assert(
      fc.property(data, segments, (ctx, segs) => {
        const call = segs.reduce((inner, s) => `(lookup ${inner} ${JSON.stringify(s)})`, 'steps');
        const template = `{{{json ${call}}}}`;
        const value = ownWalk({ steps: ctx.steps }, ['steps', ...segs], true);
        // `json` renders undefined as ''.
        expect(renderTemplate(template, ctx)).toBe(value === undefined ? '' : JSON.stringify(value));
      }),
      runs(200),
    );
  });
});

// ---- 3. same text as Handlebars ------------------------------------------------------------------

const reference = (() => {
  const env = Handlebars.create();
  env.unregisterHelper('log');
  env.registerHelper(HELPERS);
  return env;
})();
const RUNTIME = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

function referenceRender(template: string, ctx: EvalContext): { out: string } | { error: string } {
  try {
    const fn = reference.compile(template, { knownHelpersOnly: false, strict: false, knownHelpers: { log: false } });
    const root =
      ctx.error === undefined
        ? { steps: ctx.steps, variables: {} }
        : { steps: ctx.steps, error: ctx.error, variables: {} };
    return { out: fn(root, { data: { now: ctx.now }, ...RUNTIME }) };
  } catch (error) {
    return { error: String(error) };
  }
}

describe('renderTemplate (property: the text Handlebars renders)', { timeout: PROPERTY_TIMEOUT }, () => {
  it('renders what a plain Handlebars environment with the same helpers renders', () => {
    let compared = 0;
    fc.assert(
      fc.property(wellFormed, data, (template, ctx) => {
        if (templateSyntaxError(template) !== undefined) return;
        const ours = render(template, ctx);
        const theirs = referenceRender(template, ctx);
        if ('error' in ours) {
          expect(ours.error).toMatch(LIMIT_ERROR);
          return;
        }
        // Handlebars throws a TypeError for objects whose own toString/valueOf are data; we render them.
        if ('error' in theirs) return;
        compared++;
        expect(ours.out).toBe(theirs.out);
      }),
      runs(300),
    );
    expect(compared).toBeGreaterThan(100);
  });
});
