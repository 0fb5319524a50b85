import type { JsonObject, JsonValue } from '../core/json';
import { jsonEqual } from '../core/json';
import { NotFoundError } from '../errors';
import { isDuplicateKeyError } from '../models/ids';
import { applyEdit, type RecordEdit } from './edits';
import { withRecordLock } from './record-lock';
import type { RecordKind } from './record-kinds';
import type { EventPublisher, PublishInput, WriteContext } from './events.types';

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

/** How many recent write ids a record remembers (enough for any retry to find its own). */
const REMEMBERED_WRITES = 50;

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

export async function loadRecord(kind: RecordKind, org: string, id: string): Promise<JsonObject | undefined> {
  const doc: unknown = await kind.model.findOne({ _id: id, org }).lean();
  return doc ? kind.toJson(doc) : undefined;
}

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

/**
 * Applies an update under the record's lock (see record-lock.ts): the edit is computed again on the
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
  save: (plan: UpdatePlan) => Promise<void> = async () => {},
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
