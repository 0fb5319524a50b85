import { isDeepStrictEqual } from 'node:util';
import RE2 from 're2';
import { evaluateCondition, type RegexTest } from '../src/core/conditions';
import { DefinitionSchema } from '../src/core/definition.schema';
import { resolveParams } from '../src/core/references';
import { renderTemplate } from '../src/core/templates';
import { parseDefinition, validateDefinition } from '../src/core/validate';
import { ctx, eqCondition, expectedParams, largeDefinition, params, triggerCondition } from './fixtures';
import { measure, type BenchResult, type MeasureOptions } from './measure';

/** The pure evaluation core: what every trigger check, step and save pays. */

const noRegex: RegexTest = () => false;

/** The API's save-time check, with the native RE2 as `workflows.service` passes it (uncached here). */
const checkRegex = (pattern: string): string | undefined => {
  try {
    new RE2(pattern, 'u');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

function check(what: string, ok: boolean): void {
  if (!ok) throw new Error(`benchmark precondition failed: ${what}`);
}

export async function coreBenchmarks(opts: MeasureOptions = {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // (a) conditions
  check('eq condition is true', await evaluateCondition(eqCondition, ctx, noRegex));
  check('trigger condition is true', await evaluateCondition(triggerCondition, ctx, noRegex));
  results.push(await measure('evaluateCondition: eq leaf', () => evaluateCondition(eqCondition, ctx, noRegex), opts));
  results.push(
    await measure(
      'evaluateCondition: reference trigger (and/or, 4 leaves)',
      () => evaluateCondition(triggerCondition, ctx, noRegex),
      opts,
    ),
  );

  // (b) params; the first call compiles the three templates, so the measured calls hit the cache.
  check('resolveParams gives the expected values', isDeepStrictEqual(resolveParams(params, ctx), expectedParams));
  results.push(
    await measure('resolveParams: 10 refs + 3 fn + 3 templates (warm)', () => resolveParams(params, ctx), opts),
  );

  // (c) templates, warm then cold. Cold: every call is a template the cache has never seen, so it
  // pays Handlebars' parse + compile (compile is lazy: it happens on that first render).
  const template =
    'VIP {{{steps.lookupCustomer.name}}} closed a conversation after {{{steps.1.messageCount}}} messages.';
  check(
    'template renders',
    renderTemplate(template, ctx) === 'VIP Ada Lovelace closed a conversation after 7 messages.',
  );
  results.push(await measure('renderTemplate: warm (cache hit)', () => renderTemplate(template, ctx), opts));
  let n = 0;
  results.push(
    await measure(
      'renderTemplate: cold (distinct templates, cache miss)',
      () => renderTemplate(`${template} #${n++}`, ctx),
      {
        ...opts,
        note: 'each call renders a never-seen template; the 500-entry LRU evicts one entry per call',
      },
    ),
  );

  // (d) save-time validation of a 250-step definition.
  const input = largeDefinition(250);
  const parsed = parseDefinition(input, { checkRegex, newId: () => 'unused' });
  if (!parsed.ok) throw new Error(`benchmark definition is invalid:\n${JSON.stringify(parsed.problems.slice(0, 5))}`);
  const definition = parsed.definition;
  const slow = { ...opts, minSampleUs: 0 };
  results.push(
    await measure(
      'parseDefinition: 250 steps (schema + checks)',
      () => parseDefinition(input, { checkRegex, newId: () => 'unused' }),
      slow,
    ),
  );
  results.push(
    await measure(
      'validateDefinition: 250 steps (checks only)',
      () => validateDefinition(definition, { checkRegex }),
      slow,
    ),
  );
  results.push(
    await measure('DefinitionSchema.parse: 250 steps (schema only)', () => DefinitionSchema.parse(input), slow),
  );
  const stored = JSON.stringify(definition);
  results.push(
    await measure('read path: JSON.parse + schema, 250 steps', () => DefinitionSchema.parse(JSON.parse(stored)), {
      ...slow,
      note:
        `what reading a workflow revision costs the first time (${(stored.length / 1024).toFixed(0)} KiB ` +
        'stored JSON); later reads of the same revision hit the parsed-revision cache in workflows.service.ts',
    }),
  );
  return results;
}
