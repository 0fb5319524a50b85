import { z } from 'zod';
import { ConditionSchema, WaitDurationSchema } from './definition.schema';
import { JsonObjectSchema } from './json.schema';
import { EVENT_NAME_PATTERN, MAX_NAME_LENGTH } from './names';
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
const duration = WaitDurationSchema;

/** An ISO-8601 time with its offset (`2026-05-01T09:00:00Z`), as records hold dates. */
const isoTime = z.iso.datetime({ offset: true, error: 'until is an ISO-8601 time such as "2026-05-01T09:00:00Z"' });

export const BUILTIN_STEPS = {
  delay: z
    .strictObject({ duration: duration.optional(), until: isoTime.optional() })
    .refine((p) => (p.duration === undefined) !== (p.until === undefined), {
      message: 'give either duration or until',
    }),
  'wait-for-event': z.strictObject({
    eventName: z.string().min(1).max(MAX_NAME_LENGTH).regex(EVENT_NAME_PATTERN, 'not an event name'),
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
