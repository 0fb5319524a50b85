import { z } from 'zod';
import { isPlainObject, jsonProblem, type JsonObject, type JsonValue } from './json';

// The zod schemas of user JSON, apart from json.ts so that workflow code, which needs only the
// helpers, does not load zod (every run evaluates its bundle's modules afresh).

/**
 * Validated, never rebuilt: zod's own json/record schemas copy objects by assignment, which drops
 * an own `"__proto__"` key. User JSON must round-trip exactly, whatever its keys.
 */
function jsonSchema<T>(check: (value: unknown) => string | undefined): z.ZodType<T> {
  return z.unknown().check((ctx) => {
    const top = check(ctx.value);
    if (top !== undefined) {
      ctx.issues.push({ code: 'custom', message: top, input: ctx.value });
      return;
    }
    const problem = jsonProblem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem.message, path: problem.path, input: ctx.value });
  }) as unknown as z.ZodType<T>;
}

export const JsonValueSchema = jsonSchema<JsonValue>((v) => (v === undefined ? 'expected a JSON value' : undefined));
export const JsonObjectSchema = jsonSchema<JsonObject>((v) =>
  isPlainObject(v) ? undefined : 'expected a JSON object',
);
