import { z } from 'zod';
import { castInt, castString, castStringList } from './cast';
import { JsonObjectSchema } from './json.schema';

/**
 * Writable fields of the CRM records. The API's request bodies and the actions' params both derive
 * from these, so a field means the same thing whether a person or a workflow writes it.
 */

export const CONVERSATION_STATUSES = ['open', 'snoozed', 'done'] as const;
export const MESSAGE_DIRECTIONS = ['in', 'out'] as const;
export const MESSAGE_DIRECTION_TYPES = ['initial-in', 'in', 'initial-out', 'out'] as const;

const id = () => castString().pipe(z.string().min(1).max(200));
const isoDate = () => castString().pipe(z.iso.datetime({ offset: true }));

export const EmailEntrySchema = z.object({ email: castString().pipe(z.email()), type: z.string().optional() });
export const PhoneEntrySchema = z.object({ phone: castString().pipe(z.string().min(3)), type: z.string().optional() });

export const CustomerFieldsSchema = z.strictObject({
  name: castString().pipe(z.string().max(500)).optional(),
  emails: z.array(EmailEntrySchema).max(50).optional(),
  phones: z.array(PhoneEntrySchema).max(50).optional(),
  externalId: id().optional(),
  custom: JsonObjectSchema.optional(),
});
export type CustomerFields = z.infer<typeof CustomerFieldsSchema>;

export const ConversationFieldsSchema = z.strictObject({
  customer: id(),
  name: castString().pipe(z.string().max(500)).optional(),
  channels: castStringList().optional(),
  status: z.enum(CONVERSATION_STATUSES).optional(),
  priority: castInt().pipe(z.number().min(1).max(5)).optional(),
  tags: castStringList().optional(),
  assignedUsers: castStringList().optional(),
  snoozedUntil: isoDate().nullable().optional(),
  custom: JsonObjectSchema.optional(),
});
export type ConversationFields = z.infer<typeof ConversationFieldsSchema>;

export const ConversationPatchSchema = ConversationFieldsSchema.omit({ customer: true }).partial();
export type ConversationPatch = z.infer<typeof ConversationPatchSchema>;

export const MessageFieldsSchema = z.strictObject({
  conversation: id(),
  channel: castString().pipe(z.string().min(1).max(100)).default('email'),
  direction: z.enum(MESSAGE_DIRECTIONS),
  directionType: z.enum(MESSAGE_DIRECTION_TYPES).optional(),
  subject: castString().pipe(z.string().max(1000)).optional(),
  body: castString().pipe(z.string().max(100_000)).default(''),
});
export type MessageFields = z.infer<typeof MessageFieldsSchema>;

export const NoteFieldsSchema = z.strictObject({
  conversation: id(),
  body: castString().pipe(z.string().min(1).max(100_000)),
  userMentions: z.array(z.object({ user: id() })).optional(),
});
export type NoteFields = z.infer<typeof NoteFieldsSchema>;

export const recordId = id;
