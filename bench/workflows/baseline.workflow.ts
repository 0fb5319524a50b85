import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { ActionName } from '../../src/core/actions.catalog';
import type { JsonObject } from '../../src/core/json';
import type { Activities } from '../../src/activities';
import { actionOptions } from '../../src/workflows/retry';
import type { RetryDefaults } from '../../src/workflows/run.types';

export interface BaselineInput {
  org: string;
  conversation: string;
  retry: RetryDefaults;
  /** Regular activities instead of local ones (how the interpreter ran CRM actions before): the lever's cost. */
  remote?: boolean;
}

/**
 * The baseline: the scenario's three steps hand-written against our real activities, called the way
 * the interpreter's `runAction` calls them (local activities, same options, same `ActionInput`, the run's id being
 * its Temporal workflow id). What the interpreter costs above this is walking a user definition:
 * transitions, conditions, resolving params, the run state it keeps for queries.
 */
export async function baseline(input: BaselineInput): Promise<JsonObject[]> {
  const call = (stepId: string, action: ActionName, params: JsonObject): Promise<JsonObject> => {
    const options = actionOptions(input.retry, undefined, `${stepId}: ${action}`);
    const activities = input.remote ? proxyActivities<Activities>(options) : proxyLocalActivities<Activities>(options);
    return activities[action]({
      org: input.org,
      temporalWorkflowId: workflowInfo().workflowId,
      definitionId: 'bench-baseline',
      stepId,
      action,
      params,
      depth: 0,
    });
  };
  const found = await call('find', 'conversation.find-by-id', { id: input.conversation });
  const id = typeof found.id === 'string' ? found.id : input.conversation;
  const tagged = await call('tag', 'conversation.append-tags', { id, tags: ['bench'] });
  const note = await call('note', 'note.create', { conversation: id, body: 'Tagged by the bench.' });
  return [found, tagged, note];
}
