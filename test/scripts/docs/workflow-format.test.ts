import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../../src/core/actions.catalog';
import { BUILTIN_STEP_NAMES } from '../../../src/core/builtins.catalog';
import { OPERATORS } from '../../../src/core/definition.schema';
import { FUNCTION_NAMES } from '../../../src/core/functions';
import { TEMPLATE_HELPERS } from '../../../src/core/templates';
import { parseDefinition } from '../../../src/core/validate';
import { jsonSchemaError } from '../../../src/services/json-schemas';
import { re2CompileError } from '../../../src/services/regex';
import { DOC_PATH, withActionReference } from '../../../scripts/docs/workflow-format';

/**
 * docs/workflow-format.md is the format's reference inside the repository: its action reference is
 * generated from the catalogue, its examples must be definitions the API accepts, and every operator,
 * function and helper the code accepts must have its row.
 */
const doc = readFileSync(DOC_PATH, 'utf8');

/** The bodies of the code blocks fenced as `json` (complete definitions; fragments are `jsonc`). */
function jsonExamples(text: string): string[] {
  return [...text.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** The first cells of the document's table rows: `| \`eq\` | ...` gives "eq". */
function rowNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^\| `([^`]+)`/gm)].map((match) => match[1]!));
}

describe('withActionReference', () => {
  it('leaves the committed document unchanged (else run `npm run docs` and commit the result)', async () => {
    expect(await withActionReference(doc)).toBe(doc);
  });

  it('describes every action of the catalogue under its own heading', async () => {
    const generated = await withActionReference(doc);
    for (const name of ACTION_NAMES) expect(generated).toContain(`### \`${name}\``);
  });

  it('describes every built-in step under its own heading, after the actions', async () => {
    const generated = await withActionReference(doc);
    const actionsEnd = generated.indexOf('<!-- END GENERATED: actions -->');
    for (const name of BUILTIN_STEP_NAMES) {
      expect(generated.indexOf(`### \`${name}\``), name).toBeGreaterThan(actionsEnd);
    }
  });

  it('refuses a document without its markers', async () => {
    await expect(withActionReference('# no markers here\n')).rejects.toThrow(/must hold/);
  });
});

describe('docs/workflow-format.md', () => {
  const examples = jsonExamples(doc);

  it('holds the examples it promises', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples.map((body, i) => [i + 1, body] as const))('example %i is a valid definition', (_i, body) => {
    let n = 0;
    const result = parseDefinition(JSON.parse(body), {
      checkRegex: re2CompileError,
      checkJsonSchema: jsonSchemaError,
      newId: () => `generated${++n}`,
    });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('has a row for every condition operator, /#fn function and template helper', () => {
    const rows = rowNames(doc);
    const missing = [...OPERATORS, ...FUNCTION_NAMES, ...TEMPLATE_HELPERS].filter((name) => !rows.has(name));
    expect(missing).toEqual([]);
  });
});
