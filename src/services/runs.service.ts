import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { JsonObject } from '../core/json';
import { NotFoundError } from '../errors';
import { runStateQuery } from '../workflows/interpreter.messages';
import { interpreter } from '../workflows/interpreter.workflow';
import type { RunState } from '../workflows/run.types';
import { FIRE_STATES, scheduledRun } from '../workflows/scheduled.workflow';
import {
  SA_CHAIN,
  SA_DELAYED_UNTIL,
  SA_FIRE_AT,
  SA_FIRE_STATE,
  SA_ORG,
  SA_WORKFLOW,
} from '../workflows/search-attributes';

export const RUN_STATUSES = ['running', 'completed', 'failed', 'canceled', 'terminated', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** What `GET /v1/runs?status=` filters on: a run's status, or `scheduled` (a scheduled run that has not fired). */
export const RUN_FILTER_STATUSES = [...RUN_STATUSES, 'scheduled'] as const;
export type RunFilterStatus = (typeof RUN_FILTER_STATUSES)[number];

const TO_TEMPORAL: Record<RunStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  timed_out: 'TimedOut',
};

const FROM_TEMPORAL: Record<string, RunStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'completed',
};

export interface RunSummary extends JsonObject {
  id: string;
  workflow: string;
  rev: number;
  event: string;
  status: RunStatus | 'scheduled';
  startedAt: string;
  closedAt: string | null;
}

/** Visibility query values are ids we generated (hex) or enum members, but quote defensively anyway. */
const quote = (value: string): string => `"${value.replace(/["\\]/g, '')}"`;

function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): RunSummary {
  const memo = info.memo ?? {};
  const status = FROM_TEMPORAL[info.status.name] ?? 'failed';
  const summary: RunSummary = {
    id: info.workflowId,
    workflow: String(info.typedSearchAttributes.get(SA_WORKFLOW) ?? ''),
    rev: Number(memo.rev ?? 0),
    event: String(memo.event ?? ''),
    status,
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime ? info.closeTime.toISOString() : null,
  };
  return { ...summary, ...scheduledFields(info, status) };
}

/**
 * A scheduled run (the `scheduledRun` workflow type) shows when it is due, when the org's fire window
 * delayed it to, and its chain; until it fires its status is `scheduled`.
 */
function scheduledFields(info: Omit<WorkflowExecutionInfo, 'raw'>, status: RunStatus): JsonObject {
  if (info.type !== scheduledRun.name) return {};
  const fireAt = info.typedSearchAttributes.get(SA_FIRE_AT);
  const delayedUntil = info.typedSearchAttributes.get(SA_DELAYED_UNTIL);
  const fired = info.typedSearchAttributes.get(SA_FIRE_STATE) === FIRE_STATES.fired;
  const chain = info.memo?.chain as JsonObject | undefined;
  return {
    ...(status === 'running' && !fired ? { status: 'scheduled' } : {}),
    fireAt: fireAt ? fireAt.toISOString() : null,
    delayedUntil: delayedUntil ? delayedUntil.toISOString() : null,
    ...(chain ? { chain } : {}),
  };
}

/**
 * Runs are read from Temporal's visibility store (filtered by our search attributes), not from a
 * copy of our own: what the API shows is what the Temporal UI shows.
 */
export function createRunService(client: Client) {
  async function describeOwned(org: string, id: string): Promise<Omit<WorkflowExecutionInfo, 'raw'>> {
    try {
      const info = await client.workflow.getHandle(id).describe();
      if (info.typedSearchAttributes.get(SA_ORG) !== org) throw new NotFoundError('run', id);
      return info;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new NotFoundError('run', id);
      throw error;
    }
  }

  return {
    async list(
      org: string,
      filter: { workflow?: string; status?: RunFilterStatus; chain?: string; limit: number },
    ): Promise<RunSummary[]> {
      // Workflow types are the workflow functions' names, as the client derives them when starting a run.
      const types = [interpreter.name, scheduledRun.name].map((type) => `WorkflowType = ${quote(type)}`);
      const clauses = [`(${types.join(' OR ')})`, `${SA_ORG.name} = ${quote(org)}`];
      if (filter.workflow) clauses.push(`${SA_WORKFLOW.name} = ${quote(filter.workflow)}`);
      if (filter.status === 'scheduled') {
        const waiting = [FIRE_STATES.scheduled, FIRE_STATES.delayed].map((s) => `${SA_FIRE_STATE.name} = ${quote(s)}`);
        clauses.push(`ExecutionStatus = "Running"`, `(${waiting.join(' OR ')})`);
      } else if (filter.status) clauses.push(`ExecutionStatus = ${quote(TO_TEMPORAL[filter.status])}`);
      // A chain: its first run (not scheduled, so without the attribute) and every run scheduled from it.
      if (filter.chain)
        clauses.push(`(${SA_CHAIN.name} = ${quote(filter.chain)} OR WorkflowId = ${quote(filter.chain)})`);
      const runs: RunSummary[] = [];
      for await (const info of client.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
        const run = summarize(info);
        // `running` means started and not waiting for its fire time.
        if (filter.status === 'running' && run.status !== 'running') continue;
        runs.push(run);
        if (runs.length >= filter.limit) break;
      }
      return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
    },

    /** The run with its steps; step state comes from the run itself (a query), live while it runs. */
    async get(org: string, id: string): Promise<JsonObject> {
      const info = await describeOwned(org, id);
      const handle = client.workflow.getHandle<typeof interpreter>(id);
      const state: RunState = await handle.query(runStateQuery);
      const run: JsonObject = { ...summarize(info), steps: state.steps as unknown as JsonObject[] };
      if (state.outputs) run.outputs = state.outputs;
      if (state.waiting) run.waiting = { ...state.waiting };
      return run;
    },

    async cancel(org: string, id: string): Promise<RunSummary> {
      const info = await describeOwned(org, id);
      if (info.status.name === 'RUNNING') await client.workflow.getHandle(id).cancel();
      return summarize(await describeOwned(org, id));
    },
  };
}

export type RunService = ReturnType<typeof createRunService>;
