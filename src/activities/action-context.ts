import { ApplicationFailure } from '@temporalio/activity';
import type { JsonObject } from '../core/json';
import { UserError } from '../errors';
import { ActionLogModel, type ActionLogDoc } from '../models/action-log.model';
import { derivedId, isDuplicateKeyError } from '../models/ids';
import type { EventPublisher, WriteContext } from '../services/events.types';
import type { ActionInput } from '../workflows/run.types';

export interface ActivityDeps {
  events: EventPublisher;
}

/** The idempotency key of a step's write: one per (run, step), never random. */
export function stepKey(input: ActionInput): string {
  return `${input.runId}:${input.stepId}`;
}

/** Events a run's write causes carry the run as origin and one more level of cascade depth. */
export function writeContext(input: ActionInput): WriteContext {
  return {
    org: input.org,
    eventId: derivedId('event', input.runId, input.stepId),
    depth: input.depth + 1,
    origin: { run: input.runId, workflow: input.workflowId, step: input.stepId },
    source: 'workflow',
  };
}

/** The id of a record a step creates, so a retry finds the record instead of making another. */
export function createdRecordId(input: ActionInput): string {
  return derivedId('record', input.runId, input.stepId);
}

/**
 * Runs a write at most once per step. The plan is computed on the first attempt and stored; any
 * retry (after a timeout, a crash between the write and the activity's completion, a worker restart)
 * re-applies that stored plan, which is idempotent, or returns the output recorded once it finished.
 * `apply` receives `save` to store a plan it had to make again (see applyUpdateUntilCurrent).
 */
export async function oncePerStep<P>(
  input: ActionInput,
  makePlan: () => Promise<P>,
  apply: (plan: P, save: (plan: P) => Promise<void>) => Promise<JsonObject>,
): Promise<JsonObject> {
  const key = stepKey(input);
  const existing = await ActionLogModel.findById(key).lean<ActionLogDoc>();
  if (existing?.status === 'done' && existing.outputJson) return JSON.parse(existing.outputJson) as JsonObject;
  let plan: P;
  if (existing) {
    plan = JSON.parse(existing.planJson) as P;
  } else {
    plan = await makePlan();
    try {
      await ActionLogModel.create({
        _id: key,
        org: input.org,
        action: input.action,
        status: 'planned',
        planJson: JSON.stringify(plan),
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const raced = await ActionLogModel.findById(key).lean<ActionLogDoc>();
      plan = JSON.parse(raced!.planJson) as P;
    }
  }
  // A write that lost a race is planned again; the new plan is stored before it is applied, so a
  // retry after a crash continues from it rather than from the outdated one.
  const save = async (replanned: P): Promise<void> => {
    await ActionLogModel.updateOne({ _id: key }, { $set: { planJson: JSON.stringify(replanned) } });
  };
  const output = await apply(plan, save);
  await ActionLogModel.updateOne({ _id: key }, { $set: { status: 'done', outputJson: JSON.stringify(output) } });
  return output;
}

/** User errors cannot be fixed by retrying: they fail the step at once (and may follow errorCases). */
export function asActivityFailure(error: unknown): unknown {
  if (error instanceof UserError) {
    return ApplicationFailure.nonRetryable(error.message, error.code, error.details);
  }
  return error;
}
