import type Handlebars from 'handlebars';
import { LRUCache } from 'lru-cache';
import { evaluationRoot, type EvalContext } from './context';
import { MAX_TEMPLATE_LENGTH, MAX_TEMPLATE_NESTING } from './limits';
import { once } from './once';
import {
  budgetedEach,
  checkOutput,
  ESCAPED_OUTPUT,
  HELPERS,
  outputHelpers,
  RAW_OUTPUT,
  safeLookup,
  TemplateLimitError,
  withBudget,
} from './template-helpers';
import { templateNesting } from './template-scan';

/**
 * Handlebars templates in values (`"Order {{{steps.1.custom.orderNumberStr}}} shipped"`). A private
 * Handlebars environment holds our helpers so nothing registered on the global instance (by this
 * process or a library) changes what a workflow renders. Every helper is deterministic: the clock is
 * the context's `now`, passed to helpers as the `@now` data variable.
 */

/** The private environment, made on first use (see once.ts): most runs render no template. */
const hbs = once(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see once.ts
  const env = (require('handlebars') as typeof Handlebars).create();
  // `log` writes to the console: I/O has no place in the pure core, and its output is not part of a run.
  env.unregisterHelper('log');
  env.registerHelper(HELPERS);
  env.registerHelper('each', budgetedEach(env.helpers['each']!));
  env.registerHelper('lookup', safeLookup(env.helpers['lookup']!));
  env.registerHelper(outputHelpers((value) => env.escapeExpression(value as string)));
  const generator = env as unknown as { JavaScriptCompiler: new () => CodeGenerator };
  generator.JavaScriptCompiler = countingCompiler(generator.JavaScriptCompiler);
  return env;
});

/** The parts of Handlebars' code generator (`JavaScriptCompiler`) that `countingCompiler` builds on. */
interface CodeGenerator {
  popStack(): unknown;
  pushSource(source: unknown): void;
  appendToBuffer(source: unknown[]): unknown;
  compiler: unknown;
}

/**
 * Handlebars' code generator, except that its two opcodes appending a value (`appendEscaped` for
 * `{{x}}`; `append` for `{{{x}}}` and a block's result) call the counting stand-ins of `outputHelpers`
 * instead of `escapeExpression` and a bare `+=`: the text appended is the same, but large values are
 * counted as they are escaped or stringified, so a template repeating one stops at the output limit
 * instead of building hundreds of copies. Set on our private environment only. Handlebars lets a
 * subclass of `JavaScriptCompiler` change the compiled form, but lists only its lookup and buffer
 * methods as public; these opcodes are not, so after a Handlebars upgrade the comparison with plain
 * Handlebars in templates.property.test.ts must still pass. Every compiled function has `helpers`.
 */
function countingCompiler(base: new () => CodeGenerator): new () => CodeGenerator {
  // Handlebars wraps every helper in a function that sets `lookupProperty` on its last argument (the
  // options object it expects there); the trailing `{}` is that argument.
  const call = (name: string) => `helpers[${JSON.stringify(name)}](`;
  class Counting extends base {
    appendEscaped(): void {
      this.pushSource(this.appendToBuffer([call(ESCAPED_OUTPUT), this.popStack(), ', {})']));
    }
    append(): void {
      this.pushSource(this.appendToBuffer([call(RAW_OUTPUT), this.popStack(), ', {})']));
    }
  }
  // Child programs are compiled by `new this.compiler()`.
  Counting.prototype.compiler = Counting;
  return Counting;
}

/** Helpers a template may call; save-time checks reject others, which would throw when rendered. */
export const TEMPLATE_HELPERS: readonly string[] = [...Object.keys(HELPERS), 'if', 'unless', 'each', 'with', 'lookup'];

// `log: false`: Handlebars calls known helpers directly, so the unregistered `log` must stop being "known"
// for `{{log x}}` to fail with "Missing helper" instead of a TypeError.
const COMPILE_OPTIONS: CompileOptions = { knownHelpersOnly: false, strict: false, knownHelpers: { log: false } };
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;
// Prototype properties are refused either way; saying so explicitly stops Handlebars from logging each
// refused name to the console (I/O has no place in the pure core).
const RUNTIME_OPTIONS = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false } as const;
type Compiled = ReturnType<typeof Handlebars.compile>;

/**
 * Most templates each cache below keeps (least recently used leave first). Templates come from users,
 * so the caches are bounded; 500 is far above the templates a worker's definitions hold in practice.
 */
const CACHE_LIMIT = 500;
// Workflows render the same few templates over and over; compiling is the expensive part. Handlebars
// compiles lazily, on the first render, so a template that fails there is dropped (see renderTemplate).
const cache = new LRUCache<string, Compiled>({ max: CACHE_LIMIT });

function compiled(template: string): Compiled {
  let fn = cache.get(template);
  if (fn === undefined) {
    fn = hbs().compile(template, COMPILE_OPTIONS);
    cache.set(template, fn);
  }
  return fn;
}

/**
 * Renders a Handlebars template against `{ steps, error, variables: {} }`. `{{x}}` is HTML-escaped,
 * `{{{x}}}` is raw; a missing value renders as `''`; `false`/`0` render as `"false"`/`"0"`; arrays
 * render comma-joined (standard Handlebars). Throws an `Error` ("template error: ...") when the
 * template cannot be parsed or calls an unknown helper with arguments (save-time validation,
 * `templateSyntaxError`, rejects both, so a stored definition does not hit this), and when the render
 * passes a limit of limits.ts: more than `MAX_TEMPLATE_OUTPUT` characters ("template error: output
 * exceeds ... characters", raised as soon as a loop or helper passes it) or more than
 * `MAX_TEMPLATE_ITERATIONS` `{{#each}}` iterations. Data nested deeply enough to overflow the stack
 * (far past what `MAX_JSON_DEPTH` admits) gives such an Error too.
 */
export function renderTemplate(template: string, ctx: EvalContext): string {
  try {
    const fn = compiled(template);
    const out = withBudget(() => fn(evaluationRoot(ctx), { data: { now: ctx.now }, ...RUNTIME_OPTIONS }));
    checkOutput(out.length);
    return out;
  } catch (error) {
    if (!(error instanceof TemplateLimitError)) cache.delete(template);
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
const parsedCache = new LRUCache<string, Parsed>({ max: CACHE_LIMIT });

function parse(template: string): Parsed {
  // Checked before the cache, so that over-long templates are never kept.
  if (template.length > MAX_TEMPLATE_LENGTH) {
    return { error: `longer than ${MAX_TEMPLATE_LENGTH} characters (${template.length})` };
  }
  let parsed = parsedCache.get(template);
  if (parsed === undefined) {
    try {
      parsed =
        templateNesting(template, MAX_TEMPLATE_NESTING) > MAX_TEMPLATE_NESTING
          ? { error: `blocks, {{else}} chains and subexpressions nest deeper than ${MAX_TEMPLATE_NESTING} levels` }
          : { program: hbs().parse(template) };
    } catch (error) {
      parsed = { error: describe(error) };
    }
    parsedCache.set(template, parsed);
  }
  return parsed;
}

// Handlebars' built-in block helpers throw unless called as a block with exactly one argument.
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
// Hooks Handlebars moves out of the helpers before rendering: called by name, they throw a TypeError.
const HOOKS = new Set(['helperMissing', 'blockHelperMissing']);

/**
 * Why `template` would fail to render, or `undefined` if it is fine: longer than `MAX_TEMPLATE_LENGTH`
 * or nested deeper than `MAX_TEMPLATE_NESTING` (both checked before Handlebars parses it), a Handlebars
 * parse error, a partial or decorator (not supported), a call of an unknown helper with arguments
 * (Handlebars throws "Missing helper" for positional ones and silently renders '' for hash-only ones),
 * a call of Handlebars' hooks `helperMissing`/`blockHelperMissing`, `if`/`unless`/`each`/`with` not
 * used as a block with exactly one argument, or `lookup` without two. Only the first problem is
 * returned. Never throws.
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
      if (HOOKS.has(name)) {
        problems.push(`"${name}" is not a helper a template may call`);
      } else if (BLOCK_HELPERS.has(name) && node.type !== 'BlockStatement') {
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
