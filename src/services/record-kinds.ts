import type { Model } from 'mongoose';
import type { JsonObject } from '../core/json';
import { ConversationModel, type ConversationDoc } from '../models/conversation.model';
import { CustomerModel, type CustomerDoc } from '../models/customer.model';
import { objectFromJsonText } from '../models/json-text';
import { MessageModel, type MessageDoc } from '../models/message.model';
import { NoteModel, type NoteDoc } from '../models/note.model';

/**
 * How each record kind maps between its stored document and its JSON form. The JSON form is what
 * the API returns, what events carry and what steps output: attributes at the top level, related
 * records as ids, dates as ISO strings.
 */
export interface RecordKind {
  name: 'customer' | 'conversation' | 'message' | 'note';
  label: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one shape for four models
  model: Model<any>;
  toJson(doc: unknown): JsonObject;
  toDoc(json: JsonObject): Record<string, unknown>;
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const date = (v: unknown): Date | undefined => (typeof v === 'string' ? new Date(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** Records written once (messages, notes): stored as they are, dates as Dates. */
const withDates = (j: JsonObject): Record<string, unknown> => ({
  ...j,
  createdAt: date(j.createdAt),
  updatedAt: date(j.updatedAt),
});
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export const CUSTOMER: RecordKind = {
  name: 'customer',
  label: 'customer',
  model: CustomerModel,
  toJson(raw) {
    const d = raw as CustomerDoc;
    return {
      id: d._id,
      name: d.name ?? null,
      emails: d.emails.map((e): JsonObject =>
        e.type ? { email: e.email ?? '', type: e.type } : { email: e.email ?? '' },
      ),
      phones: d.phones.map((p): JsonObject =>
        p.type ? { phone: p.phone ?? '', type: p.type } : { phone: p.phone ?? '' },
      ),
      externalId: d.externalId ?? null,
      custom: objectFromJsonText(d.customJson),
      createdAt: iso(d.createdAt),
      updatedAt: iso(d.updatedAt),
    };
  },
  toDoc(j) {
    const emails = Array.isArray(j.emails) ? (j.emails as { email: string; type?: string }[]) : [];
    return {
      name: str(j.name),
      emails,
      emailIndex: emails.map((e) => e.email.toLowerCase()),
      phones: Array.isArray(j.phones) ? j.phones : [],
      externalId: str(j.externalId),
      customJson: JSON.stringify(j.custom ?? {}),
      createdAt: date(j.createdAt),
      updatedAt: date(j.updatedAt),
    };
  },
};

export const CONVERSATION: RecordKind = {
  name: 'conversation',
  label: 'conversation',
  model: ConversationModel,
  toJson(raw) {
    const d = raw as ConversationDoc;
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
  },
  toDoc(j) {
    return {
      customer: str(j.customer),
      name: str(j.name),
      channels: strs(j.channels),
      status: str(j.status) ?? 'open',
      priority: typeof j.priority === 'number' ? j.priority : 1,
      tags: strs(j.tags),
      assignedUsers: strs(j.assignedUsers),
      snoozedUntil: date(j.snoozedUntil) ?? null,
      customJson: JSON.stringify(j.custom ?? {}),
      messageCount: typeof j.messageCount === 'number' ? j.messageCount : 0,
      lastMessageAt: date(j.lastMessageAt) ?? null,
      lastMessageInAt: date(j.lastMessageInAt) ?? null,
      lastMessageOutAt: date(j.lastMessageOutAt) ?? null,
      createdAt: date(j.createdAt),
      updatedAt: date(j.updatedAt),
    };
  },
};

export const MESSAGE: RecordKind = {
  name: 'message',
  label: 'message',
  model: MessageModel,
  toJson(raw) {
    const d = raw as MessageDoc;
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
  },
  toDoc: withDates,
};

export const NOTE: RecordKind = {
  name: 'note',
  label: 'note',
  model: NoteModel,
  toJson(raw) {
    const d = raw as NoteDoc;
    return {
      id: d._id,
      conversation: d.conversation,
      customer: d.customer,
      body: d.body,
      userMentions: d.userMentions.map((m) => ({ user: m.user ?? '' })),
      createdAt: iso(d.createdAt),
      updatedAt: iso(d.updatedAt),
    };
  },
  toDoc: withDates,
};
