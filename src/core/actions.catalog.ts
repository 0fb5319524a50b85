import { z } from 'zod';
import type { ActionName } from './action-names';
import { castBool, castInt, castString } from './cast';
import { parseDuration } from './durations';
import { JsonObjectSchema, JsonValueSchema } from './json.schema';
import {
  ConversationFieldsSchema,
  ConversationPatchSchema,
  CustomerFieldsSchema,
  EmailEntrySchema,
  MessageFieldsSchema,
  NoteFieldsSchema,
  PhoneEntrySchema,
  recordId,
  tagList,
} from './records.schema';

/** Seconds (a number, or digits as a template renders them) or an ISO-8601 duration, in milliseconds. */
const waitDuration = () =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const parsed = parseDuration(typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.ms;
  });

/** When a scheduled run fires: `relative` to the step (seconds or an ISO-8601 duration) or an `absolute` time. */
export const RunAtSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('relative'), value: waitDuration() }),
  z.strictObject({ type: z.literal('absolute'), value: castString().pipe(z.iso.datetime({ offset: true })) }),
]);

export const REST_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** `rest-api.json` and `rest-api.generic` (the product's params; `generic` sends `data` as raw text). */
const restParams = (data: z.ZodType) =>
  z.strictObject({
    uri: castString().pipe(z.string().min(1).max(8000)),
    method: castString()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(REST_METHODS, `must be one of ${REST_METHODS.join(', ')}`))
      .default('GET'),
    headers: z.record(z.string().min(1).max(200), scalar).optional(),
    qs: z.record(z.string().min(1).max(200), z.union([scalar, z.array(scalar)])).optional(),
    data: data.optional(),
    json: castBool().optional(),
    timeout: castInt().pipe(z.number().min(1).max(300_000)).optional(),
    failOn4xx: castBool().default(false),
  });

/**
 * Every action a step can name, with the schema of its params. The interpreter resolves params,
 * then the activity parses them with this schema (casting template strings to numbers etc.); the API
 * checks literal params against it on save. Names are canonical (no `kustomer.` prefix).
 */
export const ACTIONS = {
  'customer.find': z.strictObject({ identifier: castString().pipe(z.string().min(1)) }),
  'customer.find-by-email': z.strictObject({ email: castString().pipe(z.string().min(1)) }),
  'customer.find-by-external-id': z.strictObject({ externalId: castString().pipe(z.string().min(1)) }),
  'customer.create': CustomerFieldsSchema.extend({
    email: EmailEntrySchema.shape.email.optional(),
    phone: PhoneEntrySchema.shape.phone.optional(),
  }),
  'customer.update': CustomerFieldsSchema.extend({ id: recordId() }),
  'conversation.find-by-id': z.strictObject({ id: recordId() }),
  'conversation.create': ConversationFieldsSchema,
  'conversation.update': ConversationPatchSchema.extend({ id: recordId() }),
  'conversation.append-tags': z.strictObject({ id: recordId(), tags: tagList() }),
  'conversation.remove-tags': z.strictObject({ id: recordId(), tags: tagList() }),
  'conversation.assign-user': z.strictObject({ id: recordId(), user: recordId() }),
  'message.create': z.strictObject({
    conversation: recordId(),
    body: castString().pipe(z.string().min(1).max(100_000)),
    subject: MessageFieldsSchema.shape.subject,
    channel: castString().optional(),
  }),
  'message.find-by-id': z.strictObject({ id: recordId() }),
  'message.find-last': z.strictObject({
    conversation: recordId(),
    direction: MessageFieldsSchema.shape.direction.optional(),
  }),
  'note.create': NoteFieldsSchema,
  'regex-match.generic': z.strictObject({
    testString: castString(),
    regex: castString().pipe(z.string().min(1).max(2000)),
  }),
  'app.scheduler.schedule-workflow': z.strictObject({
    workflowId: castString().pipe(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'not a workflow id')),
    runAt: RunAtSchema,
    inputs: JsonObjectSchema.default({}),
  }),
  'rest-api.json': restParams(JsonValueSchema),
  'rest-api.generic': restParams(castString().pipe(z.string().max(400_000))),
} as const satisfies Record<ActionName, z.ZodType>;

// Every name in action-names.ts has a schema above (`satisfies`), and no schema lacks a name:
type Unnamed = Exclude<keyof typeof ACTIONS, ActionName>;
const everySchemaNamed: Unnamed extends never ? true : Unnamed = true;
void everySchemaNamed;

export type ActionParams<A extends ActionName> = z.output<(typeof ACTIONS)[A]>;
export { ACTION_NAMES, lookupAction, type ActionName } from './action-names';
