import { derivedId } from '../models/ids';
import type { JsonObject } from '../core/json';
import type { EventPublisher, WriteContext } from './events.types';
import type { MessagePlan } from './messages.service';
import { CONVERSATION, MESSAGE, type RecordKind } from './record-kinds';
import { applyCreate, applyUpdate, type CreatePlan, type UpdatePlan } from './record-store';

/** Persists a plan that had to be made again (a workflow step stores its plan; the API needs not). */
export type SavePlan<P> = (plan: P) => Promise<void>;

const noSave = async (): Promise<void> => {};

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
