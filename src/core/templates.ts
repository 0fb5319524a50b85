import type Handlebars from 'handlebars';
import { evaluationRoot, type EvalContext } from './context';
import { addToDate, diffDates, formatDate, toDateUnit, toEpochMs, toFiniteNumber } from './functions';
import { once } from './once';

/**
 * Handlebars templates in values (`"Order {{{steps.1.custom.orderNumberStr}}} shipped"`). A private
 * Handlebars environment holds our helpers so nothing registered on the global instance (by this
 * process or a library) changes what a workflow renders. Every helper is deterministic: the clock is
 * the context's `now`, passed to helpers as the `@now` data variable.
 */

type HelperOptions = Handlebars.HelperOptions & { data?: { now?: number } };

/** Adapts a helper to Handlebars' calling convention: positional params first, the options object last. */
function helper(fn: (params: unknown[], options: HelperOptions) => unknown): Handlebars.HelperDelegate {
  return (...args: unknown[]) => {
    const options = args[args.length - 1] as HelperOptions;
    return fn(args.slice(0, -1), options);
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

const HELPERS: Record<string, Handlebars.HelperDelegate> = {
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
  /** `{{date 'hours' count=-2}}`: now moved by count units, as an ISO string. No unit means now. */
  date: helper(([unitName], options) => {
    const unit = unitName === undefined ? 'millisecond' : toDateUnit(unitName);
    const count = options.hash['count'] === undefined ? 0 : toFiniteNumber(options.hash['count']);
    if (unit === undefined || count === undefined) return '';
    return new Date(addToDate(nowOf(options), count, unit)).toISOString();
  }),
  /** `{{dateFormat x format='LL'}}` (or the format as second param); UTC; '' if x is not a date. */
  dateFormat: helper(([value, positional], options) => {
    const format = text(options.hash['format']) ?? text(positional);
    return formatDate(value, format) ?? '';
  }),
  /** `{{dateDiff 'days' from=a to=b}}`: whole units from a to b; an omitted bound is now, a bad one gives ''. */
  dateDiff: helper(([unitName], options) => {
    const unit = unitName === undefined ? 'millisecond' : toDateUnit(unitName);
    const bound = (key: string) => (key in options.hash ? toEpochMs(options.hash[key]) : nowOf(options));
    const from = bound('from');
    const to = bound('to');
    if (unit === undefined || from === undefined || to === undefined) return '';
    return diffDates(from, to, unit);
  }),
  json: helper(([value]) => (value === undefined ? '' : JSON.stringify(value))),
};

/** The private environment, made on first use (see once.ts): most runs render no template. */
const hbs = once(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see once.ts
  const env = (require('handlebars') as typeof Handlebars).create();
  // `log` writes to the console: I/O has no place in the pure core, and its output is not part of a run.
  env.unregisterHelper('log');
  env.registerHelper(HELPERS);
  return env;
});

/** Helpers a template may call; save-time checks reject others, which would throw when rendered. */
export const TEMPLATE_HELPERS: readonly string[] = [...Object.keys(HELPERS), 'if', 'unless', 'each', 'with', 'lookup'];

// `log: false`: Handlebars calls known helpers directly, so the unregistered `log` must stop being "known"
// for `{{log x}}` to fail with "Missing helper" instead of a TypeError.
const COMPILE_OPTIONS: CompileOptions = { knownHelpersOnly: false, strict: false, knownHelpers: { log: false } };
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;
type Compiled = ReturnType<typeof Handlebars.compile>;

const CACHE_LIMIT = 500;
// Workflows render the same few templates over and over; compiling is the expensive part.
const cache = new Map<string, Compiled>();

function compiled(template: string): Compiled {
  let fn = cache.get(template);
  if (fn === undefined) {
    fn = hbs().compile(template, COMPILE_OPTIONS);
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
  } else {
    cache.delete(template); // re-inserted below: least recently used entries leave first
  }
  cache.set(template, fn);
  return fn;
}

/**
 * Renders a Handlebars template against `{ steps, error, variables: {} }`. `{{x}}` is HTML-escaped,
 * `{{{x}}}` is raw; a missing value renders as `''`; `false`/`0` render as `"false"`/`"0"`; arrays
 * render comma-joined (standard Handlebars). Throws an `Error` ("template error: ...") when the
 * template cannot be parsed or calls an unknown helper with arguments; save-time validation
 * (`templateSyntaxError`) rejects both, so a stored definition does not hit this.
 */
export function renderTemplate(template: string, ctx: EvalContext): string {
  try {
    return compiled(template)(evaluationRoot(ctx), { data: { now: ctx.now } });
  } catch (error) {
    cache.delete(template);
    throw new Error(`template error: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n');
  // Parse errors are "Parse error on line N:", the source line, a caret line, "Expecting ...".
  const short = lines.length > 2 ? `${lines[0]} ${lines[lines.length - 1]}` : lines.join(' ');
  // Handlebars lexes a trailing `.0` in `{{steps.1}}` or `{{list.0}}` as a number literal.
  return short.includes("got 'NUMBER'")
    ? `${short} (a path cannot end in a number: write steps.[1] or list.[0])`
    : short;
}

/** A node of Handlebars' AST, loosely typed: only the fields read below. */
interface AstNode {
  type?: string;
  path?: AstNode;
  params?: AstNode[];
  hash?: { pairs: { value: AstNode }[] };
  parts?: string[];
  data?: boolean;
  original?: unknown;
}

const SKIPPED_KEYS = new Set(['loc', 'strip', 'openStrip', 'closeStrip', 'inverseStrip']);

/** Calls `visit` on every AST node, depth first. */
function walk(node: unknown, visit: (node: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
  } else if (typeof node === 'object' && node !== null) {
    if (typeof (node as AstNode).type === 'string') visit(node as AstNode);
    for (const [key, child] of Object.entries(node)) if (!SKIPPED_KEYS.has(key)) walk(child, visit);
  }
}

type Parsed = { program: unknown } | { error: string };

/**
 * Save-time checks read each template several times (syntax, step references, error references):
 * parse once. The ASTs are only read, never changed; the cache is bounded like the compile cache.
 */
const parsedCache = new Map<string, Parsed>();

function parse(template: string): Parsed {
  let parsed = parsedCache.get(template);
  if (parsed === undefined) {
    try {
      parsed = { program: hbs().parse(template) };
    } catch (error) {
      parsed = { error: describe(error) };
    }
    if (parsedCache.size >= CACHE_LIMIT) parsedCache.delete(parsedCache.keys().next().value as string);
    parsedCache.set(template, parsed);
  }
  return parsed;
}

// Handlebars' built-in block helpers throw unless called as a block with exactly one argument.
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);

/**
 * Why `template` would fail to render, or `undefined` if it is fine: a Handlebars parse error, a
 * partial or decorator (not supported), a call of an unknown helper with arguments (Handlebars throws
 * "Missing helper" for positional ones and silently renders '' for hash-only ones), `if`/`unless`/`each`/`with` not used as a block with exactly one
 * argument, or `lookup` without two. Only the first problem is returned.
 */
export function templateSyntaxError(template: string): string | undefined {
  const parsed = parse(template);
  if ('error' in parsed) return parsed.error;
  const problems: string[] = [];
  walk(parsed.program, (node) => {
    if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
      problems.push('partials are not supported');
    } else if (node.type === 'Decorator' || node.type === 'DecoratorBlock') {
      problems.push('decorators are not supported');
    } else if (node.type === 'MustacheStatement' || node.type === 'BlockStatement' || node.type === 'SubExpression') {
      const name = node.path?.type === 'PathExpression' && node.path.data !== true ? node.path.original : undefined;
      const argCount = (node.params?.length ?? 0) + (node.hash?.pairs.length ?? 0);
      if (typeof name !== 'string') return;
      if (BLOCK_HELPERS.has(name) && node.type !== 'BlockStatement') {
        problems.push(`"${name}" must be used as a block: {{#${name} ...}}...{{/${name}}}`);
      } else if (BLOCK_HELPERS.has(name) && node.params?.length !== 1) {
        problems.push(`#${name} needs exactly one argument`);
      } else if (name === 'lookup' && node.params?.length !== 2) {
        problems.push('lookup needs exactly two arguments');
      } else if (argCount > 0 && !TEMPLATE_HELPERS.includes(name)) {
        problems.push(`unknown helper "${name}"`);
      }
    }
  });
  return problems[0];
}

/**
 * The data paths a template reads, as segment lists rooted at the data root (`{{@root.steps.a.b}}`
 * and `{{steps.a.b}}` both give `['steps','a','b']`). Helper names appear too (as one-segment paths);
 * paths inside `#each`/`#with` are listed as written although they resolve against the current item.
 * `undefined` if the template does not parse.
 */
export function templatePaths(template: string): string[][] | undefined {
  const parsed = parse(template);
  if ('error' in parsed) return undefined;
  const paths: string[][] = [];
  walk(parsed.program, (node) => {
    if (node.type !== 'PathExpression' || node.parts === undefined) return;
    if (node.data !== true) paths.push(node.parts);
    else if (node.parts[0] === 'root') paths.push(node.parts.slice(1));
  });
  return paths;
}
