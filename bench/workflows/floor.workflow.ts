import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../src/activities';

/** Activities that do nothing: what Temporal itself costs per step (schedule, dispatch, record). */
export interface NoopActivities {
  benchNoop(step: string): Promise<string>;
}

export interface FloorInput {
  /** The task queue of the activity-only worker that registers `benchNoop`. */
  noopTaskQueue: string;
  /**
   * Local activities, as the interpreter runs CRM actions: then each "no-op" is our `regexTest` on a
   * one-character pattern (microseconds of work, no I/O), registered on the same worker as the workflow.
   */
  local?: boolean;
}

/**
 * The floor: three activities one after the other, as the 3-step scenario does, but with no work in
 * them. Whatever the baseline costs above this is our activities and the database.
 */
export async function floor(input: FloorInput): Promise<string[]> {
  if (input.local) {
    const { regexTest } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });
    const step = async (name: string): Promise<string> => `${name}:${String(await regexTest('a', 'a'))}`;
    return [await step('find'), await step('tag'), await step('note')];
  }
  const { benchNoop } = proxyActivities<NoopActivities>({
    taskQueue: input.noopTaskQueue,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 3 },
  });
  return [await benchNoop('find'), await benchNoop('tag'), await benchNoop('note')];
}
