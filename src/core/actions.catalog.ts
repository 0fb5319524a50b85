import { z } from 'zod';
import { castString, castStringList } from './cast';
import { canonicalName } from './names';
import {
  ConversationFieldsSchema,
  ConversationPatchSchema,
  CustomerFieldsSchema,
  MessageFieldsSchema,
  NoteFieldsSchema,
  recordId,
} from './records.schema';

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
    email: castString().pipe(z.email()).optional(),
    phone: castString().optional(),
  }),
  'customer.update': CustomerFieldsSchema.extend({ id: recordId() }),
  'conversation.find-by-id': z.strictObject({ id: recordId() }),
  'conversation.create': ConversationFieldsSchema,
  'conversation.update': ConversationPatchSchema.extend({ id: recordId() }),
  'conversation.append-tags': z.strictObject({ id: recordId(), tags: castStringList() }),
  'conversation.remove-tags': z.strictObject({ id: recordId(), tags: castStringList() }),
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
} as const;

export type ActionName = keyof typeof ACTIONS;
export type ActionParams<A extends ActionName> = z.output<(typeof ACTIONS)[A]>;

export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

/** The canonical action for a step's `action` (prefix optional), or undefined when unknown. */
export function lookupAction(name: string): ActionName | undefined {
  const canonical = canonicalName(name);
  return Object.hasOwn(ACTIONS, canonical) ? (canonical as ActionName) : undefined;
}
