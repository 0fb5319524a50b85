/**
 * How deeply a Handlebars template nests, found in one linear pass before Handlebars' parser sees it:
 * the parser, the compiler and our AST walks recurse once per level and take time quadratic in the
 * depth, so an over-deep template must be refused without parsing it.
 *
 * The pass follows the states of Handlebars' lexer (`handlebars.l`): text, `\{{` escapes, tags,
 * `{{! }}`/`{{!-- --}}` comments and `{{{{raw}}}}` blocks; inside a tag, string literals and
 * `[segment]`s are skipped, so parentheses and braces in them do not count. Wherever its reading
 * could differ from the lexer's (an unterminated string, an error the parser stops at), it reads the
 * way that counts more, never less: a template within the limit here nests no deeper for the parser.
 */

/** Characters an `ID` token may not contain (the lexer's `ID` class), for `{{{{/name}}}}`. */
const RAW_END = /\{\{\{\{\/[^\s!"#%-,./;->@[-^`{-~]+\}\}\}\}/y;
const INVERSE = /\s*~?\}\}/y;
const ELSE = /\s*else(?:(\s*~?\}\})|(?![A-Za-z0-9_]))/y;

type Opener =
  | { kind: 'mustache' | 'partial' | 'block' | 'chain' | 'close' | 'raw'; end: number }
  | { kind: 'skip'; end: number }
  | { kind: 'stop' };

/**
 * `indexOf` that remembers where a search came up empty: once nothing follows position p, nothing
 * follows any later position either, so repeated failing searches (`{{!{{!{{!...`) stay linear.
 */
function searcher(t: string): (needle: string, from: number) => number {
  const emptyFrom = new Map<string, number>();
  return (needle, from) => {
    if (from >= (emptyFrom.get(needle) ?? Infinity)) return -1;
    const at = t.indexOf(needle, from);
    if (at < 0) emptyFrom.set(needle, Math.min(from, emptyFrom.get(needle) ?? Infinity));
    return at;
  };
}

/** The tag that starts with `{{` at `at`, as the lexer's rules (in their order) read it. */
function opener(t: string, at: number, find: (needle: string, from: number) => number): Opener {
  if (t.startsWith('{{{{', at)) return { kind: 'raw', end: at + 4 };
  const q = t[at + 2] === '~' ? at + 3 : at + 2;
  const c = t[q];
  if (c === '>') return { kind: 'partial', end: q + 1 };
  if (c === '#') return { kind: 'block', end: q + (t[q + 1] === '>' || t[q + 1] === '*' ? 2 : 1) };
  if (c === '/') return { kind: 'close', end: q + 1 };
  if (c === '^') {
    INVERSE.lastIndex = q + 1;
    return INVERSE.test(t) ? { kind: 'skip', end: INVERSE.lastIndex } : { kind: 'block', end: q + 1 };
  }
  ELSE.lastIndex = q;
  const chain = ELSE.exec(t);
  if (chain !== null) {
    return { kind: chain[1] === undefined ? 'chain' : 'skip', end: ELSE.lastIndex };
  }
  if (c === '{' || c === '&') return { kind: 'mustache', end: q + 1 };
  if (t.startsWith('!--', q)) {
    // From the first "-": `{{!--}}` is a whole comment. Unterminated, the lexer stops with an error.
    for (let dash = find('--', q + 1); dash >= 0; dash = find('--', dash + 1)) {
      const close = t.startsWith('}}', dash + 2) ? dash + 4 : t.startsWith('~}}', dash + 2) ? dash + 5 : -1;
      if (close >= 0) return { kind: 'skip', end: close };
    }
    return { kind: 'stop' };
  }
  if (c === '!') {
    const close = find('}}', q + 1);
    if (close >= 0) return { kind: 'skip', end: close + 2 };
  }
  return { kind: 'mustache', end: c === '*' ? q + 1 : q };
}

/**
 * End of the string literal or `[segment]` opening at `at`: after the first `close` not preceded by
 * a backslash. Unterminated, the lexer reads the opening character alone (an invalid token): `at + 1`.
 * `unclosed` remembers, per closing character, from where none follows, so that many unterminated
 * openers (`{{"\\"\\"\\"...`) are not each searched to the end.
 */
function skipQuoted(
  t: string,
  at: number,
  close: string,
  find: (needle: string, from: number) => number,
  unclosed: Map<string, number>,
): number {
  if (at >= (unclosed.get(close) ?? Infinity)) return at + 1;
  for (let j = find(close, at + 1); j >= 0; j = find(close, j + 1)) {
    if (t[j - 1] !== '\\') return j + 1;
  }
  unclosed.set(close, at);
  return at + 1;
}

/**
 * The deepest nesting in `template`: open blocks (`{{#x}}`, `{{^x}}`, `{{#>x}}`, `{{{{raw}}}}`) plus
 * the `{{else x}}` links of their chains plus subexpression parentheses, at the deepest point. Linear
 * in the length; never throws. Returns as soon as the nesting passes `limit` (a value above it).
 */
export function templateNesting(template: string, limit = Infinity): number {
  const t = template;
  const find = searcher(t);
  const unclosed = new Map<string, number>();
  const frames: number[] = []; // levels each open block adds: itself and its `{{else x}}` links
  let depth = 0;
  let max = 0;
  let i = 0;
  const reach = (d: number): boolean => {
    if (d > max) max = d;
    return max > limit;
  };
  text: while (i < t.length) {
    const open = find('{{', i);
    if (open < 0) break;
    if (t[open - 1] === '\\' && open - 1 >= i && !(t[open - 2] === '\\' && open - 2 >= i)) {
      // `\{{`: literal text up to the next `{{`, `\{{` or `\\{{`.
      const next = find('{{', open + 2);
      if (next < 0) break;
      let stop = next;
      if (t[stop - 1] === '\\' && stop - 1 >= open + 2) stop--;
      if (t[stop - 1] === '\\' && stop - 1 >= open + 2) stop--;
      i = stop;
      continue;
    }
    let tag = opener(t, open, find);
    for (;;) {
      if (tag.kind === 'stop') break text;
      i = tag.end;
      if (tag.kind === 'skip') continue text;
      if (tag.kind === 'block' || tag.kind === 'raw') {
        frames.push(1);
        depth++;
      } else if (tag.kind === 'chain') {
        if (frames.length === 0) frames.push(0);
        frames[frames.length - 1]!++;
        depth++;
      } else if (tag.kind === 'close') {
        depth -= frames.pop() ?? 0;
      }
      if (reach(depth)) return max;
      const raw = tag.kind === 'raw';
      let parens = 0;
      let next: Opener | undefined;
      // Inside the tag, until it closes.
      while (i < t.length && next === undefined) {
        const c = t[i];
        if (c === '(') {
          parens++;
          if (reach(depth + parens)) return max;
          i++;
        } else if (c === ')') {
          if (parens > 0) parens--;
          i++;
        } else if (c === '"' || c === "'") {
          i = skipQuoted(t, i, c, find, unclosed);
        } else if (c === '[') {
          i = skipQuoted(t, i, ']', find, unclosed);
        } else if (c === '{' && t[i + 1] === '{') {
          next = opener(t, i, find);
        } else if (c === '}' && raw && t.startsWith('}}}}', i)) {
          i = skipRaw(t, i + 4, find);
          depth -= frames.pop() ?? 0;
          continue text;
        } else if (c === '}' && (t.startsWith('}}}', i) || t.startsWith('}~}}', i))) {
          i += t[i + 1] === '~' ? 4 : 3;
          continue text;
        } else if (c === '}' && t[i + 1] === '}') {
          i += 2;
          continue text;
        } else if (c === '~' && t.startsWith('}}', i + 1)) {
          i += 3;
          continue text;
        } else {
          i++;
        }
      }
      if (next === undefined) break text;
      // A `{{` inside a tag: the parser fails there; count on as if a new tag began.
      tag = next;
    }
  }
  return max;
}

/** From the content of a raw block at `at`, the index after its `{{{{/name}}}}` (raw blocks nest). */
function skipRaw(t: string, at: number, find: (needle: string, from: number) => number): number {
  let open = 1;
  let i = at;
  while (open > 0) {
    const k = find('{{{{', i);
    if (k < 0) return t.length;
    if (t[k + 4] === '/') {
      RAW_END.lastIndex = k;
      if (RAW_END.test(t)) {
        open--;
        i = RAW_END.lastIndex;
      } else {
        i = k + 1;
      }
    } else if (k + 4 < t.length) {
      open++;
      i = k + 4;
    } else {
      return t.length;
    }
  }
  return i;
}
