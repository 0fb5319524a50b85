import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { always, crm } from '../helpers/crm';
import { startHarness, type Harness } from '../helpers/harness';
import { listen, type LocalServer } from '../helpers/local-server';

/*
 * The per-host token bucket, end to end: at 2 calls a second (burst 1) to one host, concurrent runs'
 * REST steps reach the server at least ~500 ms apart; one that would wait past the bounded wait
 * (OUTBOUND_THROTTLE_MAX_WAIT_MS) fails `throttled` and is retried after the wait it was told.
 */
describe('outbound throttling', () => {
  let h: Harness;
  let api: ReturnType<typeof crm>;
  let local: LocalServer;

  beforeAll(async () => {
    h = await startHarness('rest-throttle', {
      OUTBOUND_RATE_PER_HOST: '2',
      OUTBOUND_BURST_PER_HOST: '1',
      OUTBOUND_THROTTLE_MAX_WAIT_MS: '1000',
    });
    api = crm(h, (await h.createOrg('throttle')).apiKey);
    local = await listen('127.0.0.1', (_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await local?.close();
    await h?.close();
  });

  it('spaces calls to one host by its rate, across runs', async () => {
    const wf = await api.createWorkflow({
      name: 'throttled calls',
      enabled: true,
      trigger: { callable: true, transitions: [{ target: 'call', condition: always }] },
      steps: [
        { id: 'call', action: 'rest-api.generic', params: { uri: `${local.url}/ping`, method: 'POST', data: 'x' } },
      ],
    });
    const started = Date.now();
    const runs = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const res = await h.request('POST', `/v1/workflows/${wf.id}/call?wait=30`, {
          key: api.key,
          body: { inputs: {} },
        });
        return h.waitForRun(api.key, res.body.runId as string);
      }),
    );
    expect(runs.map((run) => run.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(local.hits).toHaveLength(4);
    const times = local.hits.map((hit) => hit.at).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(450);
    expect(times.at(-1)! - started).toBeGreaterThanOrEqual(1400);
    console.log(`throttle: 4 calls at 2/s, gaps ${gaps.join(', ')} ms`);
  });
});

/*
 * A burst past the bounded wait, with one attempt per step: a call our throttle holds back waits its turn inside
 * the attempt (nothing was sent), so no step fails `throttled` while its attempt has time left.
 */
describe('a burst to one host', () => {
  let h: Harness;
  let api: ReturnType<typeof crm>;
  let local: LocalServer;

  beforeAll(async () => {
    h = await startHarness('rest-burst', {
      OUTBOUND_RATE_PER_HOST: '4',
      OUTBOUND_BURST_PER_HOST: '1',
      OUTBOUND_THROTTLE_MAX_WAIT_MS: '200',
      ACTIVITY_MAX_ATTEMPTS: '1',
    });
    api = crm(h, (await h.createOrg('burst')).apiKey);
    local = await listen('127.0.0.1', (_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await local?.close();
    await h?.close();
  });

  it('completes every step of a burst twice the bucket can take at once, on one attempt each', async () => {
    const wf = await api.createWorkflow({
      name: 'burst',
      enabled: true,
      trigger: { callable: true, transitions: [{ target: 'call', condition: always }] },
      steps: [{ id: 'call', action: 'rest-api.generic', params: { uri: `${local.url}/burst`, method: 'GET' } }],
    });
    const runs = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await h.request('POST', `/v1/workflows/${wf.id}/call?wait=0`, {
          key: api.key,
          body: { inputs: {} },
        });
        return h.waitForRun(api.key, res.body.runId as string);
      }),
    );
    expect(runs.map((run) => run.status)).toEqual(Array(8).fill('completed'));
    expect(local.hits).toHaveLength(8);
    const times = local.hits.map((hit) => hit.at).sort((a, b) => a - b);
    // 4 a second: the burst took at least 7 gaps of ~250 ms.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1500);
  });
});
