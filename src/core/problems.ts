import type { z } from 'zod';

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
