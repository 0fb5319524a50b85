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

/** Limits on record fields (README "Limits"); `custom` JSON is bounded by the body and MAX_JSON_DEPTH. */
export const RECORD_LIMITS = {
  id: 200,
  name: 500,
  email: 320,
  phone: 50,
  entryType: 50,
  entries: 50,
  tag: 100,
  tags: 500,
  channel: 100,
  channels: 20,
  users: 50,
  subject: 1000,
  body: 100_000,
} as const;
const L = RECORD_LIMITS;

const id = () => castString().pipe(z.string().min(1).max(L.id));
const isoDate = () => castString().pipe(z.iso.datetime({ offset: true }));
const text = (max: number) => castString().pipe(z.string().max(max));
/** Tags as the records and the tag actions take them. */
export const tagList = () => castStringList(L.tag, L.tags);

export const EmailEntrySchema = z.strictObject({
  email: castString().pipe(z.string().max(L.email)).pipe(z.email()),
  type: z.string().max(L.entryType).optional(),
});
export type EmailEntry = z.infer<typeof EmailEntrySchema>;
export const PhoneEntrySchema = z.strictObject({
  phone: castString().pipe(z.string().min(3).max(L.phone)),
  type: z.string().max(L.entryType).optional(),
});
export type PhoneEntry = z.infer<typeof PhoneEntrySchema>;

export const CustomerFieldsSchema = z.strictObject({
  name: text(L.name).optional(),
  emails: z.array(EmailEntrySchema).max(L.entries).optional(),
  phones: z.array(PhoneEntrySchema).max(L.entries).optional(),
  externalId: id().optional(),
  custom: JsonObjectSchema.optional(),
});
export type CustomerFields = z.infer<typeof CustomerFieldsSchema>;

export const ConversationFieldsSchema = z.strictObject({
  customer: id(),
  name: text(L.name).optional(),
  channels: castStringList(L.channel, L.channels).optional(),
  status: z.enum(CONVERSATION_STATUSES).optional(),
  priority: castInt().pipe(z.number().min(1).max(5)).optional(),
  tags: tagList().optional(),
  assignedUsers: castStringList(L.id, L.users).optional(),
  snoozedUntil: isoDate().nullable().optional(),
  custom: JsonObjectSchema.optional(),
});
export type ConversationFields = z.infer<typeof ConversationFieldsSchema>;

export const ConversationPatchSchema = ConversationFieldsSchema.omit({ customer: true }).partial();
export type ConversationPatch = z.infer<typeof ConversationPatchSchema>;

export const MessageFieldsSchema = z.strictObject({
  conversation: id(),
  channel: castString().pipe(z.string().min(1).max(L.channel)).default('email'),
  direction: z.enum(MESSAGE_DIRECTIONS),
  directionType: z.enum(MESSAGE_DIRECTION_TYPES).optional(),
  subject: text(L.subject).optional(),
  body: text(L.body).default(''),
});
export type MessageFields = z.infer<typeof MessageFieldsSchema>;

export const NoteFieldsSchema = z.strictObject({
  conversation: id(),
  body: castString().pipe(z.string().min(1).max(L.body)),
  userMentions: z
    .array(z.strictObject({ user: id() }))
    .max(L.users)
    .optional(),
});
export type NoteFields = z.infer<typeof NoteFieldsSchema>;

export const recordId = id;
