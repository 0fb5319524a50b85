import { sleep } from '../../../scripts/dev/process-utils';
import type { ApiClient } from '../client';
import type { Load } from '../load';
import type { Service } from '../services';
import { describeOutage } from '../stack';
import { inFlight, scenario, underLoad, until, type System } from '../scenario';

const DOWN_MS = 20_000;

interface Probe {
  sentAt: number;
  status: number | string;
  retryAfter: string | null;
  ms: number;
}

/**
 * Every second, each API is asked for a conversation (without waiting for the earlier answers): what it
 * answers while the database is away.
 */
async function probe(api: ApiClient, system: System, load: Load, stop: () => boolean): Promise<Probe[]> {
  const conversation = load.events[0]?.conversation ?? 'none';
  const asking: Promise<Probe>[] = [];
  const ask = async (service: Service): Promise<Probe> => {
    const sentAt = Date.now();
    try {
      const res = await api.once(service, 'GET', `/v1/conversations/${conversation}`, { key: load.orgKey });
      return { sentAt, status: res.status, retryAfter: res.retryAfter, ms: Date.now() - sentAt };
    } catch (error) {
      return { sentAt, status: (error as Error).message, retryAfter: null, ms: Date.now() - sentAt };
    }
  };
  while (!stop()) {
    asking.push(...system.procs.apis.map(ask));
    await sleep(1_000);
  }
  return Promise.all(asking);
}

/**
 * Scenario 3: the database (FerretDB and its PostgreSQL) stopped for 20 s and started again on its data
 * while 300 events start runs. Meanwhile the APIs answer 503 with Retry-After (never 500) and the
 * activities retry; afterwards everything completes.
 */
export const databaseOutage = scenario({
  id: 3,
  name: 'database-outage',
  eventName: 'fault.database',
  tags: ['handled'],
  skip: (ctx) => (ctx.stack.ownDatabase ? undefined : 'MONGODB_URI names a server we cannot stop'),
  body: (ctx, system) =>
    underLoad(ctx, system, async () => {
      const { load } = system;
      await until(() => load.accepted() >= 100);
      const caught = inFlight(load);
      let down = true;
      const probing = probe(system.api, system, load, () => !down);
      const outage = await ctx.stack.databaseOutage(DOWN_MS);
      down = false;
      system.faults.push({ start: outage.stoppedAt, end: outage.backAt });
      const answers = (await probing).filter((a) => a.sentAt >= outage.goneAt && a.sentAt < outage.startingAt);
      const statuses = new Map<string, number>();
      for (const a of answers) statuses.set(String(a.status), (statuses.get(String(a.status)) ?? 0) + 1);
      const unavailable = answers.filter((a) => a.status === 503);
      system.notes.push(
        `database stopped, started again on its data after ${DOWN_MS / 1000} s: ${describeOutage(outage)}, ` +
          `${caught} events in flight`,
        `a read sent to each API every second while it was down: ${[...statuses].map(([s, n]) => `${n} x ${s}`).join(', ')} ` +
          `(a 200: it waited for the database to come back); ` +
          `${unavailable.filter((a) => a.retryAfter !== null).length} of ${unavailable.length} 503s with Retry-After; ` +
          `slowest answer ${(Math.max(...answers.map((a) => a.ms)) / 1000).toFixed(1)} s`,
      );
      if (answers.some((a) => typeof a.status === 'number' && a.status >= 500 && a.status !== 503)) {
        system.failures.push('an API answered 5xx other than 503 while the database was down');
      }
      if (unavailable.length === 0) system.failures.push('no API answered 503 while the database was down');
      ctx.log(system.notes.slice(-2).join('; '));
    }),
});
