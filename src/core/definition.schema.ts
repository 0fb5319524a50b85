import { z } from 'zod';
import { JsonObjectSchema, JsonValueSchema } from './json.schema';

/**
 * The workflow document format (see shared/reference/kustomer-workflows.md). This schema is the
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
export type Operator = (typeof OPERATORS)[number];
export const OperatorSchema = z.enum(OPERATORS, {
  error: (issue) => `unknown operator ${JSON.stringify(issue.input)}`,
});

/** `{op, values}`. For `and`/`or` the values are nested conditions; they are checked recursively. */
export const ConditionSchema = z
  .object({ op: OperatorSchema, values: z.array(JsonValueSchema).default([]) })
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

export const ALWAYS: Condition = { op: 'true', values: [true] };

export const TransitionSchema = z.object({
  target: z.string().min(1),
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

const StepIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'step ids may hold only letters, digits, "_" and "-"');

export const StepSchema = z.object({
  id: StepIdSchema,
  action: z.string().min(1).optional(),
  params: JsonObjectSchema.optional(),
  appVersion: z.string().optional(),
  transitions: z.array(TransitionSchema).default([]),
  errorCases: z.array(TransitionSchema).default([]),
  meta: JsonObjectSchema.optional(),
  retry: RetrySchema.optional(),
});
export type Step = z.infer<typeof StepSchema>;

/** A step as a client may send it: the id is optional and generated on save. */
export const StepInputSchema = StepSchema.extend({ id: StepIdSchema.optional() });

export const TriggerSchema = z.object({
  id: z.literal('1', { error: 'the trigger is always step "1"' }).default('1'),
  eventName: z.string().trim().min(1, 'eventName must not be blank'),
  transitions: z.array(TransitionSchema).default([]),
  appVersion: z.string().optional(),
  meta: JsonObjectSchema.optional(),
  callable: z.boolean().optional(),
  schema: JsonObjectSchema.optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

/** Bounds save-time graph checks (quadratic in the worst case) and the size of a run's input. */
export const MAX_STEPS = 250;

const definitionShape = {
  name: z.string().min(1).max(200),
  description: z.string().max(5000).default(''),
  enabled: z.boolean().default(false),
  meta: JsonObjectSchema.default({}),
  trigger: TriggerSchema,
  response: JsonObjectSchema.optional(),
  replaces: JsonValueSchema.optional(),
};

/** A complete, stored definition: every step has an id. */
export const DefinitionSchema = z.object({ ...definitionShape, steps: z.array(StepSchema).max(MAX_STEPS).default([]) });
export type Definition = z.infer<typeof DefinitionSchema>;

/** A definition as clients send it (create, import): step ids may be missing. */
export const DefinitionInputSchema = z.object({
  ...definitionShape,
  steps: z.array(StepInputSchema).max(MAX_STEPS).default([]),
});

/** Version of the stored definition format; bump it and add an upgrade step when the shape changes. */
export const DEFINITION_FORMAT_VERSION = 1;
