import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

/**
 * No tenant can stall another: trigger conditions are evaluated on the pool's threads within a time
 * budget, so org A's hostile triggers (an RE2 pattern that takes seconds on a long field, a template
 * that builds megabytes) cost A its own evaluations and nothing else. Latencies are asserted only as a
 * coarse bound (this machine has 2 cores shared with the servers), and printed.
 */
let h: Harness;
let a: ReturnType<typeof crm>;
let b: ReturnType<typeof crm>;

const BUDGET_MS = 250;
/**
 * A coarse bound, not a performance target: evaluated on the event loop, one hostile trigger held every
 * request 11.2 s. Measured here with the pool: p99 41-336 ms alone, 749 ms once beside the rest of the
 * suite and a fault-suite run on the same 2 cores; 2 s still fails any return to on-loop evaluation.
 */
const BOUND_MS = 2000;

beforeAll(async () => {
  h = await startHarness('trigger-isolation', { TRIGGER_EVAL_TIMEOUT_MS: String(BUDGET_MS) });
  a = crm(h, (await h.createOrg('hostile')).apiKey);
  b = crm(h, (await h.createOrg('neighbour')).apiKey);
});
afterAll(() => h?.close());

const onEvent = (name: string, eventName: string, condition: unknown) => ({
  name,
  enabled: true,
  trigger: { eventName, transitions: [{ target: 'noop', condition }] },
  steps: [{ id: 'noop' }],
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Calls `send` back to back until `stop()`, and returns each call's latency in ms. */
function loop(send: () => Promise<void>, pauseMs = 0): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await send();
      latencies.push(performance.now() - started);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return latencies;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('trigger evaluation isolation', () => {
  it("keeps org B and /healthz responsive while org A's triggers run past their budget", async () => {
    const hostileRegex = await a.createWorkflow(
      onEvent('hostile-regex', 'hostile.regex', {
        op: 'regex',
        values: ['/#steps.1.text', '[\\s\\S]{1000}'.repeat(16)],
      }),
    );
    const hostileTemplate = await a.createWorkflow(
      onEvent('hostile-template', 'hostile.template', {
        op: 'eq',
        values: ['{{#each steps.1.list}}{{#each @root.steps.1.list}}{{@root.steps.1.word}}{{/each}}{{/each}}', 'x'],
      }),
    );
    // B's trigger reads the event too, so B's evaluations go through the same pool as A's.
    await b.createWorkflow(
      onEvent('neighbour', 'order.placed', { op: 'regex', values: ['/#steps.1.text', '^never$'] }),
    );

    const regexData = { text: 'x'.repeat(60_000) };
    const templateData = { list: Array.from({ length: 1000 }, (_, i) => i), word: 'abcdefghij' };
    const aEvents: { kind: 'regex' | 'template'; id: string }[] = [];
    const sendA = (kind: 'regex' | 'template') => async () => {
      const res = await h.request('POST', '/v1/events', {
        key: a.key,
        body:
          kind === 'regex'
            ? { name: 'hostile.regex', data: regexData }
            : { name: 'hostile.template', data: templateData },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      aEvents.push({ kind, id: res.body.eventId });
    };
    let n = 0;
    const sendB = async () => {
      const res = await h.request('POST', '/v1/events', {
        key: b.key,
        body: { name: 'order.placed', data: { text: `order-${n++}` } },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    };
    const health = async () => {
      expect((await h.request('GET', '/healthz')).status).toBe(200);
    };

    // Quiet: B and the health check alone.
    let bLoop = loop(sendB);
    let healthLoop = loop(health, 20);
    await sleep(2000);
    const quiet = { b: await bLoop.stop(), health: await healthLoop.stop() };

    // Hostile: A keeps two of each kind in flight (more than the pool has threads) while B carries on.
    const aLoops = [loop(sendA('regex')), loop(sendA('regex')), loop(sendA('template')), loop(sendA('template'))];
    await sleep(300);
    bLoop = loop(sendB);
    healthLoop = loop(health, 20);
    await sleep(5000);
    const hostile = { b: await bLoop.stop(), health: await healthLoop.stop() };
    const aLatencies = (await Promise.all(aLoops.map((l) => l.stop()))).flat();

    const summary = (values: number[]) =>
      `n=${values.length} p50=${percentile(values, 50).toFixed(1)} p99=${percentile(values, 99).toFixed(1)} max=${Math.max(...values).toFixed(1)} ms`;
    console.log(
      [
        `quiet:   org B POST /v1/events ${summary(quiet.b)}; /healthz ${summary(quiet.health)}`,
        `hostile: org B POST /v1/events ${summary(hostile.b)}; /healthz ${summary(hostile.health)}`,
        `         org A POST /v1/events ${summary(aLatencies)}`,
      ].join('\n'),
    );
    expect(percentile(hostile.b, 99)).toBeLessThan(BOUND_MS);
    expect(percentile(hostile.health, 99)).toBeLessThan(BOUND_MS);

    const regexEvent = await a.event(aEvents.find((e) => e.kind === 'regex')!.id);
    expect(regexEvent.skipped).toEqual([
      {
        workflow: hostileRegex.id,
        rev: 1,
        reason: 'trigger_error',
        message: `trigger evaluation exceeded ${BUDGET_MS} ms`,
      },
    ]);
    const templateEvent = await a.event(aEvents.find((e) => e.kind === 'template')!.id);
    console.log(
      `org A skipped: regex "${regexEvent.skipped[0]?.message}", template "${templateEvent.skipped[0]?.message}"`,
    );
    // Past the budget here; a render output cap in the core, where there is one, may stop it sooner.
    expect(templateEvent.skipped).toEqual([
      expect.objectContaining({ workflow: hostileTemplate.id, reason: 'trigger_error' }),
    ]);
  });
});
