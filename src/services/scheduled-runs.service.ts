import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import { callableEventName } from '../core/names';
import { UserError } from '../errors';
import { FireWindowModel, type FireWindowDoc } from '../models/fire-window.model';
import { derivedId } from '../models/ids';
import { scheduledRun, FIRE_STATES, type ScheduledRunInput } from '../workflows/scheduled.workflow';
import type { RunInput } from '../workflows/run.types';
import { SA_CHAIN, SA_EVENT, SA_FIRE_AT, SA_FIRE_STATE, SA_ORG, SA_WORKFLOW } from '../workflows/search-attributes';
import { withRecordLock } from './records';
import { getCallable } from './workflows.service';

/** Scheduled runs of one org fire in windows of this length, at most `runsPerWindow` per window. */
export const FIRE_WINDOW_MS = 15 * 60 * 1000;

/** The scheduled run a step starts: derived from (run, step), so a retried step starts nothing new. */
export function scheduledRunIdFor(run: string, step: string): string {
  return `sched-${derivedId(run, step)}`;
}

export function fireWindowStart(at: number): number {
  return Math.floor(at / FIRE_WINDOW_MS) * FIRE_WINDOW_MS;
}

/** The event name a callable definition is run with. */

/**
 * Search attributes of a scheduled run (listing filters on them): org and target like every run, when it
 * is due, its fire state and its chain's root.
 */
export function scheduledRunSearchAttributes(input: ScheduledRunInput, fireAt?: Date): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA_ORG, value: input.org },
    { key: SA_WORKFLOW, value: input.definitionId },
    { key: SA_EVENT, value: callableEventName(input.definitionId) },
    { key: SA_FIRE_STATE, value: FIRE_STATES.scheduled },
  ];
  if (fireAt) pairs.push({ key: SA_FIRE_AT, value: fireAt });
  if (input.chain) pairs.push({ key: SA_CHAIN, value: input.chain.root });
  return pairs;
}

/**
 * Starts the scheduled run `id` (REJECT_DUPLICATE: starting it again, as a retried step does, starts
 * nothing and returns the first start's due time).
 */
export async function startScheduledRun(
  client: Client,
  taskQueue: string,
  id: string,
  input: ScheduledRunInput & { fireAt: string },
  options: { searchAttributes: boolean } = { searchAttributes: true },
): Promise<{ scheduledRunId: string; fireAt: string }> {
  try {
    await client.workflow.start(scheduledRun, {
      workflowId: id,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...(options.searchAttributes
        ? { typedSearchAttributes: scheduledRunSearchAttributes(input, new Date(input.fireAt)) }
        : {}),
      memo: {
        event: id,
        fireAt: input.fireAt,
        ...(input.chain ? { chain: { ...input.chain, scheduledBy: input.scheduledBy ?? null } } : {}),
      },
      staticSummary: `scheduled run of ${input.definitionId} at ${input.fireAt}`,
      staticDetails: `org ${input.org} · workflow ${input.definitionId}`,
    });
    return { scheduledRunId: id, fireAt: input.fireAt };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const info = await client.workflow.getHandle(id).describe();
    return { scheduledRunId: id, fireAt: String(info.memo?.fireAt ?? input.fireAt) };
  }
}

/**
 * Takes a slot for `run` in the org's fire window containing `at`, or says when the next window opens.
 * Idempotent per run: a retried reservation finds the slot it took. Under the window's lock: FerretDB
 * does not make a filtered update atomic.
 */
export async function reserveFireSlot(
  org: string,
  run: string,
  at: number,
  runsPerWindow: number,
): Promise<{ reserved: true; windowStart: number } | { reserved: false; nextWindowAt: number }> {
  const windowStart = fireWindowStart(at);
  const id = `${org}:${new Date(windowStart).toISOString()}`;
  return withRecordLock(`fire-window:${id}`, async () => {
    const doc = await FireWindowModel.findById(id).lean<FireWindowDoc>();
    if (doc?.runs.includes(run)) return { reserved: true as const, windowStart };
    if (doc && doc.count >= runsPerWindow)
      return { reserved: false as const, nextWindowAt: windowStart + FIRE_WINDOW_MS };
    await FireWindowModel.updateOne(
      { _id: id },
      { $inc: { count: 1 }, $push: { runs: run }, $setOnInsert: { org, windowStart: new Date(windowStart) } },
      { upsert: true },
    );
    return { reserved: true as const, windowStart };
  });
}

/** Codes a scheduled run fails with when its target cannot run (user errors: no retry). */
const TARGET_ERRORS: Record<string, string> = {
  not_found: 'schedule_target_not_found',
  not_callable: 'schedule_target_not_callable',
  workflow_disabled: 'schedule_target_disabled',
};

/** The callable definition a scheduled run fires, at its current revision (`getCallable`). */
export async function loadCallableTarget(org: string, definitionId: string): Promise<RunInput['workflow']> {
  let record;
  try {
    record = await getCallable(org, definitionId);
  } catch (error) {
    const code = error instanceof UserError ? TARGET_ERRORS[error.code] : undefined;
    if (!(error instanceof UserError) || code === undefined) throw error;
    throw new UserError(error.status, code, error.message);
  }
  return { id: record.id, name: record.definition.name, rev: record.rev, definition: record.definition };
}
