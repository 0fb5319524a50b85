import type { EvalContext } from './context';
import type { Condition } from './definition.schema';
import { parseIsoDate, toFiniteNumber } from './functions';
import type { JsonValue } from './json';
import { isPlainObject, jsonEqual } from './json';
import { MAX_CONDITION_DEPTH } from './limits';
import type { PathSegment } from './problems';
import { classifyValue, resolveValue } from './references';

/**
 * Condition trees `{op, values}` on transitions and error cases (docs/workflow-format.md, section 6).
 * Regex matching is injected: RE2 is a native module that cannot load in the workflow sandbox, so
 * workflow code runs it in an activity and the API calls it directly.
 */

/** Tests `input` against an RE2 `pattern` (case-sensitive unless the pattern says `(?i)`). */
export type RegexTest = (pattern: string, input: string) => boolean | Promise<boolean>;

/** A short, safe rendering of a value for an error message (any size, any depth). */
function preview(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 100 ? `${text.slice(0, 100)}...` : text;
  } catch {
    return Array.isArray(value) ? 'an array' : typeof value;
  }
}

/** A nested condition as stored (`values` may be absent in raw JSON: it defaults to `[]`). */
function asCondition(value: unknown): Condition {
  if (!isPlainObject(value) || typeof value['op'] !== 'string') {
    throw new Error(`not a condition: ${preview(value)}`);
  }
  const values = Array.isArray(value['values']) ? (value['values'] as JsonValue[]) : [];
  return { op: value['op'] as Condition['op'], values };
}

function isMissing(value: JsonValue | undefined): value is undefined | null {
  return value === undefined || value === null;
}

/** Number vs numeric string and boolean vs "true"/"false" compare as the non-string type. */
function looseEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (isMissing(a) || isMissing(b)) return isMissing(a) && isMissing(b);
  if (typeof a === 'number' && typeof b === 'string') return toFiniteNumber(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return toFiniteNumber(a) === b;
  if (typeof a === 'boolean' && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && typeof b === 'boolean') return a === String(b);
  return jsonEqual(a, b);
}

function containsOne(haystack: JsonValue, needle: JsonValue | undefined): boolean {
  if (isMissing(needle)) return false;
  if (typeof haystack === 'string') {
    return (typeof needle === 'string' || typeof needle === 'number') && haystack.includes(String(needle));
  }
  return Array.isArray(haystack) && haystack.some((item) => looseEqual(item, needle));
}

/**
 * `containsOne(items, needle)` for many needles: one pass over `items` instead of one per needle, so
 * that `contains` of two long arrays is linear, not quadratic (two 50,000-element lists took
 * minutes). Same answers as `looseEqual`: numbers match numbers and numeric strings, strings match
 * equal strings, numbers they spell and booleans they spell, booleans match booleans and "true"/"false";
 * arrays and objects match deeply equal ones (compared one by one).
 */
class Members {
  private readonly strings = new Set<string>();
  private readonly numbers = new Set<number>();
  private readonly numericStrings = new Set<number>();
  private readonly booleans = new Set<boolean>();
  private readonly composites: JsonValue[] = [];

  constructor(items: readonly JsonValue[]) {
    for (const item of items) {
      if (typeof item === 'string') {
        this.strings.add(item);
        const n = toFiniteNumber(item);
        if (n !== undefined) this.numericStrings.add(n);
      } else if (typeof item === 'number') {
        this.numbers.add(item);
      } else if (typeof item === 'boolean') {
        this.booleans.add(item);
      } else if (item !== null) {
        this.composites.push(item);
      }
    }
  }

  has(needle: JsonValue | undefined): boolean {
    if (isMissing(needle)) return false;
    switch (typeof needle) {
      case 'string': {
        const n = toFiniteNumber(needle);
        return (
          this.strings.has(needle) ||
          (n !== undefined && this.numbers.has(n)) ||
          ((needle === 'true' || needle === 'false') && this.booleans.has(needle === 'true'))
        );
      }
      case 'number':
        return this.numbers.has(needle) || this.numericStrings.has(needle);
      case 'boolean':
        return this.booleans.has(needle) || this.strings.has(String(needle));
      default:
        return this.composites.some((item) => jsonEqual(item, needle));
    }
  }
}

/** Below this many needles, scanning the haystack once per needle is cheaper than indexing it. */
const INDEX_FROM = 8;

function contains(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (isMissing(a)) return false;
  // The builder writes tag checks as ["/#steps.X.tags", ["tagId"]]: every listed element must be present.
  if (Array.isArray(b)) {
    if (Array.isArray(a) && b.length >= INDEX_FROM) {
      const members = new Members(a);
      return b.every((item) => members.has(item));
    }
    return b.every((item) => containsOne(a, item));
  }
  return containsOne(a, b);
}

/** Numbers (numeric strings cast), or ISO-8601 dates on both sides as epoch ms; else not comparable. */
function comparable(a: JsonValue | undefined, b: JsonValue | undefined): [number, number] | undefined {
  const x = toFiniteNumber(a);
  const y = toFiniteNumber(b);
  if (x !== undefined && y !== undefined) return [x, y];
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  const dx = parseIsoDate(a);
  const dy = parseIsoDate(b);
  return dx !== undefined && dy !== undefined ? [dx, dy] : undefined;
}

const ORDER = {
  gt: (x: number, y: number) => x > y,
  gte: (x: number, y: number) => x >= y,
  lt: (x: number, y: number) => x < y,
  lte: (x: number, y: number) => x <= y,
} as const;

/**
 * Evaluates a condition tree; operands are resolved with `resolveValue` (literals, `/#` references,
 * `/#fn:` calls, templates). Semantics:
 * - `true`: always. `and`/`or`: nested conditions in order, short-circuit; empty `and` is true, empty `or` false.
 * - `eq`/`neq` [a, b]: strings case-sensitive; number vs numeric string compare as numbers; boolean vs
 *   `"true"`/`"false"` as booleans; arrays/objects by deep JSON equality; missing (or null) equals only
 *   missing or null. `neq` is the negation.
 * - `contains`/`ncontains` [a, b]: substring (b a string or number) of a string a, or element (same
 *   casts as eq) of an array a; if b is an array, a must contain every element of it (an empty b is
 *   contained). Missing a: contains is false (ncontains true). Other kinds of a contain nothing.
 * - `exists`/`dne` [a]: exists means not missing and not null; `""`, `0`, `false`, `[]` and `{}` exist.
 * - `gt`/`gte`/`lt`/`lte` [a, b]: numbers and numeric strings as numbers, ISO-8601 strings on both
 *   sides as dates; anything else is not comparable and gives false.
 * - `regex` [input, pattern]: string input (numbers and booleans stringified) tested by `regexTest`;
 *   missing/other input or a non-string pattern gives false.
 * Throws a plain `Error` for an unknown op or a malformed condition (the schema prevents both), for
 * `and`/`or` nested deeper than `MAX_CONDITION_DEPTH` (deeper than the schema admits), for a template
 * that cannot render, and whatever `regexTest` throws (e.g. an invalid pattern).
 */
export async function evaluateCondition(
  condition: Condition,
  ctx: EvalContext,
  regexTest: RegexTest,
): Promise<boolean> {
  return evaluate(asCondition(condition), ctx, regexTest, 0);
}

async function evaluate(condition: Condition, ctx: EvalContext, regexTest: RegexTest, depth: number): Promise<boolean> {
  if (depth > MAX_CONDITION_DEPTH) throw new Error(`conditions nest deeper than ${MAX_CONDITION_DEPTH} levels`);
  const values = condition.values ?? [];
  const operand = (i: number): JsonValue | undefined => {
    const raw = values[i];
    return raw === undefined ? undefined : resolveValue(raw, ctx);
  };
  switch (condition.op) {
    case 'true':
      return true;
    case 'and':
      for (const child of values) if (!(await evaluate(asCondition(child), ctx, regexTest, depth + 1))) return false;
      return true;
    case 'or':
      for (const child of values) if (await evaluate(asCondition(child), ctx, regexTest, depth + 1)) return true;
      return false;
    case 'eq':
      return looseEqual(operand(0), operand(1));
    case 'neq':
      return !looseEqual(operand(0), operand(1));
    case 'contains':
      return contains(operand(0), operand(1));
    case 'ncontains':
      return !contains(operand(0), operand(1));
    case 'exists':
      return !isMissing(operand(0));
    case 'dne':
      return isMissing(operand(0));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const pair = comparable(operand(0), operand(1));
      return pair !== undefined && ORDER[condition.op](pair[0], pair[1]);
    }
    case 'regex': {
      const input = operand(0);
      const pattern = operand(1);
      const text = typeof input === 'number' || typeof input === 'boolean' ? String(input) : input;
      if (typeof text !== 'string' || typeof pattern !== 'string') return false;
      return await regexTest(pattern, text);
    }
    default:
      throw new Error(`unknown condition operator ${JSON.stringify((condition as { op: unknown }).op)}`);
  }
}

/**
 * Calls `visit` on every node of a condition tree (depth first, in document order) with its path
 * relative to the condition (`['values', 0, 'values', 1]`). As in evaluation, `values` that are not an
 * array read as `[]` and a root that is not a condition object throws. Nested values that are not
 * condition objects are skipped (the schema refuses them). So are the children of an `and`/`or`
 * nested `MAX_CONDITION_DEPTH` deep, which evaluation refuses: `tooDeep` is called with that node's
 * path instead. Recursion stops there, so no tree can overflow the stack. The one walk over condition
 * trees besides evaluation itself (which short-circuits and awaits regex tests).
 */
export function eachConditionNode(
  condition: Condition,
  visit: (node: Condition, path: PathSegment[]) => void,
  tooDeep?: (path: PathSegment[]) => void,
): void {
  const walk = (node: Condition, path: PathSegment[]): void => {
    visit(node, path);
    if (node.op !== 'and' && node.op !== 'or') return;
    const children = node.values ?? [];
    if (path.length / 2 >= MAX_CONDITION_DEPTH) {
      if (children.length > 0) tooDeep?.(path);
      return;
    }
    children.forEach((child, i) => {
      if (isPlainObject(child) && typeof child['op'] === 'string') walk(asCondition(child), [...path, 'values', i]);
    });
  };
  walk(asCondition(condition), []);
}

/** A tree of `true`, `and` and `or` only: its value does not depend on any data, and costs nothing. */
export function conditionIsConstant(condition: Condition): boolean {
  let constant = true;
  eachConditionNode(condition, (node) => {
    constant &&= node.op === 'true' || node.op === 'and' || node.op === 'or';
  });
  return constant;
}

/** The pattern of a `regex` node when it is a literal (not a reference, call or template), for save-time RE2 checks. */
export function literalRegexPattern(node: Condition): string | undefined {
  const pattern = node.values?.[1];
  return node.op === 'regex' && typeof pattern === 'string' && classifyValue(pattern) === 'literal'
    ? pattern
    : undefined;
}
