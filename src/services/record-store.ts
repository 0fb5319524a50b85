import type { JsonObject, JsonValue } from '../core/json';
import { jsonEqual } from '../core/json';
import { isDuplicateKeyError } from '../models/ids';
import type { RecordKind } from './record-kinds';
import type { EventPublisher, WriteContext } from './events.types';

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
  before: JsonObject;
  after: JsonObject;
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

export async function loadRecord(kind: RecordKind, org: string, id: string): Promise<JsonObject | undefined> {
  const doc: unknown = await kind.model.findOne({ _id: id, org }).lean();
  return doc ? kind.toJson(doc) : undefined;
}

export async function applyCreate(
  kind: RecordKind,
  plan: CreatePlan,
  write: WriteContext,
  events: EventPublisher,
  extra: Record<string, unknown> = {},
): Promise<JsonObject> {
  try {
    await kind.model.create({ _id: plan.record.id, org: write.org, ...kind.toDoc(plan.record), ...extra });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  await events.publish({
    org: write.org,
    id: write.eventId,
    name: `${kind.name}.create`,
    data: plan.record,
    depth: write.depth,
    source: write.source,
    origin: write.origin,
  });
  return plan.record;
}

export async function applyUpdate(
  kind: RecordKind,
  plan: UpdatePlan,
  write: WriteContext,
  events: EventPublisher,
): Promise<JsonObject> {
  const changes = diffAttributes(plan.before, plan.after);
  if (Object.keys(changes).length === 0) return plan.before;
  const { createdAt: _createdAt, ...fields } = kind.toDoc(plan.after);
  await kind.model.updateOne({ _id: plan.id, org: write.org }, { $set: fields });
  await events.publish({
    org: write.org,
    id: write.eventId,
    name: `${kind.name}.update`,
    data: { ...plan.after, changes: { attributes: changes as unknown as JsonObject } },
    depth: write.depth,
    source: write.source,
    origin: write.origin,
  });
  return plan.after;
}
