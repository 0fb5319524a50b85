import type { JsonValue } from './json';

/**
 * Everything a value, template or condition may read while a run is evaluated. It is plain data so
 * the same evaluation code runs in the API (save-time checks, dry runs) and in Temporal's workflow
 * sandbox, where it must be deterministic: the clock comes in as `now`, never from `Date.now()`.
 */
export interface EvalContext {
  /** Outputs by step id; `'1'` is the trigger's output (the event). A step that has not run is absent. */
  steps: Record<string, JsonValue | undefined>;
  /** Set while handling a failed step (its `errorCases` and the steps after them). */
  error?: { message: string; code: string };
  /** Epoch milliseconds; in workflow code this is Temporal's clock, so replays see the same time. */
  now: number;
  /**
   * What `variables.<id or name>` renders while an action's params are resolved: a marker per variable the
   * params name, which the activity replaces with the value (see src/activities/variables.ts). Values never
   * enter workflow code; conditions see no variables at all.
   */
  variables?: Record<string, string>;
}

/**
 * The object that `/#` references, `/#fn:` paths and Handlebars templates are resolved against:
 * `steps.<id>...`, `error.<field>` and `variables.<id>`. Variables (secrets) are not resolved by the core:
 * `variables` holds the markers of `ctx.variables`, or nothing.
 */
export function evaluationRoot(ctx: EvalContext): {
  steps: EvalContext['steps'];
  error?: EvalContext['error'];
  variables: Record<string, string>;
} {
  const variables = ctx.variables ?? {};
  return ctx.error === undefined ? { steps: ctx.steps, variables } : { steps: ctx.steps, error: ctx.error, variables };
}
