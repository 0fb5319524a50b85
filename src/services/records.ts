/**
 * The write path, top to bottom: what a record kind is (and how it maps between JSON and its stored
 * document), a change to a record as data (an edit), plans, the per-record lock, and applying a
 * create, an update and a message.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Model } from 'mongoose';
import { jsonEqual, type JsonObject, type JsonValue } from '../core/json';
import type { ConversationPatch, CustomerFields } from '../core/records.schema';
import { NotFoundError } from '../errors';
import { ConversationModel, type ConversationDoc } from '../models/conversation.model';
import { CustomerModel, type CustomerDoc } from '../models/customer.model';
import { derivedId, isDuplicateKeyError } from '../models/ids';
import { objectFromJsonText } from '../models/json-text';
import { MessageModel, type MessageDoc } from '../models/message.model';
import { NoteModel, type NoteDoc } from '../models/note.model';
import { RecordLockModel } from '../models/record-lock.model';
import type { EventPublisher, PublishInput, WriteContext } from './events.types';
import type { MessagePlan } from './messages.service';

// ---- Record kinds --------------------------------------------------------------------------------

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

export async function loadRecord(kind: RecordKind, org: string, id: string): Promise<JsonObject | undefined> {
  const doc: unknown = await kind.model.findOne({ _id: id, org }).lean();
  return doc ? kind.toJson(doc) : undefined;
}

// ---- Edits: a change to a record, as data --------------------------------------------------------

/**
 * A change to a record, as data. Plans store edits, not only their results, so that a write that
 * lost a race (the record changed between planning and applying) can be planned again from the
 * record as it is now, and a stored plan stays meaningful across worker restarts.
 */
export type RecordEdit =
  | { type: 'customer.patch'; patch: Partial<CustomerFields> }
  | { type: 'conversation.patch'; patch: ConversationPatch }
  | { type: 'conversation.append-tags'; tags: string[] }
  | { type: 'conversation.remove-tags'; tags: string[] }
  | { type: 'conversation.assign-user'; user: string }
  | { type: 'conversation.message-added'; direction: 'in' | 'out'; channel: string; at: string };

const mergeCustom = (before: JsonObject, custom: JsonObject): JsonObject => ({
  ...(before.custom as JsonObject),
  ...custom,
});

/** The record after `edit`; `now` becomes its `updatedAt`. */
export function applyEdit(before: JsonObject, edit: RecordEdit, now: string): JsonObject {
  const after: JsonObject = { ...before, updatedAt: now };
  switch (edit.type) {
    case 'customer.patch':
    case 'conversation.patch': {
      // Custom attributes merge key by key (as the product does); other given fields replace.
      for (const [key, value] of Object.entries(edit.patch)) {
        if (value === undefined) continue;
        after[key] = key === 'custom' ? mergeCustom(before, value as JsonObject) : (value as JsonObject);
      }
      // Leaving the snoozed status clears `snoozedUntil`, so a done conversation never carries a
      // stale wake-up time.
      if (edit.type === 'conversation.patch') {
        const { status, snoozedUntil } = edit.patch;
        if (status !== undefined && status !== 'snoozed' && snoozedUntil === undefined) after.snoozedUntil = null;
        if (Array.isArray(after.tags)) after.tags = [...new Set(after.tags)];
      }
      return after;
    }
    case 'conversation.append-tags':
      return { ...after, tags: [...new Set([...(before.tags as string[]), ...edit.tags])] };
    case 'conversation.remove-tags':
      return { ...after, tags: (before.tags as string[]).filter((t) => !edit.tags.includes(t)) };
    case 'conversation.assign-user':
      // Assigning makes the user the conversation's assignee, replacing earlier assignees.
      return { ...after, assignedUsers: [edit.user] };
    case 'conversation.message-added': {
      const channels = before.channels as string[];
      return {
        ...after,
        messageCount: (before.messageCount as number) + 1,
        lastMessageAt: edit.at,
        [edit.direction === 'in' ? 'lastMessageInAt' : 'lastMessageOutAt']: edit.at,
        channels: channels.includes(edit.channel) ? channels : [...channels, edit.channel],
      };
    }
  }
}

export type Change = { op: 'add' | 'replace' | 'remove'; before?: JsonValue; after?: JsonValue };

const UNTRACKED = new Set(['id', 'createdAt', 'updatedAt']);

/** `changes.attributes.<field> = {op, before, after}` for every attribute that differs. */
export function diffAttributes(before: JsonObject, after: JsonObject): Record<string, Change> {
  const changes: Record<string, Change> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (UNTRACKED.has(key)) continue;
    const b = before[key] ?? null;
    const a = after[key] ?? null;
    if (jsonEqual(b, a)) continue;
    if (b === null) changes[key] = { op: 'add', after: a };
    else if (a === null) changes[key] = { op: 'remove', before: b };
    else changes[key] = { op: 'replace', before: b, after: a };
  }
  return changes;
}

// ---- Plans ---------------------------------------------------------------------------------------

/**
 * Writes are split into a plan (reads only, computes the record as it will be) and an apply step
 * (idempotent given the plan). The API plans and applies at once; a workflow activity stores the
 * plan on its first attempt and re-applies that same plan on retries, so a retry after a crash
 * writes the same values and publishes the same event (same id), never different ones.
 */
export interface CreatePlan {
  type: 'create';
  record: JsonObject;
}

export interface UpdatePlan {
  type: 'update';
  id: string;
  /** The change as data: it is computed again on the record as it is when the write applies. */
  edit: RecordEdit;
  before: JsonObject;
  after: JsonObject;
}

/** Persists a plan that had to be made again (a workflow step stores its plan; the API needs not). */
export type SavePlan<P> = (plan: P) => Promise<void>;

const noSave = async (): Promise<void> => {};

/** Plans `edit` on the record as it is now (fails early when the record does not exist). */
export async function planUpdate(
  kind: RecordKind,
  org: string,
  id: string,
  edit: RecordEdit,
  now: Date,
): Promise<UpdatePlan> {
  const before = await loadRecord(kind, org, id);
  if (!before) throw new NotFoundError(kind.label, id);
  return updatePlanOn(before, edit, now);
}

/** The plan of `edit` on a record already read (its JSON form). */
export function updatePlanOn(before: JsonObject, edit: RecordEdit, now: Date): UpdatePlan {
  return { type: 'update', id: String(before.id), edit, before, after: applyEdit(before, edit, now.toISOString()) };
}

// ---- The record lock (a lease) -------------------------------------------------------------------

/** A holder that died (crash, kill) loses its lease after this; updates take milliseconds. */
const STALE_AFTER_MS = 30_000;
const GIVE_UP_AFTER_MS = 20_000;

export class RecordBusyError extends Error {
  constructor(key: string) {
    super(`record ${key} stayed locked for ${GIVE_UP_AFTER_MS} ms`);
  }
}

/**
 * Runs `fn` while holding the lease on `key`. Waiters back off with jitter; a lease older than
 * STALE_AFTER_MS is taken over. Giving up throws a plain (retryable) error: an activity retries
 * it, the API answers 503 with Retry-After and the client may retry.
 */
export async function withRecordLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const owner = randomBytes(8).toString('hex');
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await RecordLockModel.create({ _id: key, owner, takenAt: new Date() });
      break;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const held = await RecordLockModel.findById(key).lean();
    if (held && Date.now() - held.takenAt.getTime() > STALE_AFTER_MS) {
      await RecordLockModel.deleteOne({ _id: key, owner: held.owner });
      continue;
    }
    if (Date.now() - started > GIVE_UP_AFTER_MS) throw new RecordBusyError(key);
    await sleep(Math.min(5 * 2 ** Math.min(attempt, 5), 100) * (0.5 + Math.random()));
  }
  try {
    return await fn();
  } finally {
    await RecordLockModel.deleteOne({ _id: key, owner });
  }
}

// ---- Applying a create, an update, a message -----------------------------------------------------

/** How many recent write ids a record remembers (enough for any retry to find its own). */
const REMEMBERED_WRITES = 50;

/** The event a write publishes, stored before the write and dispatched after it (see EventPublisher). */
function writeEvent(kind: RecordKind, id: string, name: string, data: JsonObject, write: WriteContext): PublishInput {
  return {
    org: write.org,
    id: write.eventId,
    name,
    data,
    depth: write.depth,
    source: write.source,
    origin: write.origin,
    write: { kind: kind.name, id },
  };
}

export async function applyCreate(
  kind: RecordKind,
  plan: CreatePlan,
  write: WriteContext,
  events: EventPublisher,
  extra: Record<string, unknown> = {},
): Promise<JsonObject> {
  const id = String(plan.record.id);
  const event = writeEvent(kind, id, `${kind.name}.create`, plan.record, write);
  const fresh = await events.record(event);
  try {
    await kind.model.create({ _id: id, org: write.org, ...kind.toDoc(plan.record), ...extra });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  await events.dispatch(write.org, write.eventId, fresh ? event : undefined);
  return plan.record;
}

/**
 * Applies an update under the record's lock (see withRecordLock): the edit is computed again on the
 * record as it is now, so concurrent writers never undo each other's changes. The write's event id
 * is remembered on the record in the same single-document write; a retry that finds it there knows
 * the write happened and publishes the event of the plan it saved, never applying the edit twice.
 * `save` persists the plan actually applied before the write (a workflow step's stored plan).
 */
export async function applyUpdate(
  kind: RecordKind,
  plan: UpdatePlan,
  write: WriteContext,
  events: EventPublisher,
  save: SavePlan<UpdatePlan> = noSave,
): Promise<JsonObject> {
  const updateEvent = (p: UpdatePlan) =>
    writeEvent(
      kind,
      p.id,
      `${kind.name}.update`,
      {
        ...p.after,
        changes: { attributes: diffAttributes(p.before, p.after) as unknown as JsonObject },
      },
      write,
    );
  const applied = await withRecordLock(`${kind.name}:${plan.id}`, async () => {
    const doc = (await kind.model.findOne({ _id: plan.id, org: write.org }).lean()) as {
      lastWrites?: string[];
    } | null;
    if (!doc) throw new NotFoundError(kind.label, plan.id);
    const lastWrites = doc.lastWrites ?? [];
    // Applied by an earlier attempt, which saved this plan and stored its event first.
    if (lastWrites.includes(write.eventId)) return { plan, written: true };
    const before = kind.toJson(doc);
    // The edit again, on the record as it is now, stamped with the plan's time: when nothing changed
    // since planning, this is the stored plan itself and need not be saved again.
    const current: UpdatePlan = { ...plan, before, after: applyEdit(before, plan.edit, String(plan.after.updatedAt)) };
    if (Object.keys(diffAttributes(current.before, current.after)).length === 0)
      return { plan: current, written: false };
    if (!jsonEqual(current.before, plan.before) || !jsonEqual(current.after, plan.after)) await save(current);
    const event = updateEvent(current);
    const fresh = await events.record(event);
    const { createdAt: _createdAt, ...fields } = kind.toDoc(current.after);
    await kind.model.updateOne(
      { _id: plan.id, org: write.org },
      { $set: { ...fields, lastWrites: [...lastWrites, write.eventId].slice(-REMEMBERED_WRITES) } },
    );
    return { plan: current, written: true, event: fresh ? event : undefined };
  });
  // The event was stored before the write (by this attempt or the earlier one that made it).
  if (applied.written) await events.dispatch(write.org, write.eventId, applied.event);
  return applied.plan.after;
}

/** Applies one plan; idempotent given the same plan and write context. */
export function applyPlan(
  kind: RecordKind,
  plan: CreatePlan | UpdatePlan,
  write: WriteContext,
  events: EventPublisher,
  save: SavePlan<UpdatePlan> = noSave,
): Promise<JsonObject> {
  return plan.type === 'create' ? applyCreate(kind, plan, write, events) : applyUpdate(kind, plan, write, events, save);
}

/**
 * A message is created first (`message.create`), then its conversation's counters move
 * (`conversation.update`, as the product fires on every new message). The second event's id is
 * derived from the first, so both stay stable across retries.
 */
export async function applyMessagePlan(
  plan: MessagePlan,
  write: WriteContext,
  events: EventPublisher,
  options: { createdByRun?: string; save?: SavePlan<MessagePlan> } = {},
): Promise<JsonObject> {
  const { createdByRun, save = noSave } = options;
  const message = await applyCreate(MESSAGE, plan.message, write, events, createdByRun ? { createdByRun } : {});
  await applyUpdate(
    CONVERSATION,
    plan.conversation,
    { ...write, eventId: derivedId(write.eventId, 'conversation.update') },
    events,
    (conversation) => save({ ...plan, conversation }),
  );
  return message;
}
