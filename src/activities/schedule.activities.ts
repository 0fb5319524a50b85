import type { Client } from '@temporalio/client';
import type { ActionParams } from '../core/actions.catalog';
import type { JsonObject } from '../core/json';
import { UserError } from '../errors';
import {
  loadCallableTarget,
  reserveFireSlot,
  scheduledRunIdFor,
  startScheduledRun,
} from '../services/scheduled-runs.service';
import type { ActionInput, RetryDefaults, RunInput } from '../workflows/run.types';
import { asActivityFailure } from './action-context';

/** What scheduling needs in the worker: a Temporal client, where runs go, and the limits from config. */
export interface SchedulingDeps {
  client: Client;
  taskQueue: string;
  retry: RetryDefaults;
  runsPerWindow: number;
  maxChainDepth: number;
  /** False where the server knows none of our search attributes (Temporal's time-skipping test server). */
  searchAttributes?: boolean;
}

export type ScheduledTarget = RunInput['workflow'];

/** The activities of the `scheduledRun` workflow (besides the actions its interpreter runs). */
export interface ScheduleActivities {
  reserveFireSlot(input: {
    org: string;
    run: string;
    at: number;
  }): Promise<{ reserved: true } | { reserved: false; nextWindowAt: number }>;
  loadScheduledTarget(input: { org: string; definitionId: string }): Promise<ScheduledTarget>;
}

const ACTION = 'app.scheduler.schedule-workflow';

function requireScheduling(deps: { scheduling?: SchedulingDeps }): SchedulingDeps {
  if (!deps.scheduling) throw new Error('this worker was built without scheduling (ActivityDeps.scheduling)');
  return deps.scheduling;
}

/**
 * `app.scheduler.schedule-workflow`: starts a `scheduledRun` whose id is derived from (run, step), so a
 * retry starts nothing new and returns the same `{scheduledRunId, fireAt}`. The new run is one more link
 * of the scheduling run's chain; past `maxChainDepth` links the step fails with `schedule_chain_limit`.
 */
export function scheduleHandlers(deps: { scheduling?: SchedulingDeps }) {
  return {
    [ACTION]: async (p: ActionParams<typeof ACTION>, input: ActionInput): Promise<JsonObject> => {
      const scheduling = requireScheduling(deps);
      const chain = input.chain
        ? { root: input.chain.root, depth: input.chain.depth + 1 }
        : { root: input.temporalWorkflowId, depth: 1 };
      if (chain.depth > scheduling.maxChainDepth) {
        throw new UserError(
          409,
          'schedule_chain_limit',
          `this run is scheduled run ${chain.depth - 1} of chain ${chain.root}; a chain may hold ${scheduling.maxChainDepth}`,
        );
      }
      const fireAt =
        p.runAt.type === 'relative' ? new Date(Date.now() + p.runAt.value) : new Date(Date.parse(p.runAt.value));
      return startScheduledRun(
        scheduling.client,
        scheduling.taskQueue,
        scheduledRunIdFor(input.temporalWorkflowId, input.stepId),
        {
          org: input.org,
          definitionId: p.workflowId,
          fireAt: fireAt.toISOString(),
          inputs: p.inputs,
          scheduledBy: { run: input.temporalWorkflowId, step: input.stepId },
          chain,
          depth: input.depth,
          retry: scheduling.retry,
        },
        { searchAttributes: scheduling.searchAttributes ?? true },
      );
    },
  };
}

/** The fire window and the target lookup, with the limits from config. */
export function createScheduleActivities(deps: { scheduling?: SchedulingDeps }): ScheduleActivities {
  return {
    async reserveFireSlot({ org, run, at }) {
      const result = await reserveFireSlot(org, run, at, requireScheduling(deps).runsPerWindow);
      return result.reserved ? { reserved: true } : result;
    },
    async loadScheduledTarget({ org, definitionId }) {
      try {
        return await loadCallableTarget(org, definitionId);
      } catch (error) {
        throw asActivityFailure(error);
      }
    },
  };
}
