import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import RE2 from 're2';
import { jsonSchemaOf } from '../core/definition.schema';
import type { JsonObject } from '../core/json';
import type { Problem } from '../core/problems';

/**
 * JSON Schemas of callable workflows' inputs (`trigger.schema`) and outputs (`response.schema`), compiled
 * with ajv. Strict: an unknown keyword (a typo such as `"requird"`) is refused on save rather than
 * ignored. `pattern` runs under RE2, as every user regex does, so no schema can hang a process. Compiled
 * validators are cached by the schema's text, bounded because schemas come from users; ajv's own cache
 * is emptied after each compile for the same reason.
 */
/** ajv's regExp engine: RE2 (`code` names it for standalone code, which we do not generate). */
const re2Engine = Object.assign((pattern: string, flags: string) => new RE2(pattern, flags), {
  code: 'require("re2")',
});

const ajv = new Ajv({
  strict: true,
  strictTypes: false,
  strictTuples: false,
  allErrors: true,
  code: { regExp: re2Engine },
});
addFormats(ajv);

const cache = new LRUCache<string, ValidateFunction | { error: string }>({ max: 500 });

function compiled(schema: JsonObject): ValidateFunction | { error: string } {
  const key = JSON.stringify(schema);
  let entry = cache.get(key);
  if (entry === undefined) {
    try {
      entry = ajv.compile(jsonSchemaOf(schema));
    } catch (error) {
      entry = { error: error instanceof Error ? error.message : String(error) };
    } finally {
      ajv.removeSchema();
    }
    cache.set(key, entry);
  }
  return entry;
}

/** Why the schema does not compile, or undefined when it does (the save-time check). */
export function jsonSchemaError(schema: JsonObject): string | undefined {
  const entry = compiled(schema);
  return 'error' in entry ? entry.error : undefined;
}

/**
 * What is wrong with `value` against `schema` (empty when it fits), each problem at its JSON path under
 * `root` (`inputs.email`). A schema that does not compile is one problem at `root`.
 */
export function jsonSchemaProblems(schema: JsonObject, value: unknown, root: string): Problem[] {
  const entry = compiled(schema);
  if ('error' in entry) return [{ path: root, message: `the schema is not valid: ${entry.error}` }];
  if (entry(value)) return [];
  return (entry.errors ?? []).map((error) => ({ path: pathOf(root, error), message: messageOf(error) }));
}

/** `/a/0/b` (a JSON Pointer) under `inputs` is `inputs.a[0].b`. */
function pathOf(root: string, error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const missing = error.keyword === 'required' ? [String(error.params['missingProperty'])] : [];
  return [...segments, ...missing].reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : `${path}.${s}`), root);
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === 'required') return 'required';
  if (error.keyword === 'additionalProperties') {
    return `unknown property ${JSON.stringify(error.params['additionalProperty'])}`;
  }
  return error.message ?? `fails "${error.keyword}"`;
}
