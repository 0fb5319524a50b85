import { LRUCache } from 'lru-cache';
import RE2 from 're2';
import { UserError } from '../errors';

/**
 * User regexes run only under RE2 (linear time, no backreferences), so no pattern can hang a
 * process. Compiled patterns are cached; the cache is bounded (least recently used leave first)
 * because patterns come from users.
 */
const cache = new LRUCache<string, RE2>({ max: 1000 });

/**
 * A pattern RE2 refuses (`(?<=a)b`, `(a)\1`, `[`, `a{1001}`). Patterns from a definition are checked on
 * save, but one can come from data at run time (a reference, a template): the author's error, which
 * retrying cannot fix.
 */
export class InvalidRegexError extends UserError {
  constructor(pattern: string, reason: string) {
    super(400, 'invalid_regex', `RE2 cannot compile ${JSON.stringify(pattern)}: ${reason}`);
  }
}

/** The compiled pattern, or InvalidRegexError. */
export function compileRe2(pattern: string): RE2 {
  let re = cache.get(pattern);
  if (!re) {
    try {
      re = new RE2(pattern, 'u');
    } catch (error) {
      throw new InvalidRegexError(pattern, error instanceof Error ? error.message : String(error));
    }
    cache.set(pattern, re);
  }
  return re;
}

/** Why RE2 cannot compile the pattern, or undefined when it can. */
export function re2CompileError(pattern: string): string | undefined {
  try {
    compileRe2(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidRegexError) return error.message;
    throw error;
  }
}

export function re2Test(pattern: string, input: string): boolean {
  const re = compileRe2(pattern);
  re.lastIndex = 0;
  return re.test(input);
}

export interface RegexMatch {
  match: string;
  groups: (string | null)[];
  named: Record<string, string | null>;
}

export function re2Match(pattern: string, input: string): RegexMatch | undefined {
  const re = compileRe2(pattern);
  re.lastIndex = 0;
  const m = re.exec(input);
  if (!m) return undefined;
  const named: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(m.groups ?? {})) named[k] = v ?? null;
  return { match: m[0], groups: m.slice(1).map((g) => g ?? null), named };
}
