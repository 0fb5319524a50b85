import Ajv, { type ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import type { JsonObject, JsonValue } from '../core/json';
import { capped, formatPath, type PathSegment, type Problem } from '../core/problems';

/**
 * Checks values against the JSON Schemas of callable workflows (the trigger's `schema` for inputs, the
 * definition's `response.schema` for outputs). Node-only (ajv compiles schemas to functions), so the
 * interpreter calls it through an activity. `strict: false`: exports carry schemas with keys ajv's strict
 * mode refuses (`required: []` beside no properties, unknown formats), and the product accepted them.
 */
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** Compiled schemas by their JSON text: a definition revision's schemas never change. */
const compiled = new LRUCache<string, ValidateFunction>({ max: 500 });

function validatorFor(schema: JsonObject): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** Every way `value` breaks `schema`, located under `prefix` (`inputs.email`); empty when it conforms. */
export function schemaProblems(schema: JsonObject, value: JsonValue, prefix: readonly PathSegment[]): Problem[] {
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (error) {
    return [{ path: formatPath(prefix), message: `the schema does not compile: ${(error as Error).message}` }];
  }
  if (validate(value)) return [];
  return capped(
    (validate.errors ?? []).map((e) => {
      const segments: PathSegment[] = e.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      const missing =
        e.keyword === 'required' ? [String((e.params as { missingProperty?: string }).missingProperty)] : [];
      return { path: formatPath([...prefix, ...segments, ...missing]), message: e.message ?? 'is not valid' };
    }),
  );
}
