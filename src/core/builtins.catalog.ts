import { z } from 'zod';
import { ConditionSchema } from './definition.schema';
import { parseDuration } from './durations';
import { JsonObjectSchema } from './json.schema';
import type { BuiltinStep } from './builtin-names';

/**
 * Steps the interpreter runs itself, not as activities: they wait on Temporal timers and signals, start
 * child runs, or set the run's outputs. Names are canonical (no `kustomer.` prefix); aliases are the
 * names exports use. Actions that are activities are in actions.catalog.ts.
 *
 * - `delay`: waits `duration`, or until the time `until` (an ISO time, usually a reference such as
 *   `/#steps.1.snoozedUntil`); output `{"until"}`, the time it waited for.
 * - `wait-for-event`: waits until an event named `eventName` arrives for the record `key` (by default
 *   the trigger's record, `/#steps.1.id`) and `condition` holds on it (`/#steps.<this step>` is the
 *   event's data while it is tested), or `timeout` passes; output `{"timedOut", "event"}`.
 * - `workflow.respond`: sets the run's outputs (checked against the definition's `response.schema`).
 * - `workflow.call`: runs a callable definition of the same org as a child run, with `inputs` as its
 *   `steps.1`, and outputs the child's outputs.
 */
const duration = z.union([z.string().max(100), z.number()]).superRefine((value, ctx) => {
  const parsed = parseDuration(value);
  if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const BUILTIN_STEPS = {
  delay: z
    .strictObject({ duration: duration.optional(), until: z.string().min(1).max(100).optional() })
    .refine((p) => (p.duration === undefined) !== (p.until === undefined), {
      message: 'give either duration or until',
    }),
  'wait-for-event': z.strictObject({
    eventName: z.string().min(1).max(200),
    key: z.string().min(1).max(200).optional(),
    condition: ConditionSchema.optional(),
    timeout: duration,
  }),
  'workflow.respond': z.strictObject({ outputs: JsonObjectSchema, responseMeta: JsonObjectSchema.optional() }),
  'workflow.call': z.strictObject({
    workflowId: z.string().min(1).max(100),
    inputs: JsonObjectSchema.default({}),
  }),
} as const satisfies Record<BuiltinStep, z.ZodType>;

export type BuiltinParams<B extends BuiltinStep> = z.output<(typeof BUILTIN_STEPS)[B]>;
export { BUILTIN_STEP_NAMES, lookupBuiltin, type BuiltinStep } from './builtin-names';
