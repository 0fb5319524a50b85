import fc from 'fast-check';
import { expect } from 'vitest';
import type { EvalContext } from '../../src/core/context';
import type { JsonValue } from '../../src/core/json';
import { renderTemplate } from '../../src/core/templates';
import { hostileJson, PROTO_NAMES } from './hostile';

/**
 * Template text and data for the template properties (templates.property.test.ts,
 * template-limits.property.test.ts): well-formed templates over every helper and block, token soup,
 * deeply nested templates with the lexer's traps, and contexts of hostile JSON.
 */

export const RENDER_ERROR = /^template error: /;
export const LIMIT_ERROR = /^template error: (output exceeds \d+ characters|loops run more than \d+ iterations)$/;

// ---- template text -------------------------------------------------------------------------------

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1', 'a', 'b', 'x', 'list', 'name', 'n', '0', 'big') },
  fc.constantFrom(...PROTO_NAMES),
);
export const dataPath = fc
  .array(segment, { minLength: 1, maxLength: 3 })
  .map((parts) => `steps.${parts.map((p) => `[${p}]`).join('.')}`);
const path = fc.oneof(
  { weight: 5, arbitrary: dataPath },
  fc.constantFrom('this', '@index', '@key', '@first', '@root.steps.[1]', '../this', '@now', 'error.message', 'steps'),
);
const literal = fc.oneof(
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
  fc.constantFrom("'days'", "'hours'", "'years'", "'LLLL'", "'[x'", '0', '1', '-1', '2.5', '300000', 'true', 'null'),
);
const unit = fc.constantFrom("'days'", "'hours'", "'years'", "'ms'", "'fortnights'");

const { expr } = fc.letrec<{ expr: string; call: string }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    path,
    literal,
    tie('call').map((c) => `(${c})`),
  ),
  call: fc.oneof(
    fc.tuple(fc.constantFrom('toLower', 'toUpper', 'json'), tie('expr')).map(([h, a]) => `${h} ${a}`),
    fc
      .tuple(tie('expr'), fc.constantFrom('"+"', '"-"', '"*"', '"/"', '"%"', '"^"'), tie('expr'))
      .map(([a, op, b]) => `math ${a} ${op} ${b}`),
    fc.tuple(unit, tie('expr')).map(([u, c]) => `date ${u} count=${c}`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, f]) => `dateFormat ${a} format=${f}`),
    fc.tuple(unit, tie('expr'), tie('expr')).map(([u, a, b]) => `dateDiff ${u} from=${a} to=${b}`),
    fc.tuple(tie('expr'), tie('expr')).map(([o, k]) => `lookup ${o} ${k}`),
  ),
}));

const text = fc.oneof(
  fc.string({ maxLength: 5 }).map((s) => s.replace(/[{}\\]/g, '')),
  fc.constantFrom('<b>', '&', '\n', 'é', '\ud800', '(', ')', '}', '{ x }', '\\{{escaped}}', ' '),
);

/** Helper calls as mustaches, `{{helper args}}` and `{{{helper args}}}`. */
const mustacheCall = fc
  .tuple(fc.constantFrom('{{', '{{{'), expr)
  .filter(([, e]) => e.startsWith('('))
  .map(([open, e]) => `${open}${e.slice(1, -1)}${open === '{{' ? '}}' : '}}}'}`);

const { body } = fc.letrec<{ body: string; part: string; block: string }>((tie) => ({
  body: fc.array(tie('part'), { maxLength: 4 }).map((parts) => parts.join('')),
  part: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    text,
    path.map((p) => `{{${p}}}`),
    path.map((p) => `{{{${p}}}}`),
    literal.map((l) => `{{${l}}}`),
    mustacheCall,
    fc.constantFrom('{{! note }}', '{{!-- {{x}} --}}', '{{~steps.[1]~}}'),
    tie('block'),
  ),
  block: fc.oneof(
    fc.tuple(expr, tie('body'), tie('body')).map(([e, a, b]) => `{{#if ${e}}}${a}{{else}}${b}{{/if}}`),
    fc.tuple(expr, tie('body'), expr, tie('body')).map(([e, a, f, b]) => `{{#if ${e}}}${a}{{else if ${f}}}${b}{{/if}}`),
    fc.tuple(expr, tie('body')).map(([e, a]) => `{{#unless ${e}}}${a}{{/unless}}`),
    fc.tuple(expr, tie('body'), tie('body')).map(([e, a, b]) => `{{#each ${e}}}${a}{{else}}${b}{{/each}}`),
    fc.tuple(expr, tie('body')).map(([e, a]) => `{{#each ${e} as |v k|}}{{k}}={{v}};${a}{{/each}}`),
    fc.tuple(expr, tie('body')).map(([e, a]) => `{{#with ${e}}}${a}{{/with}}`),
    fc.tuple(dataPath, tie('body')).map(([p, a]) => `{{#${p}}}${a}{{/${p}}}`),
    fc.tuple(dataPath, tie('body')).map(([p, a]) => `{{^${p}}}${a}{{/${p}}}`),
  ),
}));

/** Well-formed templates (most pass the save-time check). */
export const wellFormed = fc.array(body, { maxLength: 3 }).map((parts) => parts.join(''));

/** Token soup: unbalanced braces and parentheses, stray quotes, comments, raw blocks, escapes. */
export const soup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '{{',
        '}}',
        '{{{',
        '}}}',
        '{{#if a}}',
        '{{/if}}',
        '{{else}}',
        '{{else if b}}',
        '{{^}}',
        '{{#each a}}',
        '{{/each}}',
        '(',
        ')',
        '(x ',
        '"',
        "'",
        '[',
        ']',
        '\\',
        '\\\\',
        '{{!',
        '{{!--',
        '--}}',
        '{{{{raw}}}}',
        '{{{{/raw}}}}',
        '{{~',
        '~}}',
        '{{> p}}',
        '{{*d}}',
        '{{#*inline "p"}}',
        '{{/inline}}',
        '{{lookup this "constructor"}}',
        '{{helperMissing}}',
        '{{#blockHelperMissing}}x{{/blockHelperMissing}}',
        '{{log 1}}',
        ' ',
        'x',
        'a.b',
        '@root',
        '\u0000',
      ),
      fc.string({ maxLength: 3 }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

export const anyTemplate = fc.oneof(wellFormed, soup);

// ---- data ----------------------------------------------------------------------------------------

export function contextOf(step1: JsonValue, extra: JsonValue): EvalContext {
  return {
    now: Date.UTC(2024, 0, 31, 12),
    steps: { '1': step1, a: extra, list: [step1, extra] } as EvalContext['steps'],
    error: { message: 'Bad <gateway>', code: 'E_HTTP_502' },
  };
}

export const data = fc.tuple(hostileJson(3), hostileJson(2)).map(([a, b]) => contextOf(a, b));

export function render(template: string, ctx: EvalContext): { out: string } | { error: string } {
  try {
    return { out: renderTemplate(template, ctx) };
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return { error: (error as Error).message };
  }
}

/**
 * Nested blocks, `{{else if}}` chains and subexpressions, with the lexer's traps in between: escaped
 * `\{{`, comments and raw blocks full of braces and parentheses, strings and `[segments]` holding `}}`.
 */
export const nestedTemplate = (() => {
  const noise = fc.constantFrom(
    '',
    ' ',
    'x',
    '\\{{a (b (c))}}',
    '\\\\',
    '{{!-- ((( {{#if}} --}}',
    '{{! (( }}',
    '{{{{raw}}}} {{#if a}} ((( {{{{/raw}}}}',
    '{{{{raw}}}}{{{{raw}}}}(({{{{/raw}}}}{{{{/raw}}}}',
    '(',
    ')',
    '"',
    "'",
    '}}',
    '[(]',
    '~',
  );
  const quoted = fc.constantFrom('"}}"', '"(("', "'}} ((( '", '"\\""', "'\\''", '"{{"', '[a}}(]', '[\\]((]');
  return fc.letrec<{ expr: string; call: string; body: string }>((tie) => ({
    expr: fc.oneof({ maxDepth: 6 }, fc.constantFrom('a', 'b.c', '@root', 'this', '1', 'true'), quoted, tie('call')),
    call: fc
      .tuple(fc.constantFrom('a', 'f', 'lookup'), fc.array(tie('expr'), { maxLength: 3 }), fc.option(tie('expr')))
      .map(([h, ps, hv]) => `(${h} ${ps.join(' ')}${hv === null ? '' : ` k=${hv}`})`),
    body: fc.oneof(
      { maxDepth: 6 },
      fc.tuple(noise, tie('expr'), noise).map(([n1, x, n2]) => `${n1}{{x ${x}}}${n2}`),
      fc
        .tuple(
          tie('expr'),
          tie('body'),
          fc.array(fc.tuple(tie('expr'), tie('body')), { maxLength: 3 }),
          fc.option(tie('body')),
        )
        .map(
          ([c, then, chain, otherwise]) =>
            `{{#if ${c}}}${then}${chain.map(([cc, bb]) => `{{else if ${cc}}}${bb}`).join('')}` +
            `${otherwise === null ? '' : `{{else}}${otherwise}`}{{/if}}`,
        ),
      fc.tuple(tie('expr'), tie('body')).map(([c, inner]) => `{{#each ${c} as |v k|}}${inner}{{/each}}`),
      fc.tuple(tie('body'), tie('body')).map(([x, y]) => x + y),
      tie('body').map((inner) => `{{~^a~}}${inner}{{~/a~}}`),
      tie('body').map((inner) => `{{#> p}}${inner}{{/p}}`),
      noise,
    ),
  })).body;
})();
