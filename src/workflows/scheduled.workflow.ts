import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import type { ScheduleActivities, ScheduledTarget } from '../activities/schedule.activities';
import { evaluateCondition } from '../core/conditions';
import type { JsonObject } from '../core/json';
import { callableEventName } from '../core/names';
import { interpreter } from './interpreter.workflow';
import { runStateQuery } from './interpreter.messages';
import type { RetryDefaults, RunChain, RunState } from './run.types';
import { SA_DELAYED_UNTIL, SA_FIRE_STATE, SA_ORG, SA_TEMPORAL_SCHEDULED_START } from './search-attributes';

/**
 * A run of a callable definition at a later time (the Temporal workflow type `scheduledRun`), started by
 * the `app.scheduler.schedule-workflow` action or by a recurring schedule. A wire format (stored in
 * histories): keys are never renamed, new ones are optional.
 */
export interface ScheduledRunInput {
  org: string;
  /** The callable definition to run; its revision is the one current when the run fires. */
  definitionId: string;
  /** When the run is due (ISO). Absent for a recurring schedule's runs: due when the schedule fired. */
  fireAt?: string;
  inputs: JsonObject;
  /** The run and step that scheduled this run (absent for a recurring schedule's runs). */
  scheduledBy?: { run: string; step: string };
  /** The chain this run belongs to; absent: the run begins its own chain (a recurring schedule's runs). */
  chain?: { root: string; depth: number };
  /** The recurring schedule that started this run. */
  schedule?: string;
  /** Event depth of the run that scheduled this one: events this run's writes cause count on from it. */
  depth: number;
  retry: RetryDefaults;
}

/** What `GET /v1/runs/:id` shows of a scheduled run besides its steps. */
export interface ScheduledRunState extends RunState {
  fireAt: string;
  delayedUntil?: string;
  firedAt?: string;
}

/** Fire states (the SwitchboardFireState search attribute): scheduled and delayed runs have not fired yet. */
export const FIRE_STATES = { scheduled: 'scheduled', delayed: 'delayed', fired: 'fired' } as const;

const { reserveFireSlot, loadScheduledTarget } = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const { regexTest } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Waits (a durable timer; cancelling the run before it fires runs nothing) until `fireAt`, takes a slot
 * in the org's fire window (a full window delays the run to the next one: never dropped), loads the
 * target callable definition at its current revision, and runs it in this workflow through the
 * interpreter with the event `workflow.<id>.call` whose data are the inputs (plus `firedAt` for a
 * recurring schedule's runs). A missing, disabled or non-callable target fails the run with a code
 * (`schedule_target_not_found`, `schedule_target_disabled`, `schedule_target_not_callable`) on its
 * trigger step.
 */
export async function scheduledRun(input: ScheduledRunInput): Promise<ScheduledRunState> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(SA_TEMPORAL_SCHEDULED_START);
  const due = input.fireAt ? Date.parse(input.fireAt) : (scheduledAt?.getTime() ?? Date.now());
  const state: ScheduledRunState = { steps: [], fireAt: new Date(due).toISOString() };
  setHandler(runStateQuery, () => state);
  // A run started without our search attributes (on Temporal's time-skipping test server, which knows no
  // custom ones) upserts none either.
  const indexed = info.typedSearchAttributes.get(SA_ORG) !== undefined;
  const upsert = (pairs: SearchAttributeUpdatePair[]) => {
    if (indexed) upsertSearchAttributes(pairs);
  };

  if (due > Date.now()) await sleep(due - Date.now());
  for (;;) {
    const slot = await reserveFireSlot({ org: input.org, run: info.workflowId, at: Date.now() });
    if (slot.reserved) break;
    state.delayedUntil = new Date(slot.nextWindowAt).toISOString();
    upsert([
      { key: SA_FIRE_STATE, value: FIRE_STATES.delayed },
      { key: SA_DELAYED_UNTIL, value: new Date(slot.nextWindowAt) },
    ]);
    upsertMemo({ delayedUntil: state.delayedUntil });
    await sleep(Math.max(slot.nextWindowAt - Date.now(), 1));
  }
  state.firedAt = new Date().toISOString();
  upsert([{ key: SA_FIRE_STATE, value: FIRE_STATES.fired }]);

  const eventName = callableEventName(input.definitionId);
  const data: JsonObject = input.schedule ? { ...input.inputs, firedAt: state.fireAt } : input.inputs;
  let target: ScheduledTarget;
  try {
    target = await loadScheduledTarget({ org: input.org, definitionId: input.definitionId });
  } catch (error) {
    const cause = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : null;
    if (!cause) throw error;
    state.steps.push({
      id: '1',
      action: eventName,
      status: 'failed',
      input: null,
      output: data,
      error: { message: cause.message, code: cause.type ?? 'error' },
      next: null,
      startedAt: state.firedAt,
      finishedAt: new Date().toISOString(),
    });
    throw ApplicationFailure.nonRetryable(cause.message, cause.type ?? 'error');
  }
  upsertMemo({ rev: target.rev, workflowName: target.name });

  const firstStep = await triggerTarget(target, data);
  if (firstStep === null) return state; // no trigger transition holds: the callable does not run
  const chain: RunChain = input.chain
    ? { ...input.chain, ...(input.scheduledBy ? { scheduledBy: input.scheduledBy.run } : {}) }
    : { root: info.workflowId, depth: 0 };
  // In this workflow rather than as a child: the run's steps are this workflow's (GET /v1/runs/:id reads
  // them through the same query), and cancelling the scheduled run cancels them.
  const result = await interpreter({
    org: input.org,
    workflow: target,
    event: { id: info.workflowId, name: eventName, data, depth: input.depth },
    firstStep,
    retry: input.retry,
    chain,
  });
  return {
    ...result,
    fireAt: state.fireAt,
    firedAt: state.firedAt,
    ...(state.delayedUntil ? { delayedUntil: state.delayedUntil } : {}),
  };
}

/** The target of the callable's first trigger transition that holds on the inputs, as dispatch would choose. */
async function triggerTarget(target: ScheduledTarget, data: JsonObject): Promise<string | null> {
  const ctx = { steps: { '1': data }, now: Date.now() };
  for (const [i, transition] of target.definition.trigger.transitions.entries()) {
    try {
      if (await evaluateCondition(transition.condition, ctx, regexTest)) return transition.target;
    } catch (error) {
      const reason = error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : String(error);
      throw ApplicationFailure.nonRetryable(
        `trigger condition ${i} could not be evaluated: ${reason}`,
        'invalid_condition',
      );
    }
  }
  return null;
}
