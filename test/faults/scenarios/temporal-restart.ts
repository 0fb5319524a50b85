import { sendEvents } from '../load';
import { inFlight, scenario, underLoad, until } from '../scenario';
import { describeOutage } from '../stack';

const DOWN_MS = 10_000;

/**
 * Scenario 2: the Temporal dev server stopped for 10 s and started again on its data while 300 events
 * start runs. Meanwhile the APIs cannot start runs (their requests wait on the Temporal client's retries,
 * or answer 503) and the workers cannot poll; afterwards both reconnect and every run completes. The
 * senders of the load wait for their runs, so two more send events while it is down.
 */
export const temporalRestart = scenario({
  id: 2,
  name: 'temporal-restart',
  eventName: 'fault.temporal',
  tags: ['handled'],
  skip: (ctx) => (ctx.stack.ownTemporal ? undefined : 'TEMPORAL_ADDRESS names a server we cannot stop'),
  body: (ctx, system) =>
    underLoad(ctx, system, async () => {
      const { load } = system;
      await until(() => load.accepted() >= 100);
      const caught = inFlight(load);
      const unavailableBefore = system.api.traffic.unavailable;
      const restarting = ctx.stack.restartTemporal(DOWN_MS);
      const whileDown = sendEvents(load, system.api, ctx.stack.client, {
        senders: 2,
        count: Number.MAX_SAFE_INTEGER,
        durationMs: DOWN_MS - 1_000,
        waitForRuns: false,
        runTimeoutMs: 240_000,
      });
      const down = await restarting;
      system.faults.push({ start: down.stoppedAt, end: down.backAt });
      await whileDown;
      const during = (t?: number) => t !== undefined && t >= down.stoppedAt && t <= down.backAt;
      const sentMeanwhile = load.events.filter((e) => during(e.sentAt));
      // The load's own senders may still be waiting for the answer to what they sent meanwhile.
      await until(() => sentMeanwhile.every((e) => e.acceptedAt !== undefined || e.problem !== undefined), 180_000);
      const slowest = Math.max(0, ...sentMeanwhile.map((e) => (e.acceptedAt ?? Infinity) - e.sentAt));
      system.notes.push(
        `Temporal stopped, started again on its data after ${DOWN_MS / 1000} s: ${describeOutage(down)}, ` +
          `${caught} events in flight`,
        `${sentMeanwhile.length} events sent while it was down, accepted at most ${(slowest / 1000).toFixed(1)} s ` +
          `after sending; ${system.api.traffic.unavailable - unavailableBefore} answers 503 meanwhile`,
      );
      ctx.log(system.notes.slice(-2).join('; '));
    }),
});
