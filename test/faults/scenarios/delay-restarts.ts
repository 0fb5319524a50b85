import type { Client } from '@temporalio/client';
import { sleep } from '../../../scripts/dev/process-utils';
import { sendEvents } from '../load';
import { scenario, until, type Fault } from '../scenario';
import { describeOutage } from '../stack';

const DELAY = 'PT20S';
const DELAY_MS = 20_000;
const EVENTS = 30;
const DOWN_MS = 5_000;

/** A run's `delay` timers as its history holds them (server times: the workflow's clock). */
interface Timers {
  /** How many timers the run started: one, unless a replay started its delay again. */
  started: number;
  startedAt?: number;
  firedAt?: number;
}

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const msOf = (t: Timestamp): number | undefined =>
  t ? Number(String(t.seconds ?? 0)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;

async function timersOf(client: Client, runId: string): Promise<Timers> {
  const { events } = await client.workflow.getHandle(runId).fetchHistory();
  const timers: Timers = { started: 0 };
  for (const event of events ?? []) {
    if (event.timerStartedEventAttributes) {
      timers.started++;
      timers.startedAt ??= msOf(event.eventTime);
    }
    if (event.timerFiredEventAttributes) timers.firedAt ??= msOf(event.eventTime);
  }
  return timers;
}

/** Polls `check` (async) every second until it holds, or throws after `timeoutMs`. */
async function untilAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(1_000);
  }
}

/** Runs whose delay had begun and not yet ended when `fault` began. */
const midDelay = (timers: Timers[], fault: Fault): number =>
  timers.filter((t) => t.startedAt !== undefined && t.startedAt <= fault.start && (t.firedAt ?? Infinity) > fault.start)
    .length;

/**
 * Scenario 7: 30 events start runs that wait 20 s in a `delay` step between reading the conversation and
 * replying. While every run is inside its delay, a worker is killed with SIGKILL, the Temporal dev server
 * is stopped for 5 s and started again on its data, and the worker is started again (both faults must
 * catch every run inside its delay, by the history's timer times). Each run must complete once
 * (its side effects counted like the other scenarios'), start its timer once (a replay does not start
 * the delay again), and have waited at least 20 s by the workflow's clock (the history's timer events).
 */
export const delayRestarts = scenario({
  id: 7,
  name: 'delay-restarts',
  eventName: 'fault.delay',
  tags: ['handled'],
  delay: DELAY,
  skip: (ctx) => (ctx.stack.ownTemporal ? undefined : 'TEMPORAL_ADDRESS names a server we cannot stop'),
  body: async (ctx, system) => {
    const { load, procs } = system;
    const { client } = ctx.stack;
    const runIds = (): string[] => load.events.flatMap((e) => e.runs.map((r) => r.id));
    const sending = sendEvents(load, system.api, client, {
      senders: EVENTS,
      count: EVENTS,
      durationMs: 120_000,
      waitForRuns: false,
      runTimeoutMs: 240_000,
    });
    const faults = async (): Promise<void> => {
      await until(() => load.accepted() >= EVENTS, 120_000);
      const since = Date.now();
      await untilAsync(
        async () => (await Promise.all(runIds().map((id) => timersOf(client, id)))).every((t) => t.started > 0),
        60_000,
      );
      ctx.log(
        `delay-restarts: all ${runIds().length} runs in their delay ${Date.now() - since} ms after the last accept`,
      );
      // Both faults begin within the first seconds of the delays; the worker is started again once Temporal
      // is back (it needs the server to start), however long that takes on a loaded machine.
      const worker = procs.workers[0]!;
      const killedAt = Date.now();
      await worker.kill();
      system.faults.push({ start: killedAt, end: killedAt });
      const down = await ctx.stack.restartTemporal(DOWN_MS);
      system.faults.push({ start: down.stoppedAt, end: down.backAt });
      system.notes.push(
        `${worker.name} SIGKILLed with every run in its delay; then Temporal stopped, started again on its ` +
          `data after ${DOWN_MS / 1000} s: ${describeOutage(down)}`,
      );
      ctx.log(system.notes.at(-1)!);
      await worker.start();
      system.notes.push(`${worker.name} serving again ${((Date.now() - killedAt) / 1000).toFixed(1)} s after its kill`);
      ctx.log(system.notes.at(-1)!);
    };
    await Promise.all([sending, faults()]);

    const ids = runIds();
    const timers = await Promise.all(ids.map((id) => timersOf(client, id)));
    const waited = timers.flatMap((t) =>
      t.startedAt !== undefined && t.firedAt !== undefined ? [t.firedAt - t.startedAt] : [],
    );
    const [kill, restart] = system.faults;
    const caught = [kill, restart].map((f) => (f ? midDelay(timers, f) : 0));
    system.notes.push(
      `runs inside their delay when each fault began: ${caught[0]} at the kill, ${caught[1]} when Temporal stopped ` +
        `(of ${ids.length})`,
      `time in the delay (the history's timer started -> fired): min ${(Math.min(...waited) / 1000).toFixed(1)} s, ` +
        `max ${(Math.max(...waited) / 1000).toFixed(1)} s over ${waited.length} runs`,
    );
    caught.forEach((n, i) => {
      if (n !== ids.length)
        system.failures.push(
          `${ids.length - n} runs not in their delay ${['at the kill', 'when Temporal stopped'][i]}`,
        );
    });
    ids.forEach((id, i) => {
      const t = timers[i]!;
      if (t.started !== 1) system.failures.push(`run ${id}: ${t.started} timers started, 1 expected`);
      else if (t.firedAt === undefined) system.failures.push(`run ${id}: its delay never ended`);
      else if (t.firedAt - t.startedAt! < DELAY_MS) {
        system.failures.push(`run ${id}: waited ${t.firedAt - t.startedAt!} ms, less than ${DELAY_MS}`);
      }
    });
  },
});
