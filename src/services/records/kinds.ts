/**
 * What a record kind is: its name, how its stored document is read and written, and how it maps
 * between that document and its JSON form. The JSON form is what the API returns, what events carry
 * and what steps output: attributes at the top level, related records as ids, dates as ISO strings.
 * Each JSON type is inferred from its mapper, and each document type from its model.
 */
import type { EmailEntry, PhoneEntry } from '../../core/records.schema';
import { ConversationModel } from '../../models/conversation.model';
import { CustomerModel } from '../../models/customer.model';
import { objectFromJsonText } from '../../models/json-text';
import { MessageModel } from '../../models/message.model';
import { NoteModel } from '../../models/note.model';

/** The record kinds: the one list that events, plans and the sweeper name kinds from. */
export const RECORD_KIND_NAMES = ['customer', 'conversation', 'message', 'note'] as const;
export type RecordKindName = (typeof RECORD_KIND_NAMES)[number];

export type RecordFilter = { _id: string; org: string };

// The stored documents, as mongoose infers them from each model's schema.
const findCustomer = (filter: RecordFilter) => CustomerModel.findOne(filter).lean();
const findConversation = (filter: RecordFilter) => ConversationModel.findOne(filter).lean();
const findMessage = (filter: RecordFilter) => MessageModel.findOne(filter).lean();
const findNote = (filter: RecordFilter) => NoteModel.findOne(filter).lean();
type Row<F extends (filter: RecordFilter) => PromiseLike<unknown>> = NonNullable<Awaited<ReturnType<F>>>;
type CustomerRow = Row<typeof findCustomer>;
type ConversationRow = Row<typeof findConversation>;
type MessageRow = Row<typeof findMessage>;
type NoteRow = Row<typeof findNote>;

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const date = (v: string | null): Date | undefined => (typeof v === 'string' ? new Date(v) : undefined);

function customerJson(d: CustomerRow) {
  return {
    id: d._id,
    name: d.name ?? null,
    emails: d.emails.map((e): EmailEntry =>
      e.type ? { email: e.email ?? '', type: e.type } : { email: e.email ?? '' },
    ),
    phones: d.phones.map((p): PhoneEntry =>
      p.type ? { phone: p.phone ?? '', type: p.type } : { phone: p.phone ?? '' },
    ),
    externalId: d.externalId ?? null,
    custom: objectFromJsonText(d.customJson),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

function conversationJson(d: ConversationRow) {
  return {
    id: d._id,
    customer: d.customer,
    name: d.name ?? null,
    channels: [...d.channels],
    status: d.status,
    priority: d.priority,
    tags: [...d.tags],
    assignedUsers: [...d.assignedUsers],
    snoozedUntil: iso(d.snoozedUntil),
    custom: objectFromJsonText(d.customJson),
    messageCount: d.messageCount ?? 0,
    lastMessageAt: iso(d.lastMessageAt),
    lastMessageInAt: iso(d.lastMessageInAt),
    lastMessageOutAt: iso(d.lastMessageOutAt),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

function messageJson(d: MessageRow) {
  return {
    id: d._id,
    conversation: d.conversation,
    customer: d.customer,
    channel: d.channel,
    direction: d.direction,
    directionType: d.directionType,
    subject: d.subject ?? null,
    body: d.body ?? '',
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

function noteJson(d: NoteRow) {
  return {
    id: d._id,
    conversation: d.conversation,
    customer: d.customer,
    body: d.body,
    userMentions: d.userMentions.map((m) => ({ user: m.user ?? '' })),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

export type CustomerJson = ReturnType<typeof customerJson>;
export type ConversationJson = ReturnType<typeof conversationJson>;
export type MessageJson = ReturnType<typeof messageJson>;
export type NoteJson = ReturnType<typeof noteJson>;

interface RecordTypes {
  customer: { row: CustomerRow; json: CustomerJson };
  conversation: { row: ConversationRow; json: ConversationJson };
  message: { row: MessageRow; json: MessageJson };
  note: { row: NoteRow; json: NoteJson };
}
export type RecordRow<K extends RecordKindName> = RecordTypes[K]['row'];
export type RecordJson<K extends RecordKindName> = RecordTypes[K]['json'];

/** The writes the record layer makes on a model (every model has them). */
interface RecordModel {
  create(doc: Record<string, unknown>): Promise<unknown>;
  updateOne(filter: RecordFilter, update: { $set: Record<string, unknown> }): PromiseLike<unknown>;
}

export interface RecordKind<K extends RecordKindName> {
  readonly name: K;
  readonly label: string;
  readonly model: RecordModel;
  findOne(filter: RecordFilter): PromiseLike<RecordRow<K> | null>;
  toJson(doc: RecordRow<K>): RecordJson<K>;
  /** The stored fields of a record's JSON form (dates as Dates, custom attributes as text). */
  toDoc(json: RecordJson<K>): Record<string, unknown>;
}

/** Records written once (messages, notes): stored as they are, dates as Dates. */
const withDates = (j: MessageJson | NoteJson): Record<string, unknown> => ({
  ...j,
  createdAt: date(j.createdAt),
  updatedAt: date(j.updatedAt),
});

export const CUSTOMER: RecordKind<'customer'> = {
  name: 'customer',
  label: 'customer',
  model: CustomerModel,
  findOne: findCustomer,
  toJson: customerJson,
  toDoc: (j) => ({
    name: j.name ?? undefined,
    emails: j.emails,
    emailIndex: j.emails.map((e) => e.email.toLowerCase()),
    phones: j.phones,
    externalId: j.externalId ?? undefined,
    customJson: JSON.stringify(j.custom),
    createdAt: date(j.createdAt),
    updatedAt: date(j.updatedAt),
  }),
};

export const CONVERSATION: RecordKind<'conversation'> = {
  name: 'conversation',
  label: 'conversation',
  model: ConversationModel,
  findOne: findConversation,
  toJson: conversationJson,
  toDoc: (j) => ({
    customer: j.customer,
    name: j.name ?? undefined,
    channels: j.channels,
    status: j.status,
    priority: j.priority,
    tags: j.tags,
    assignedUsers: j.assignedUsers,
    snoozedUntil: date(j.snoozedUntil) ?? null,
    customJson: JSON.stringify(j.custom),
    messageCount: j.messageCount,
    lastMessageAt: date(j.lastMessageAt) ?? null,
    lastMessageInAt: date(j.lastMessageInAt) ?? null,
    lastMessageOutAt: date(j.lastMessageOutAt) ?? null,
    createdAt: date(j.createdAt),
    updatedAt: date(j.updatedAt),
  }),
};

export const MESSAGE: RecordKind<'message'> = {
  name: 'message',
  label: 'message',
  model: MessageModel,
  findOne: findMessage,
  toJson: messageJson,
  toDoc: withDates,
};

export const NOTE: RecordKind<'note'> = {
  name: 'note',
  label: 'note',
  model: NoteModel,
  findOne: findNote,
  toJson: noteJson,
  toDoc: withDates,
};

const RECORD_KINDS: { [K in RecordKindName]: RecordKind<K> } = {
  customer: CUSTOMER,
  conversation: CONVERSATION,
  message: MESSAGE,
  note: NOTE,
};

/** The kind named `name`. */
export function recordKind<K extends RecordKindName>(name: K): RecordKind<K> {
  return RECORD_KINDS[name];
}

/** Any one record kind (a union, so that what differs between kinds can be narrowed). */
export type AnyRecordKind = { [K in RecordKindName]: RecordKind<K> }[RecordKindName];

/** The kind a stored name (an event's `write.kind`) names, if any. */
export function recordKindNamed(name: string): AnyRecordKind | undefined {
  const known = RECORD_KIND_NAMES.find((k) => k === name);
  return known === undefined ? undefined : RECORD_KINDS[known];
}

export async function loadRecord<K extends RecordKindName>(
  kind: RecordKind<K>,
  org: string,
  id: string,
): Promise<RecordJson<K> | undefined> {
  const doc = await kind.findOne({ _id: id, org });
  return doc ? kind.toJson(doc) : undefined;
}
