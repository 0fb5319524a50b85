import type Handlebars from 'handlebars';
import { addToDate, diffDates, formatDate, isDateMs, toDateUnit, toEpochMs, toFiniteNumber } from './functions';
import { MAX_TEMPLATE_ITERATIONS, MAX_TEMPLATE_OUTPUT } from './limits';

/**
 * The helpers templates may call, and the budget a render runs under. Every helper is deterministic:
 * the clock is the context's `now`, passed to helpers as the `@now` data variable.
 */

type HelperOptions = Handlebars.HelperOptions & { data?: { now?: number } };

/** A render stopped by a limit of limits.ts: the template itself is fine, so its compiled form is kept. */
export class TemplateLimitError extends Error {}

/**
 * What the render in progress has spent: `{{#each}}` iterations and characters produced by helpers.
 * Renders are synchronous and never nest, so one module-level slot holds it (set by `withBudget`).
 */
class RenderBudget {
  private iterations = 0;
  private produced = 0;

  iterate(): void {
    if (++this.iterations > MAX_TEMPLATE_ITERATIONS) {
      throw new TemplateLimitError(`loops run more than ${MAX_TEMPLATE_ITERATIONS} iterations`);
    }
  }

  produce(characters: number): void {
    this.produced += characters;
    checkOutput(this.produced);
  }
}

export function checkOutput(characters: number): void {
  if (characters > MAX_TEMPLATE_OUTPUT) {
    throw new TemplateLimitError(`output exceeds ${MAX_TEMPLATE_OUTPUT} characters`);
  }
}

let budget: RenderBudget | undefined;

/** Runs `render` under a fresh budget (see limits.ts); helpers called outside one run unbounded. */
export function withBudget<T>(render: () => T): T {
  const outer = budget;
  budget = new RenderBudget();
  try {
    return render();
  } finally {
    budget = outer;
  }
}

/**
 * Wraps Handlebars' own `each` (which `{{#list}}...{{/list}}` sections over arrays call too) so that
 * every iteration is counted and the output it accumulates is checked as it grows: a loop stops at the
 * limit instead of building megabytes first. What it renders is exactly what the built-in renders.
 */
export function budgetedEach(each: Handlebars.HelperDelegate): Handlebars.HelperDelegate {
  return function (this: unknown, context: unknown, options?: HelperOptions) {
    const spent = budget;
    if (spent === undefined || options === undefined || typeof options.fn !== 'function') {
      return each.call(this, context, options);
    }
    const body = options.fn;
    let produced = 0;
    const fn = Object.assign((item: unknown, frame?: Handlebars.RuntimeOptions) => {
      spent.iterate();
      const out = body(item, frame);
      produced += out.length;
      checkOutput(produced);
      return out;
    }, body);
    return each.call(this, context, { ...options, fn });
  };
}

/**
 * The text JavaScript makes of a JSON value (`String(value)`): arrays comma-joined with null elements
 * empty, objects "[object Object]". Computed without calling the value's own `toString`/`valueOf`,
 * which in user JSON are data, not functions: `String({"toString": 1})` throws a TypeError, and so
 * did rendering such an object.
 */
function displayText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value))
    return value.map((item) => (item === undefined || item === null ? '' : displayText(item))).join(',');
  return typeof value === 'object' && value !== null ? '[object Object]' : String(value);
}

/**
 * Handlebars' `lookup`, with a key that is an array or object turned into its text first (as
 * JavaScript does when using it as a property key), so user JSON cannot make it throw.
 */
export function safeLookup(lookup: Handlebars.HelperDelegate): Handlebars.HelperDelegate {
  return function (this: unknown, ...args: unknown[]) {
    const [obj, field, ...rest] = args;
    const key = args.length === 3 && typeof field === 'object' && field !== null ? displayText(field) : field;
    return lookup.call(this, obj, key, ...rest);
  };
}

/** Names of the helpers compiled templates append through (see `countingCompiler` in templates.ts). */
export const ESCAPED_OUTPUT = 'output escaped';
export const RAW_OUTPUT = 'output raw';

/**
 * Stand-ins for Handlebars' own appends, returning the text it appends: `{{x}}` appends `escape(x)`;
 * `{{{x}}}` and a block's result append `x` as a string, nothing for null or undefined. (Values are
 * made text with `displayText`: the same text, except that an object whose own "toString"
 * or "valueOf" is data renders "[object Object]" where Handlebars threw a TypeError.)
 * Escaping and stringifying cost time in the size of the value, so those characters are counted as
 * they are made: a template repeating a large value stops at the output limit. A string appended raw
 * costs nothing (and a block's result was counted inside it), so it is left to the final check.
 */
export function outputHelpers(escape: (value: unknown) => string): Record<string, Handlebars.HelperDelegate> {
  return {
    [ESCAPED_OUTPUT]: (value: unknown) => {
      const out = value === undefined || value === null ? '' : escape(displayText(value));
      budget?.produce(out.length);
      return out;
    },
    [RAW_OUTPUT]: (value: unknown) => {
      if (value === undefined || value === null) return '';
      if (typeof value === 'string') return value;
      const out = displayText(value);
      budget?.produce(out.length);
      return out;
    },
  };
}

/** Adapts a helper to Handlebars' calling convention (positional params, then the options object) and counts its output. */
function helper(fn: (params: unknown[], options: HelperOptions) => unknown): Handlebars.HelperDelegate {
  return (...args: unknown[]) => {
    const options = args[args.length - 1] as HelperOptions;
    const out = fn(args.slice(0, -1), options);
    if (typeof out === 'string') budget?.produce(out.length);
    return out;
  };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function nowOf(options: HelperOptions): number {
  const now = options.data?.now;
  // Only reachable when a caller renders without going through renderTemplate; 0 keeps it deterministic.
  return typeof now === 'number' ? now : 0;
}

const MATH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

export const HELPERS: Record<string, Handlebars.HelperDelegate> = {
  toLower: helper(([value]) => text(value)?.toLowerCase() ?? ''),
  toUpper: helper(([value]) => text(value)?.toUpperCase() ?? ''),
  /** `{{math a "+" b}}`: numbers or numeric strings; anything else (or division by zero) renders ''. */
  math: helper(([a, op, b]) => {
    const x = toFiniteNumber(a);
    const y = toFiniteNumber(b);
    const apply = typeof op === 'string' && Object.hasOwn(MATH, op) ? MATH[op] : undefined;
    if (x === undefined || y === undefined || apply === undefined) return '';
    const result = apply(x, y);
    return Number.isFinite(result) ? result : '';
  }),
  /** `{{date 'hours' count=-2}}`: now moved by count units, as an ISO string. No unit means now; '' past the dates JavaScript can hold. */
  date: helper(([unitName], options) => {
    const unit = unitName === undefined ? 'millisecond' : toDateUnit(unitName);
    const count = options.hash['count'] === undefined ? 0 : toFiniteNumber(options.hash['count']);
    if (unit === undefined || count === undefined) return '';
    const moved = addToDate(nowOf(options), count, unit);
    return isDateMs(moved) ? new Date(moved).toISOString() : '';
  }),
  /** `{{dateFormat x format='LL'}}` (or the format as second param); UTC; '' if x is not a date. */
  dateFormat: helper(([value, positional], options) => {
    const format = text(options.hash['format']) ?? text(positional);
    return formatDate(value, format) ?? '';
  }),
  /** `{{dateDiff 'days' from=a to=b}}`: whole units from a to b; an omitted bound is now, a bad one gives ''. */
  dateDiff: helper(([unitName], options) => {
    const unit = unitName === undefined ? 'millisecond' : toDateUnit(unitName);
    const bound = (key: string) => (Object.hasOwn(options.hash, key) ? toEpochMs(options.hash[key]) : nowOf(options));
    const from = bound('from');
    const to = bound('to');
    if (unit === undefined || from === undefined || to === undefined) return '';
    return diffDates(from, to, unit);
  }),
  json: helper(([value]) => (value === undefined ? '' : JSON.stringify(value))),
};
