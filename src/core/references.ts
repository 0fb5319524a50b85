import type { EvalContext } from './context';
import { evaluationRoot } from './context';
import { callFunction, FUNCTION_NAMES, parseFunctionCall } from './functions';
import type { JsonValue } from './json';
import { eachString, isPlainObject } from './json';
import { MAX_JSON_DEPTH } from './limits';
import { getPath, parsePath } from './paths';
import type { PathSegment } from './problems';
import { renderTemplate, templatePaths, templateSyntaxError } from './templates';

/**
 * The four forms of a value (docs/workflow-format.md, section 7): literal, `/#` reference, `/#fn:` call
 * and Handlebars template. Values are data resolved by these pure functions; nothing is evaluated as
 * code.
 */
export type ValueKind = 'literal' | 'reference' | 'function' | 'template';

const REFERENCE_PREFIX = '/#';
const FUNCTION_PREFIX = '/#fn:';

/**
 * The form of a single value. Only a string whose whole text starts with `/#` is a reference
 * (`/#fn:` a function call), so `"Order /#steps.1.id"` is a literal; a string containing `{{` is a
 * template; everything else, including arrays and objects (resolved element by element), is literal.
 */
export function classifyValue(value: unknown): ValueKind {
  if (typeof value !== 'string') return 'literal';
  if (value.startsWith(FUNCTION_PREFIX)) return 'function';
  if (value.startsWith(REFERENCE_PREFIX)) return 'reference';
  return value.includes('{{') ? 'template' : 'literal';
}

/**
 * Resolves a value against the context. `undefined` means missing. References keep the JSON type of
 * what they point at, function calls return their typed result, templates always give a string,
 * literals are returned as is. Arrays and objects resolve deeply: a missing element is dropped from
 * an array, a missing property is left out of an object. Throws an `Error` for a template that
 * cannot be rendered (see `renderTemplate`), which save-time checks (`valueProblems`) rule out except
 * for the render limits, and for a value nested deeper than `MAX_JSON_DEPTH`, which the schema rules
 * out.
 */
export function resolveValue(value: JsonValue, ctx: EvalContext): JsonValue | undefined {
  return resolveAt(value, ctx, 0);
}

function resolveAt(value: JsonValue, ctx: EvalContext, depth: number): JsonValue | undefined {
  if (depth > MAX_JSON_DEPTH) throw new Error(`value nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) {
    return value.map((item) => resolveAt(item, ctx, depth + 1)).filter((item): item is JsonValue => item !== undefined);
  }
  if (isPlainObject(value)) return resolveEntries(value, ctx, depth);
  if (typeof value !== 'string') return value;
  switch (classifyValue(value)) {
    case 'function':
      return callFunction(value.slice(FUNCTION_PREFIX.length), ctx);
    case 'reference':
      return getPath(evaluationRoot(ctx), parsePath(value.slice(REFERENCE_PREFIX.length)));
    case 'template':
      return renderTemplate(value, ctx);
    default:
      return value;
  }
}

/**
 * Resolves every param (see `resolveValue`); params that resolve to missing are left out, as the
 * product does, so the action sees them as not given.
 */
export function resolveParams(params: Record<string, JsonValue>, ctx: EvalContext): Record<string, JsonValue> {
  return resolveEntries(params, ctx, 0);
}

function resolveEntries(params: Record<string, JsonValue>, ctx: EvalContext, depth: number): Record<string, JsonValue> {
  const entries: [string, JsonValue][] = [];
  for (const [key, raw] of Object.entries(params)) {
    const resolved = resolveAt(raw, ctx, depth + 1);
    if (resolved !== undefined) entries.push([key, resolved]);
  }
  // fromEntries defines own properties, so a "__proto__" key in user data stays a plain key.
  return Object.fromEntries(entries);
}

/** The data paths (segment lists from the root) that one string reads; `[]` for literals. */
function pathsOf(text: string): string[][] {
  switch (classifyValue(text)) {
    case 'function': {
      const { path } = parseFunctionCall(text.slice(FUNCTION_PREFIX.length));
      return path === '' ? [] : [parsePath(path)];
    }
    case 'reference':
      return [parsePath(text.slice(REFERENCE_PREFIX.length))];
    case 'template':
      return templatePaths(text) ?? [];
    default:
      return [];
  }
}

/**
 * The distinct step ids (in order of first use) that a value reads, looking deeply through arrays,
 * objects and condition trees, into `/#steps.X...` references, `/#fn:` paths and template paths
 * (`{{#if steps.x.y}}`, `{{toLower steps.x.y}}`, `{{@root.steps.x.y}}`). Used at save time to reject
 * references to steps that cannot have run before. A template path inside `#each`/`#with` is
 * counted even though it resolves against the current item (errs on the side of reporting).
 */
export function referencedSteps(value: unknown): string[] {
  const ids = new Set<string>();
  eachString(value, (text) => {
    for (const [root, id] of pathsOf(text)) if (root === 'steps' && id !== undefined && id !== '') ids.add(id);
  });
  return [...ids];
}

/** Whether a value reads the error being handled (`/#error.message`, `{{error.code}}`, `/#fn:ifExists,error.code,x`). */
export function referencesError(value: unknown): boolean {
  return eachString(value, (text) => pathsOf(text).some((path) => path[0] === 'error'));
}

/**
 * The variables (ids or names, in order of first use) that a value's templates read, deeply:
 * `{{{variables.63da823147407a231b1bbfce}}}` and `{{{variables.apiToken}}}`.
 */
export function referencedVariables(value: unknown): string[] {
  const refs = new Set<string>();
  eachString(value, (text) => {
    for (const [root, ref] of pathsOf(text)) if (root === 'variables' && ref !== undefined && ref !== '') refs.add(ref);
  });
  return [...refs];
}

/** What is wrong with a `/#` path (`steps.<id>...` or `error.<field>...`), if anything. */
function pathProblem(path: string, prefix: string): string | undefined {
  const [root, first] = parsePath(path);
  if (root !== 'steps' && root !== 'error') {
    const orCall = prefix === REFERENCE_PREFIX ? ` (or be a "${FUNCTION_PREFIX}" call)` : '';
    return `"${prefix}${path}" must start with "${prefix}steps." or "${prefix}error."${orCall}`;
  }
  if (first === undefined || first === '') {
    return `"${prefix}${path}" needs a ${root === 'steps' ? 'step id' : 'field'} after "${prefix}${root}."`;
  }
  return undefined;
}

/**
 * Save-time syntax problems inside a value, deeply, each with its path relative to the value:
 * a `/#fn:` with an unknown name (the product ignores those silently; we reject them) or without a
 * valid path, a template that cannot be rendered (`templateSyntaxError`), and a `/#` string that is
 * neither `/#steps.<id>...`, `/#error.<field>` nor `/#fn:` (e.g. `/#foo`). Empty when all is well.
 */
export function valueProblems(value: unknown): { path: PathSegment[]; message: string }[] {
  const problems: { path: PathSegment[]; message: string }[] = [];
  eachString(value, (text, path) => {
    let message: string | undefined;
    switch (classifyValue(text)) {
      case 'function': {
        const call = parseFunctionCall(text.slice(FUNCTION_PREFIX.length));
        if (!FUNCTION_NAMES.includes(call.name)) {
          message = `unknown function "${call.name}" in "${text}"; known: ${FUNCTION_NAMES.join(', ')}`;
        } else if (call.path === '') {
          message = `function ${call.name} needs a path: ${FUNCTION_PREFIX}${call.name},steps.<id>.<field>`;
        } else {
          const problem = pathProblem(call.path, '');
          if (problem !== undefined) message = `function ${call.name}: ${problem}`;
        }
        break;
      }
      case 'reference': {
        const problem = pathProblem(text.slice(REFERENCE_PREFIX.length), REFERENCE_PREFIX);
        if (problem !== undefined) message = `reference ${problem}`;
        break;
      }
      case 'template': {
        const error = templateSyntaxError(text);
        if (error !== undefined) message = `template: ${error}`;
        break;
      }
      default:
        break;
    }
    if (message !== undefined) problems.push({ path, message });
  });
  return problems;
}
