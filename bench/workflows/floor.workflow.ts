import { proxyActivities } from '@temporalio/workflow';

/** Activities that do nothing: what Temporal itself costs per step (schedule, dispatch, record). */
export interface NoopActivities {
  benchNoop(step: string): Promise<string>;
}

export interface FloorInput {
  /** The task queue of the activity-only worker that registers `benchNoop`. */
  noopTaskQueue: string;
}

/**
 * The floor: three activities one after the other, as the 3-step scenario does, but with no work in
 * them. Whatever the baseline costs above this is our activities and the database.
 */
export async function floor(input: FloorInput): Promise<string[]> {
  const { benchNoop } = proxyActivities<NoopActivities>({
    taskQueue: input.noopTaskQueue,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 3 },
  });
  return [await benchNoop('find'), await benchNoop('tag'), await benchNoop('note')];
}
