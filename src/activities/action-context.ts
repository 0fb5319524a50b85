import { ApplicationFailure, Context } from '@temporalio/activity';
import type { JsonObject } from '../core/json';
import { UserError } from '../errors';
import { ActionLogModel } from '../models/action-log.model';
import { derivedId, isDuplicateKeyError } from '../models/ids';
import type { EventPublisher, WriteContext } from '../services/events.types';
import type { OutboundClient } from '../services/outbound/http';
import type { VariableService } from '../services/variables.service';
import type { SchedulingDeps } from './schedule.activities';
import type { ActionInput, LegacyActionInput } from '../workflows/run.types';

export interface ActivityDeps {
  events: EventPublisher;
  /** For `app.scheduler.schedule-workflow` and the scheduledRun workflow; a worker without it cannot schedule. */
  scheduling?: SchedulingDeps;
  /** For REST steps: the outbound client and its default total timeout; a worker without it cannot call out. */
  outbound?: { client: OutboundClient; timeoutMs: number };
  /** Reads the variables a step's params name (`{{{variables.<ref>}}}`); a worker without it fails such steps. */
  variables?: Pick<VariableService, 'resolve'>;
}

/**
 * The input in its current shape. Activities scheduled by workers before the rename carry `runId` (the
 * Temporal workflow id) and `workflowId` (the definition id): a retry, or a run in flight across the
 * deploy, hands them to this worker, and the keys derived from them must stay the same.
 */
export function currentActionInput(input: ActionInput | LegacyActionInput): ActionInput {
  if (!('runId' in input)) return input;
  const { runId, workflowId, ...rest } = input;
  return { ...rest, temporalWorkflowId: runId, definitionId: workflowId };
}

/** The idempotency key of a step's write: one per (run, step), never random. */
export function stepKey(input: ActionInput): string {
  return `${input.temporalWorkflowId}:${input.stepId}`;
}

/** Events a run's write causes carry the run as origin and one more level of cascade depth. */
export function writeContext(input: ActionInput): WriteContext {
  return {
    org: input.org,
    eventId: derivedId('event', input.temporalWorkflowId, input.stepId),
    depth: input.depth + 1,
    origin: { run: input.temporalWorkflowId, workflow: input.definitionId, step: input.stepId },
    source: 'workflow',
  };
}

/** The id of a record a step creates, so a retry finds the record instead of making another. */
export function createdRecordId(input: ActionInput): string {
  return derivedId('record', input.temporalWorkflowId, input.stepId);
}

/** The step's entry in the action log, as mongoose reads it. */
const findStepLog = (key: string) => ActionLogModel.findById(key).lean();
type StepLog = NonNullable<Awaited<ReturnType<typeof findStepLog>>>;

/**
 * Runs a write at most once per step. The plan is computed on the first attempt and stored; any
 * retry (after a timeout, a crash between the write and the activity's completion, a worker restart)
 * re-applies that stored plan, which is idempotent, or returns the output recorded once it finished.
 * `apply` receives `save` to store a plan it had to make again (see applyUpdate in
 * services/records/writes.ts); `fromStored` reads a stored plan back (also one stored by older code).
 */
export async function oncePerStep<P, S>(
  input: ActionInput,
  makePlan: () => Promise<P>,
  apply: (plan: P, save: (plan: P) => Promise<void>) => Promise<JsonObject>,
  fromStored: (stored: S) => P,
): Promise<JsonObject> {
  const key = stepKey(input);
  const storedPlan = (doc: StepLog): { plan: P } | { output: JsonObject } => {
    if (doc.status === 'done' && doc.outputJson) {
      const output: JsonObject = JSON.parse(doc.outputJson);
      return { output };
    }
    const plan: S = JSON.parse(doc.planJson);
    return { plan: fromStored(plan) };
  };
  // A first attempt normally finds nothing stored: it plans and stores without looking first (the insert
  // on the step's key fails if an earlier execution stored a plan after all, and that plan wins). A retry
  // looks first, so that it never plans again what an earlier attempt finished.
  let stored: { plan: P } | { output: JsonObject } | undefined;
  if (Context.current().info.attempt > 1) {
    const existing = await findStepLog(key);
    if (existing) stored = storedPlan(existing);
  }
  if (!stored) {
    const plan = await makePlan();
    try {
      await ActionLogModel.create({
        _id: key,
        org: input.org,
        action: input.action,
        status: 'planned',
        planJson: JSON.stringify(plan),
      });
      stored = { plan };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      stored = storedPlan((await findStepLog(key))!);
    }
  }
  if ('output' in stored) return stored.output;
  // A write that lost a race is planned again; the new plan is stored before it is applied, so a
  // retry after a crash continues from it rather than from the outdated one.
  const save = async (replanned: P): Promise<void> => {
    await ActionLogModel.updateOne({ _id: key }, { $set: { planJson: JSON.stringify(replanned) } });
  };
  const output = await apply(stored.plan, save);
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
