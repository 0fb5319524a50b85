import { derivedId } from '../../../src/models/ids';
import { temporalWorkflowIdFor } from '../../../src/services/events.service';
import mongoose from 'mongoose';
import { sleep } from '../../../scripts/dev/process-utils';
import { sendEvents, type Load } from '../load';
import { scenario, until, type System } from '../scenario';
import type { Stack } from '../stack';

const HANDLERS = ['alpha', 'bravo', 'charlie', 'delta'];
const MAX_KILLS = 8;
const WAVES = 10;

/** Events the dead API had stored and left pending, with how many of their runs it had started. */
async function pendingFanOuts(stack: Stack, system: System, load: Load): Promise<number[]> {
  const conn = await mongoose.createConnection(system.procs.mongoUri).asPromise();
  try {
    const ids = load.events
      .filter((e) => e.acceptedAt === undefined)
      .map((e) => derivedId('idempotency-key', load.org, e.key));
    const pending = await conn
      .collection<{ _id: string }>('events')
      .find({ _id: { $in: ids }, status: 'pending' })
      .toArray();
    return Promise.all(
      pending.map(async (event) => {
        let started = 0;
        for (const h of load.handlers) {
          const run = temporalWorkflowIdFor(load.org, h.id, h.rev, event._id);
          started += await stack.client.workflow
            .getHandle(run)
            .describe()
            .then(
              () => 1,
              () => 0,
            );
        }
        return started;
      }),
    );
  } finally {
    await conn.close();
  }
}

/**
 * Scenario 4: four workflows listen to one event; an API process is killed (SIGKILL) while it fans
 * events out to them, and the client retries with the same Idempotency-Key against the other API. The
 * kill is repeated (the API started again each time) until it has caught at least one event with some
 * but not all of its runs started; every workflow must then run exactly once per event.
 */
export const apiFanoutKill = scenario({
  id: 4,
  name: 'api-fanout-kill',
  eventName: 'fault.fanout',
  tags: HANDLERS,
  async body(ctx, system) {
    const { load, procs, api } = system;
    const [apiA] = procs.apis;
    let sending = true;
    let caughtMidway = 0;
    let kills = 0;
    // Waves of 16 events at once, each wave's runs waited for before the next: many requests in flight
    // at a time, without a backlog of runs that would hide how long the retried ones took.
    const waves = async (): Promise<void> => {
      // More waves while the kills have not caught a fan-out midway yet.
      for (let wave = 0; wave < WAVES || (caughtMidway === 0 && kills < MAX_KILLS); wave++) {
        await sendEvents(load, api, ctx.stack.client, {
          senders: 16,
          count: 16,
          durationMs: 600_000,
          waitForRuns: false,
          runTimeoutMs: 240_000,
          // Every request goes to API A first; a broken connection moves it to B.
          prefer: () => 0,
        });
      }
    };
    const done = waves().finally(() => (sending = false));
    const faults = async (): Promise<void> => {
      // The first wave warms up.
      await until(() => load.events.length > 16);
      while (kills < MAX_KILLS && caughtMidway === 0 && sending) {
        const kill = ++kills;
        await until(
          () => !sending || api.inFlightAt(apiA!).filter((a) => a.path === '/v1/events').length >= 6,
          120_000,
          2,
        );
        if (!sending) break;
        // The requests have just arrived: land the kill somewhere in their fan-out (tens to hundreds of ms on).
        await sleep(20 + Math.random() * 180);
        const inFlight = api.inFlightAt(apiA!).filter((a) => a.path === '/v1/events').length;
        // Retries wait until the events the kill left behind are counted.
        const release = api.holdRetries();
        const at = Date.now();
        await apiA!.kill();
        system.faults.push({ start: at, end: at });
        let partial: number[];
        try {
          partial = await pendingFanOuts(ctx.stack, system, load);
        } finally {
          release();
        }
        const midway = partial.filter((n) => n > 0 && n < HANDLERS.length);
        caughtMidway += midway.length;
        const counts = partial.map((n) => `${n}/${HANDLERS.length}`).join(', ');
        system.notes.push(
          `kill ${kill}: API A SIGKILLed with ${inFlight} POST /v1/events in flight; ${partial.length} events left ` +
            `pending${counts ? ` with ${counts} runs started` : ''}; ${midway.length} caught midway`,
        );
        ctx.log(system.notes.at(-1)!);
        await apiA!.start();
      }
    };
    await Promise.all([done, faults()]);
    if (caughtMidway === 0) system.failures.push('no kill caught an event midway through its fan-out');
  },
});
