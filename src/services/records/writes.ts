/**
 * Writes are split into a plan (reads only, computes the record as it will be) and an apply step
 * (idempotent given the plan). The API plans and applies at once; a workflow step stores the plan on
 * its first attempt and re-applies that same plan on retries, so a retry after a crash writes the
 * same values and publishes the same event (same id), never different ones. A plan names its record
 * kind, so it is applied to records of that kind only.
 */
import { jsonEqual, type JsonObject } from '../../core/json';
import { NotFoundError } from '../../errors';
import { isDuplicateKeyError } from '../../models/ids';
import type { EventPublisher, PublishInput, WriteContext } from '../events.types';
import { applyEdit, diffAttributes, type EditableKindName, type RecordEdit } from './edits';
import { loadRecord, recordKind, type RecordJson, type RecordKind, type RecordKindName } from './kinds';
import { withRecordLock } from './lock';

export type CreatePlan<K extends RecordKindName> = { type: 'create'; kind: K; record: RecordJson<K> };

export type UpdatePlan<K extends EditableKindName> = {
  type: 'update';
  kind: K;
  id: string;
  /** The change as data: it is computed again on the record as it is when the write applies. */
  edit: RecordEdit<K>;
  before: RecordJson<K>;
  after: RecordJson<K>;
};

/** A plan as stored: plans stored before plans named their kind have none (the step's action knows it). */
export type StoredPlan<P extends { kind: RecordKindName }> = Omit<P, 'kind'> & { kind?: P['kind'] };

export function storedCreatePlan<K extends RecordKindName>(stored: StoredPlan<CreatePlan<K>>, kind: K): CreatePlan<K> {
  return { type: 'create', kind, record: stored.record };
}

export function storedUpdatePlan<K extends EditableKindName>(
  stored: StoredPlan<UpdatePlan<K>>,
  kind: K,
): UpdatePlan<K> {
  return { type: 'update', kind, id: stored.id, edit: stored.edit, before: stored.before, after: stored.after };
}

/** Persists a plan that had to be made again (a workflow step stores its plan; the API needs not). */
export type SavePlan<P> = (plan: P) => Promise<void>;

const noSave = async (): Promise<void> => {};

/**
 * Where a workflow step keeps its write's plan between attempts (see oncePerStep): the first attempt
 * plans and stores, a retry re-applies the stored plan (read back through `fromStored`, which also
 * reads plans stored by older code) or returns the output of the attempt that finished.
 */
export interface PlanStore {
  once<P, S>(
    plan: () => Promise<P>,
    apply: (plan: P, save: SavePlan<P>) => Promise<JsonObject>,
    fromStored: (stored: S) => P,
  ): Promise<JsonObject>;
}

/**
 * Who writes: the API (no store: it plans and applies at once) or a workflow step (its plan store:
 * at most once per step). Both go through the same service call of each write.
 */
export interface Writer {
  org: string;
  events: EventPublisher;
  /** The write's context, asked for once the plan is made (an API write names its event only then). */
  context: () => WriteContext;
  store?: PlanStore;
}

/** Plans a write, then applies it: at once, or through the writer's plan store. */
export async function planAndApply<P, S>(
  writer: Writer,
  plan: () => Promise<P>,
  apply: (plan: P, save: SavePlan<P>) => Promise<JsonObject>,
  fromStored: (stored: S) => P,
): Promise<JsonObject> {
  return writer.store ? writer.store.once(plan, apply, fromStored) : apply(await plan(), noSave);
}

/** Plans `edit` on the record as it is now (fails early when the record does not exist). */
export async function planUpdate<K extends EditableKindName>(
  kind: RecordKind<K>,
  org: string,
  id: string,
  edit: RecordEdit<K>,
  now: Date,
): Promise<UpdatePlan<K>> {
  const before = await loadRecord(kind, org, id);
  if (!before) throw new NotFoundError(kind.label, id);
  return updatePlanOn(kind.name, before, edit, now);
}

/** The plan of `edit` on a record already read (its JSON form). */
export function updatePlanOn<K extends EditableKindName>(
  kind: K,
  before: RecordJson<K>,
  edit: RecordEdit<K>,
  now: Date,
): UpdatePlan<K> {
  return { type: 'update', kind, id: before.id, edit, before, after: applyEdit(kind, before, edit, now.toISOString()) };
}

// ---- Applying a create, an update ----------------------------------------------------------------

/** How many recent write ids a record remembers (enough for any retry to find its own). */
const REMEMBERED_WRITES = 50;

/** The event a write publishes, stored before the write and dispatched after it (see EventPublisher). */
function writeEvent(
  kind: RecordKindName,
  id: string,
  name: string,
  data: JsonObject,
  write: WriteContext,
): PublishInput {
  return {
    org: write.org,
    id: write.eventId,
    name,
    data,
    depth: write.depth,
    source: write.source,
    origin: write.origin,
    write: { kind, id },
  };
}

export async function applyCreate<K extends RecordKindName>(
  plan: CreatePlan<K>,
  write: WriteContext,
  events: EventPublisher,
  extra: Record<string, unknown> = {},
): Promise<RecordJson<K>> {
  const kind = recordKind(plan.kind);
  const id = plan.record.id;
  const event = writeEvent(kind.name, id, `${kind.name}.create`, plan.record, write);
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
export async function applyUpdate<K extends EditableKindName>(
  plan: UpdatePlan<K>,
  write: WriteContext,
  events: EventPublisher,
  save: SavePlan<UpdatePlan<K>> = noSave,
): Promise<RecordJson<K>> {
  const kind = recordKind(plan.kind);
  const updateEvent = (p: UpdatePlan<K>) =>
    writeEvent(
      kind.name,
      p.id,
      `${kind.name}.update`,
      { ...p.after, changes: { attributes: diffAttributes(p.before, p.after) } },
      write,
    );
  const applied = await withRecordLock(`${kind.name}:${plan.id}`, async () => {
    const doc = await kind.findOne({ _id: plan.id, org: write.org });
    if (!doc) throw new NotFoundError(kind.label, plan.id);
    const lastWrites = doc.lastWrites ?? [];
    // Applied by an earlier attempt, which saved this plan and stored its event first.
    if (lastWrites.includes(write.eventId)) return { plan, written: true };
    const before = kind.toJson(doc);
    // The edit again, on the record as it is now, stamped with the plan's time: when nothing changed
    // since planning, this is the stored plan itself and need not be saved again.
    const current: UpdatePlan<K> = {
      ...plan,
      before,
      after: applyEdit(plan.kind, before, plan.edit, String(plan.after.updatedAt)),
    };
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
