import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { JsonObject } from '../core/json';
import { NotFoundError } from '../errors';
import { runStateQuery } from '../workflows/interpreter.messages';
import { interpreter } from '../workflows/interpreter.workflow';
import type { RunState } from '../workflows/run.types';
import { SA_ORG, SA_WORKFLOW } from '../workflows/search-attributes';

export const RUN_STATUSES = ['running', 'completed', 'failed', 'canceled', 'terminated', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

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
  status: RunStatus;
  startedAt: string;
  closedAt: string | null;
}

/** Visibility query values are ids we generated (hex) or enum members, but quote defensively anyway. */
const quote = (value: string): string => `"${value.replace(/["\\]/g, '')}"`;

function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): RunSummary {
  const memo = info.memo ?? {};
  return {
    id: info.workflowId,
    workflow: String(info.typedSearchAttributes.get(SA_WORKFLOW) ?? ''),
    rev: Number(memo.rev ?? 0),
    event: String(memo.event ?? ''),
    status: FROM_TEMPORAL[info.status.name] ?? 'failed',
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime ? info.closeTime.toISOString() : null,
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
    async list(org: string, filter: { workflow?: string; status?: RunStatus; limit: number }): Promise<RunSummary[]> {
      // The workflow type is the interpreter function's name, as the client derives it when starting a run.
      const clauses = [`WorkflowType = ${quote(interpreter.name)}`, `${SA_ORG.name} = ${quote(org)}`];
      if (filter.workflow) clauses.push(`${SA_WORKFLOW.name} = ${quote(filter.workflow)}`);
      if (filter.status) clauses.push(`ExecutionStatus = ${quote(TO_TEMPORAL[filter.status])}`);
      const runs: RunSummary[] = [];
      for await (const info of client.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
        runs.push(summarize(info));
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
