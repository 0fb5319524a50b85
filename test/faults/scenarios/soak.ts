import { sleep } from '../../../scripts/dev/process-utils';
import { sendEvents } from '../load';
import { descendants, pssMb, rssMb } from '../procs';
import { inFlight, scenario, type System } from '../scenario';

const SAMPLE_MS = 5_000;
const KILL_EVERY_MS = 60_000;

interface Series {
  label: string;
  samples: { at: number; mb: number }[];
}

/** Resident memory of every process: our four (each incarnation apart) and the servers'. */
function sample(system: System, series: Map<string, Series>, at: number): void {
  const add = (label: string, mb: number | undefined): void => {
    if (mb === undefined) return;
    const s = series.get(label) ?? { label, samples: [] };
    s.samples.push({ at, mb });
    series.set(label, s);
  };
  for (const p of system.procs.all()) {
    const pid = p.pid();
    if (pid !== undefined) add(p.starts > 1 ? `${p.name} (start ${p.starts})` : p.name, rssMb(pid));
  }
  const servers = descendants(process.pid);
  for (const comm of ['temporal', 'ferretdb']) {
    for (const p of servers.filter((s) => s.comm === comm)) add(comm, rssMb(p.pid));
  }
  const postgres = servers.filter((s) => s.comm === 'postgres');
  // PostgreSQL is a process per connection: the sum of their proportional shares (their RSS would count
  // the shared buffers once per process).
  add('postgres (all processes, PSS summed)', postgres.reduce((sum, p) => sum + (pssMb(p.pid) ?? 0), 0) || undefined);
}

/** Least-squares slope in MB per minute, over the samples after the first minute (start-up and warm-up). */
function slope(samples: { at: number; mb: number }[]): number | undefined {
  const t0 = samples[0]?.at ?? 0;
  const points = samples.filter((s) => s.at - t0 >= 60_000).map((s) => ({ x: (s.at - t0) / 60_000, y: s.mb }));
  if (points.length < 12) return undefined;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function describe(series: Series): string {
  const mbs = series.samples.map((s) => s.mb);
  const minutes = (series.samples.at(-1)!.at - series.samples[0]!.at) / 60_000;
  const trend = slope(series.samples);
  return (
    `${series.label}: ${mbs[0]!.toFixed(0)} / ${mbs.at(-1)!.toFixed(0)} / ${Math.max(...mbs).toFixed(0)} MB ` +
    `over ${minutes.toFixed(1)} min` +
    (trend === undefined
      ? ''
      : `, trend after the first minute ${trend >= 0 ? '+' : ''}${trend.toFixed(1)} MB/min (${trend > 1 ? 'grows' : 'no growth'})`)
  );
}

/**
 * Scenario 6: a soak of `--soak-seconds` (5 minutes by default) at 50 concurrent senders, worker A
 * killed (SIGKILL) every minute and started again at once. The resident memory of every process is
 * sampled every 5 s and reported as first / last / max, with its trend after the first minute.
 */
export const soak = scenario({
  id: 6,
  name: 'soak',
  eventName: 'fault.soak',
  tags: ['handled'],
  async body(ctx, system) {
    const { load, procs } = system;
    const durationMs = ctx.options.soakSeconds * 1000;
    const series = new Map<string, Series>();
    let sending = true;
    const sampler = (async () => {
      while (sending) {
        sample(system, series, Date.now());
        await sleep(SAMPLE_MS);
      }
    })();
    const soakStart = Date.now();
    const done = sendEvents(load, system.api, ctx.stack.client, {
      senders: 50,
      count: Number.MAX_SAFE_INTEGER,
      durationMs,
      waitForRuns: true,
      runTimeoutMs: 240_000,
    }).finally(() => (sending = false));
    const kills = async (): Promise<void> => {
      const worker = procs.workers[0]!;
      for (let n = 1; soakStart + n * KILL_EVERY_MS < soakStart + durationMs; n++) {
        await sleep(soakStart + n * KILL_EVERY_MS - Date.now());
        if (!sending) return;
        const caught = inFlight(load);
        const at = Date.now();
        await worker.kill();
        system.faults.push({ start: at, end: at });
        await worker.start();
        ctx.log(
          `soak: ${worker.name} killed at ${((at - soakStart) / 1000).toFixed(0)} s with ${caught} events in flight`,
        );
      }
    };
    await Promise.all([done, kills(), sampler]);
    const lastDone = Math.max(...load.events.map((e) => e.completedAt ?? 0));
    const seconds = (lastDone - soakStart) / 1000;
    system.notes.push(
      `${load.events.length} events sent over ${ctx.options.soakSeconds} s by 50 senders, the last completed at ` +
        `${seconds.toFixed(0)} s (${(load.completed() / seconds).toFixed(1)} runs/s); ` +
        `${system.faults.length} kills of ${procs.workers[0]!.name}`,
      'memory (RSS; PostgreSQL: PSS) first / last / max, sampled every 5 s:',
      ...[...series.values()].sort((a, b) => a.label.localeCompare(b.label)).map((s) => `  ${describe(s)}`),
    );
  },
});
