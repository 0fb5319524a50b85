import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduleService } from '../../../src/services/schedules.service';
import { createCallable, MATCH_STEP } from '../../helpers/callables';
import { eventually, startHarness, type Harness } from '../../helpers/harness';

/**
 * Recurring schedules end to end (Temporal Schedules on the dev server): counts of runs, never timings.
 */

let h: Harness;
let org: string;
let key: string;
let callable: string;

beforeAll(async () => {
  h = await startHarness('schedules');
  ({ id: org, apiKey: key } = await h.createOrg());
  callable = await createCallable(h, key, [MATCH_STEP]);
});
afterAll(() => h?.close());

/** The runs a schedule started that completed (the `scheduledRun` workflows of its id). */
async function completedRuns(scheduleId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of h.client.workflow.list({
    query: `SwitchboardSchedule = "${scheduleId}" AND ExecutionStatus = "Completed"`,
  })) {
    ids.push(info.workflowId);
  }
  return ids;
}

describe('/v1/schedules', () => {
  it('fires a callable on each trigger with the fire time in its inputs; pauses, resumes, deletes', async () => {
    const created = await h.request('POST', '/v1/schedules', {
      key,
      body: { workflow: callable, cron: '0 0 1 1 *', timezone: 'Europe/Paris', inputs: { text: 'abb' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    expect(id.startsWith(org)).toBe(true);
    expect(created.body).toMatchObject({ workflow: callable, cron: '0 0 1 1 *', paused: false, overlap: 'skip' });
    expect(created.body.nextFireTimes.length).toBeGreaterThan(0);

    // Temporal names a schedule's run after the second it fired in: triggers a second apart, each awaited.
    let runs: string[] = [];
    for (let i = 1; i <= 3; i++) {
      expect((await h.request('POST', `/v1/schedules/${id}/trigger`, { key })).status).toBe(202);
      runs = await eventually(async () => {
        const done = await completedRuns(id);
        return done.length === i ? done : undefined;
      }, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const run = await h.waitForRun(key, runs[0]!);
    expect(run.steps.map((s: { id: string }) => s.id)).toEqual(['1', 's1']);
    expect(run.steps[0].output).toMatchObject({ text: 'abb', firedAt: expect.any(String) });
    expect(run.steps[1].output.match).toBe('bb');

    const paused = await h.request('POST', `/v1/schedules/${id}/pause`, { key });
    expect(paused.body).toMatchObject({ paused: true, fires: 3 });
    const resumed = await h.request('POST', `/v1/schedules/${id}/resume`, { key });
    expect(resumed.body).toMatchObject({ paused: false });

    const listed = await h.request('GET', '/v1/schedules', { key });
    expect(listed.body.schedules.map((s: { id: string }) => s.id)).toContain(id);
    expect((await h.request('DELETE', `/v1/schedules/${id}`, { key })).status).toBe(204);
    expect((await h.request('GET', `/v1/schedules/${id}`, { key })).status).toBe(404);
  });

  it('fires on an interval; paused, the count of fires stays; resumed, it goes on', async () => {
    const created = await h.request('POST', '/v1/schedules', {
      key,
      body: { workflow: callable, interval: 1, inputs: { text: 'b' }, overlap: 'allow_all' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await eventually(async () => ((await completedRuns(id)).length >= 3 ? true : undefined), 30_000);

    const paused = await h.request('POST', `/v1/schedules/${id}/pause`, { key });
    const firesWhenPaused: number = paused.body.fires;
    // Runs the schedule had started before the pause complete; none starts after it.
    await eventually(async () => ((await completedRuns(id)).length === firesWhenPaused ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await h.request('GET', `/v1/schedules/${id}`, { key })).body.fires).toBe(firesWhenPaused);

    await h.request('POST', `/v1/schedules/${id}/resume`, { key });
    await eventually(async () => ((await completedRuns(id)).length > firesWhenPaused ? true : undefined), 30_000);
    await h.request('DELETE', `/v1/schedules/${id}`, { key });
  });

  it("follows the workflow's enable switch: disabling pauses, enabling resumes only what the switch paused", async () => {
    const schedules = createScheduleService(h.client, h.config);
    const create = async () =>
      (await h.request('POST', '/v1/schedules', { key, body: { workflow: callable, cron: '0 0 1 1 *' } })).body.id;
    const followsSwitch: string = await create();
    const pausedByUser: string = await create();
    await h.request('POST', `/v1/schedules/${pausedByUser}/pause`, { key });

    await h.request('PATCH', `/v1/workflows/${callable}`, { key, body: { enabled: false } });
    await schedules.onDefinitionEnabledChanged(org, callable, false);
    const disabled = await h.request('GET', `/v1/schedules/${followsSwitch}`, { key });
    expect(disabled.body).toMatchObject({ paused: true, pausedByWorkflow: true });
    expect((await h.request('POST', `/v1/schedules/${followsSwitch}/resume`, { key })).status).toBe(409);

    await h.request('PATCH', `/v1/workflows/${callable}`, { key, body: { enabled: true } });
    await schedules.onDefinitionEnabledChanged(org, callable, true);
    expect((await h.request('GET', `/v1/schedules/${followsSwitch}`, { key })).body).toMatchObject({
      paused: false,
      pausedByWorkflow: false,
    });
    expect((await h.request('GET', `/v1/schedules/${pausedByUser}`, { key })).body.paused).toBe(true);
  });

  it('refuses what it cannot schedule, and hides schedules from other orgs', async () => {
    const bad = await h.request('POST', '/v1/schedules', {
      key,
      body: { workflow: callable, cron: '* * *', interval: 'PT1M' },
    });
    expect(bad.status).toBe(400);
    const badCron = await h.request('POST', '/v1/schedules', { key, body: { workflow: callable, cron: 'not a cron' } });
    expect(badCron.status).toBe(400);
    const badZone = await h.request('POST', '/v1/schedules', {
      key,
      body: { workflow: callable, cron: '0 0 * * *', timezone: 'Mars/Olympus' },
    });
    expect(badZone.status).toBe(400);
    const missing = await h.request('POST', '/v1/schedules', { key, body: { workflow: 'nope', interval: 60 } });
    expect(missing.status).toBe(404);

    const id = (await h.request('POST', '/v1/schedules', { key, body: { workflow: callable, interval: 'PT1H' } })).body
      .id;
    const other = (await h.createOrg('other')).apiKey;
    expect((await h.request('GET', `/v1/schedules/${id}`, { key: other })).status).toBe(404);
    expect((await h.request('POST', `/v1/schedules/${id}/trigger`, { key: other })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/schedules/${id}`, { key: other })).status).toBe(404);
    expect((await h.request('GET', '/v1/schedules', { key: other })).body.schedules).toEqual([]);
    // Another org cannot schedule this org's workflow either.
    expect(
      (await h.request('POST', '/v1/schedules', { key: other, body: { workflow: callable, interval: 60 } })).status,
    ).toBe(404);
  });
});
