import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { FIRE_WINDOW_MS, fireWindowStart, reserveFireSlot } from '../../src/services/scheduled-runs.service';
import { createCallable, MATCH_STEP } from '../helpers/callables';

/**
 * Scheduled runs end to end (API, worker, the dev server and the database): a workflow schedules a
 * callable through `app.scheduler.schedule-workflow`; the scheduled run is listed until it fires, then
 * runs the callable; another is cancelled before it fires.
 */

let h: Harness;
let key: string;
let callable: string;
let scheduler: string;

beforeAll(async () => {
  h = await startHarness('scheduled');
  key = (await h.createOrg()).apiKey;
  callable = await createCallable(h, key, [MATCH_STEP]);
  const created = await h.request('POST', '/v1/workflows', {
    key,
    body: {
      name: 'scheduler',
      enabled: true,
      trigger: { eventName: 'acme.later', transitions: [{ target: 'sched' }] },
      steps: [
        {
          id: 'sched',
          action: 'kustomer.app.scheduler.schedule-workflow',
          params: {
            workflowId: callable,
            runAt: { type: 'relative', value: '/#steps.1.delay' },
            inputs: { text: '/#steps.1.text' },
          },
        },
      ],
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  scheduler = created.body.id;
});
afterAll(() => h?.close());

/** Publishes `acme.later` and returns the scheduling run's id and the scheduled run it started. */
async function scheduleThroughEvent(data: { delay: number; text: string }) {
  const published = await h.request('POST', '/v1/events', { key, body: { name: 'acme.later', data } });
  expect(published.status).toBe(202);
  const run = published.body.runs.find((r: { workflow: string }) => r.workflow === scheduler);
  const done = await h.waitForRun(key, run.id);
  expect(done.status).toBe('completed');
  const output = done.steps.at(-1).output as { scheduledRunId: string; fireAt: string };
  return { root: run.id as string, ...output };
}

describe('scheduled runs through the API', () => {
  it('lists a scheduled run with its fire time until it fires, then runs the callable', async () => {
    const { root, scheduledRunId, fireAt } = await scheduleThroughEvent({ delay: 2, text: 'abbbc' });
    expect(Number.isNaN(Date.parse(fireAt))).toBe(false);

    const listed = await eventually(async () => {
      const res = await h.request('GET', '/v1/runs?status=scheduled', { key });
      return res.body.runs.find((r: { id: string }) => r.id === scheduledRunId);
    });
    expect(listed).toMatchObject({ status: 'scheduled', workflow: callable, fireAt, delayedUntil: null });

    const run = await h.waitForRun(key, scheduledRunId);
    expect(run.status).toBe('completed');
    expect(run.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      '1:completed',
      's1:completed',
    ]);
    expect(run.steps[1].output.match).toBe('bbb');
    expect(run.chain).toEqual({ root, depth: 1, scheduledBy: { run: root, step: 'sched' } });

    // The chain is listed from its root: the scheduling run and the run it scheduled.
    const chain = await eventually(async () => {
      const res = await h.request('GET', `/v1/runs?chain=${root}`, { key });
      const ids = res.body.runs.map((r: { id: string }) => r.id).sort();
      return ids.length === 2 ? ids : undefined;
    });
    expect(chain).toEqual([root, scheduledRunId].sort());
    // Fired: no longer listed as scheduled.
    const scheduled = await h.request('GET', '/v1/runs?status=scheduled', { key });
    expect(scheduled.body.runs.map((r: { id: string }) => r.id)).not.toContain(scheduledRunId);
  });

  it('cancels a scheduled run before it fires: it ends canceled and runs nothing', async () => {
    const { scheduledRunId } = await scheduleThroughEvent({ delay: 3600, text: 'b' });
    const cancel = await h.request('POST', `/v1/runs/${scheduledRunId}/cancel`, { key });
    expect(cancel.status).toBe(202);
    const run = await h.waitForRun(key, scheduledRunId);
    expect(run.status).toBe('canceled');
    expect(run.steps).toEqual([]);
  });

  it('hides a scheduled run from another org', async () => {
    const { scheduledRunId } = await scheduleThroughEvent({ delay: 3600, text: 'b' });
    const other = (await h.createOrg('other')).apiKey;
    expect((await h.request('GET', `/v1/runs/${scheduledRunId}`, { key: other })).status).toBe(404);
    expect((await h.request('POST', `/v1/runs/${scheduledRunId}/cancel`, { key: other })).status).toBe(404);
    await h.request('POST', `/v1/runs/${scheduledRunId}/cancel`, { key });
  });
});

describe('reserveFireSlot', () => {
  it('gives each run one slot of the window, again on a retry, and sends the rest to the next window', async () => {
    const at = Date.parse('2030-01-01T10:07:00Z');
    const window = fireWindowStart(at);
    expect(await reserveFireSlot('org-w', 'run-a', at, 2)).toEqual({ reserved: true, windowStart: window });
    expect(await reserveFireSlot('org-w', 'run-a', at + 1000, 2)).toEqual({ reserved: true, windowStart: window });
    expect(await reserveFireSlot('org-w', 'run-b', at, 2)).toEqual({ reserved: true, windowStart: window });
    expect(await reserveFireSlot('org-w', 'run-c', at, 2)).toEqual({
      reserved: false,
      nextWindowAt: window + FIRE_WINDOW_MS,
    });
    // Full, but run-a's retry still finds its slot; another org has its own window.
    expect(await reserveFireSlot('org-w', 'run-a', at, 2)).toMatchObject({ reserved: true });
    expect(await reserveFireSlot('org-v', 'run-c', at, 2)).toMatchObject({ reserved: true });
    expect(await reserveFireSlot('org-w', 'run-c', window + FIRE_WINDOW_MS, 2)).toMatchObject({ reserved: true });
  });
});
