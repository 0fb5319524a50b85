import type { z } from 'zod';
import { MAX_PROBLEMS } from './limits';

/** One thing wrong with client input, located by a JSON path such as `steps[2].transitions[0].target`. */
export interface Problem {
  path: string;
  message: string;
}

export type PathSegment = string | number;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '$' : out;
}

/** Every zod issue as a Problem, with `prefix` prepended to its path. */
export function problemsFromZod(error: z.ZodError, prefix: readonly PathSegment[] = []): Problem[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...(issue.path as PathSegment[])]),
    message: issue.message,
  }));
}

/** The last problem of a list cut at `MAX_PROBLEMS`. */
const TOO_MANY: Problem = {
  path: '$',
  message: `more problems not listed: validation stops after ${MAX_PROBLEMS}`,
};

/** `problems`, cut at `MAX_PROBLEMS` and then ended with `TOO_MANY`. */
export function capped(problems: Problem[]): Problem[] {
  return problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), TOO_MANY] : problems;
}

/** Thrown by `collectProblems`' report when the list is full, to stop checking. */
class ListFull {}

/**
 * Runs `check` with a `report` function and returns what it reported: each distinct (path, message)
 * once, in order, at most `MAX_PROBLEMS` of them. Past that, the list ends with `TOO_MANY` and `check`
 * is stopped (its next report throws, and the throw is caught here), so no input makes the list, or
 * the time spent building it, large.
 */
export function collectProblems(check: (report: (path: PathSegment[], message: string) => void) => void): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  try {
    check((path, message) => {
      const problem = { path: formatPath(path), message };
      const key = `${problem.path}\u0000${message}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (problems.length === MAX_PROBLEMS) {
        problems.push(TOO_MANY);
        throw new ListFull();
      }
      problems.push(problem);
    });
  } catch (error) {
    if (!(error instanceof ListFull)) throw error;
  }
  return problems;
}
