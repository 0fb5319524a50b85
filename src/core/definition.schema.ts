import { z } from 'zod';
import { parseDuration } from './durations';
import { isPlainObject, type JsonObject } from './json';
import { JsonObjectSchema, JsonValueSchema } from './json.schema';
import { EVENT_NAME_PATTERN, MAX_NAME_LENGTH } from './names';

/**
 * The workflow document format (described in docs/workflow-format.md). This schema is the
 * single source of the format: the API validates bodies with it, the interpreter receives values of
 * its inferred types, and graph/semantic checks (`validateDefinition`) run on its output.
 */

export const OPERATORS = [
  'true',
  'and',
  'or',
  'eq',
  'neq',
  'contains',
  'ncontains',
  'exists',
  'dne',
  'gt',
  'gte',
  'lt',
  'lte',
  'regex',
] as const;
export const OperatorSchema = z.enum(OPERATORS, {
  error: (issue) => `unknown operator ${JSON.stringify(issue.input)}`,
});

/**
 * Limits on what a definition may hold (README "Limits"). Free-form JSON (`params`, `meta`, condition
 * operands) is bounded by the 400 KB body and by MAX_JSON_DEPTH.
 */
export const DEFINITION_LIMITS = {
  steps: 250,
  transitionsPerStep: 50,
  conditionValues: 100,
  stepId: 64,
  name: 200,
  description: 5000,
  actionName: 200,
  appVersion: 100,
} as const;

/**
 * Keys the server manages: our own `GET` answers carry `id`, `rev`, `createdAt` and `updatedAt`, and
 * exports from the product we follow carry more (docs/workflow-format.md, section 2), including a Mongo `_id`
 * on every step. They are accepted and ignored on input, so an export or a read-modify-write imports
 * unchanged; any other unknown key is refused by name.
 */
const SERVER_MANAGED_ROOT_KEYS = [
  'id',
  '_id',
  'org',
  'rev',
  'createdAt',
  'updatedAt',
  'modifiedAt',
  'loggingAt',
  'createdBy',
  'modifiedBy',
  'appDisabled',
  'editable',
  'systemDisabled',
  'containsVariables',
  'schedules',
  'dynamicSchedules',
  'appSettings',
  'objectMapping',
] as const;

/** The object without `keys` (a copy; the input is never changed), anything else as it is. */
function withoutKeys(keys: readonly string[]) {
  return (value: unknown): unknown => {
    if (!isPlainObject(value)) return value;
    if (!keys.some((key) => Object.hasOwn(value, key))) return value;
    const copy: Record<string, unknown> = { ...value };
    for (const key of keys) delete copy[key];
    return copy;
  };
}

/** `{op, values}`. For `and`/`or` the values are nested conditions; they are checked recursively. */
export const ConditionSchema = z
  .strictObject({
    op: OperatorSchema,
    values: z.array(JsonValueSchema).max(DEFINITION_LIMITS.conditionValues).default([]),
  })
  .superRefine((cond, ctx) => {
    if (cond.op !== 'and' && cond.op !== 'or') return;
    cond.values.forEach((child, i) => {
      const parsed = ConditionSchema.safeParse(child);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: 'custom', message: issue.message, path: ['values', i, ...issue.path] });
        }
      }
    });
  });
export type Condition = z.infer<typeof ConditionSchema>;

const ALWAYS: Condition = { op: 'true', values: [true] };

export const TransitionSchema = z.strictObject({
  target: z.string().min(1).max(DEFINITION_LIMITS.stepId),
  condition: ConditionSchema.default(ALWAYS),
  meta: JsonObjectSchema.optional(),
});
export type Transition = z.infer<typeof TransitionSchema>;

const DurationSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/)]);

/** Per-step retry override; unset fields fall back to the configured defaults. */
export const RetrySchema = z.strictObject({
  maximumAttempts: z.number().int().min(1).max(100).optional(),
  initialInterval: DurationSchema.optional(),
  backoffCoefficient: z.number().min(1).max(10).optional(),
  maximumInterval: DurationSchema.optional(),
});
export type StepRetry = z.infer<typeof RetrySchema>;

/**
 * Step ids become keys of a run's `steps` object and segments of `/#steps.<id>` paths, so a name
 * that objects inherit (`__proto__`, `constructor`, `toString`, ...) or `prototype` is refused.
 */
const INHERITED_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const StepIdSchema = z
  .string()
  .min(1)
  .max(DEFINITION_LIMITS.stepId)
  .regex(/^[A-Za-z0-9_-]+$/, 'step ids may hold only letters, digits, "_" and "-"')
  .refine((id) => !INHERITED_NAMES.has(id), {
    error: (issue) => `${JSON.stringify(issue.input)} is reserved: JavaScript objects inherit that name`,
  });

const transitionList = () => z.array(TransitionSchema).max(DEFINITION_LIMITS.transitionsPerStep).default([]);
const appVersion = () => z.string().max(DEFINITION_LIMITS.appVersion).optional();

const stepShape = {
  id: StepIdSchema,
  action: z.string().min(1).max(DEFINITION_LIMITS.actionName).optional(),
  params: JsonObjectSchema.optional(),
  appVersion: appVersion(),
  transitions: transitionList(),
  errorCases: transitionList(),
  meta: JsonObjectSchema.optional(),
  retry: RetrySchema.optional(),
};

export const StepSchema = z.strictObject(stepShape);
export type Step = z.infer<typeof StepSchema>;

/** A step as a client may send it: the id is optional and generated on save; a stored `_id` is ignored. */
export const StepInputSchema = z.preprocess(
  withoutKeys(['_id']),
  z.strictObject({ ...stepShape, id: StepIdSchema.optional() }),
);

/**
 * How long a wait lasts: an ISO-8601 duration (`"PT15M"`, `"P2D"`) or a number of seconds, at most a
 * year (src/core/durations.ts). Used by debounce delays and the built-in steps that wait.
 */
export const WaitDurationSchema = z.union([z.string().max(100), z.number()]).superRefine((value, ctx) => {
  const parsed = parseDuration(value);
  if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
});

/**
 * Runs for one record (one key) at a time: `queue` runs them one after another in arrival order,
 * `replace` cancels the running one when a new event arrives, `parallel` (the default) sets no limit.
 */
export const CONCURRENCY_MODES = ['queue', 'replace', 'parallel'] as const;
const ConcurrencyModeSchema = z.enum(CONCURRENCY_MODES, {
  error: (issue) => `concurrency is one of ${CONCURRENCY_MODES.join(', ')}, not ${JSON.stringify(issue.input)}`,
});
export type ConcurrencyMode = (typeof CONCURRENCY_MODES)[number];

/** The key runs are grouped by when a trigger names none: the record the event is about. */
export const DEFAULT_RUN_KEY = '/#steps.1.id';

const runKey = () => z.string().min(1).max(200);

/** `"queue"` is short for `{"mode": "queue"}`; the key defaults to `DEFAULT_RUN_KEY`. */
export const ConcurrencySchema = z.union([
  ConcurrencyModeSchema,
  z.strictObject({ mode: ConcurrencyModeSchema, key: runKey().optional() }),
]);
export type Concurrency = z.infer<typeof ConcurrencySchema>;

/** Each matching event restarts a wait of `delay` for its `key`; the steps run once when it ends. */
export const DebounceSchema = z.strictObject({ key: runKey(), delay: WaitDurationSchema });
export type Debounce = z.infer<typeof DebounceSchema>;

/** A JSON Schema (the inputs of a callable trigger, the outputs in `response`); compiled on save. */
const JsonSchemaObject = JsonObjectSchema;

const JSON_TYPES: ReadonlySet<unknown> = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/**
 * The JSON Schema a `schema` stands for. App exports write inputs and outputs as a map of names to types
 * (`{"input1": "string"}`): a non-empty object whose every value is a JSON type name, with no `type` key
 * and no `$` keyword, reads as an object schema with those properties, none required. Anything else is
 * a JSON Schema as it is. The definition keeps what was written; this is what is compiled.
 */
export function jsonSchemaOf(schema: JsonObject): JsonObject {
  const entries = Object.entries(schema);
  const shorthand =
    entries.length > 0 &&
    !Object.hasOwn(schema, 'type') &&
    entries.every(([key, value]) => !key.startsWith('$') && JSON_TYPES.has(value));
  if (!shorthand) return schema;
  return { type: 'object', properties: Object.fromEntries(entries.map(([key, type]) => [key, { type }])) };
}

const eventNameSchema = () =>
  z
    .string()
    .trim()
    .min(1, { error: 'eventName must not be blank', abort: true })
    .max(MAX_NAME_LENGTH, { abort: true })
    .regex(EVENT_NAME_PATTERN, 'event names hold letters, digits and "." "_" "-" ":" only');

const triggerShape = {
  id: z.literal('1', { error: 'the trigger is always step "1"' }).default('1'),
  eventName: eventNameSchema(),
  transitions: transitionList(),
  appVersion: appVersion(),
  meta: JsonObjectSchema.optional(),
  /** Runs only when called (`POST /v1/workflows/:id/call`, `workflow.call`, scheduled runs), never on events. */
  callable: z.boolean().optional(),
  /** JSON Schema of a callable trigger's inputs (`steps.1`). */
  schema: JsonSchemaObject.optional(),
  debounce: DebounceSchema.optional(),
  concurrency: ConcurrencySchema.optional(),
};

/** A stored trigger: it always has an event name (a callable one was named on save). */
export const TriggerSchema = z.preprocess(withoutKeys(['_id']), z.strictObject(triggerShape));

/** A trigger as clients send it: a callable trigger may leave `eventName` out (`callableEventName`). */
const TriggerInputSchema = z.preprocess(
  withoutKeys(['_id']),
  z.strictObject({ ...triggerShape, eventName: eventNameSchema().optional() }).superRefine(
    (trigger, ctx) => {
      // `trigger` may be partly invalid here (see `when`): read only what is checked.
      const { eventName, callable } = trigger as { eventName?: unknown; callable?: unknown };
      if (eventName === undefined && callable !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['eventName'],
          message: 'eventName is required (only a callable trigger may leave it out: it is named on save)',
        });
      }
    },
    // Also when other keys of the trigger have problems, so that a missing name is reported with them.
    { when: (payload) => isPlainObject(payload.value) },
  ),
);
export type Trigger = z.infer<typeof TriggerSchema>;

/** Bounds save-time graph checks (quadratic in the worst case) and the size of a run's input. */
export const MAX_STEPS = DEFINITION_LIMITS.steps;

const definitionShape = {
  name: z.string().min(1).max(DEFINITION_LIMITS.name),
  description: z.string().max(DEFINITION_LIMITS.description).default(''),
  enabled: z.boolean().default(false),
  meta: JsonObjectSchema.default({}),
  /** What a callable run answers: `schema` is the JSON Schema of the outputs `workflow.respond` sets. */
  response: z.strictObject({ schema: JsonSchemaObject.optional() }).optional(),
  replaces: JsonValueSchema.optional(),
};

/** A complete, stored definition: every step has an id. */
export const DefinitionSchema = z.strictObject({
  ...definitionShape,
  trigger: TriggerSchema,
  steps: z.array(StepSchema).max(MAX_STEPS).default([]),
});
export type Definition = z.infer<typeof DefinitionSchema>;

/**
 * A definition as clients send it (create, import): step ids may be missing, and a callable trigger's
 * event name.
 */
export const DefinitionInputSchema = z.preprocess(
  withoutKeys(SERVER_MANAGED_ROOT_KEYS),
  z.strictObject({
    ...definitionShape,
    trigger: TriggerInputSchema,
    steps: z.array(StepInputSchema).max(MAX_STEPS).default([]),
  }),
);

/** Version of the stored definition format; bump it and add an upgrade step when the shape changes. */
export const DEFINITION_FORMAT_VERSION = 1;
