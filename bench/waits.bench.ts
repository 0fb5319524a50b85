/**
 * `npm run bench -- --waits`: what runs waiting on timers cost (README "Performance", "Waiting runs").
 * On the servers `npm run dev` uses (the Temporal dev server on a SQLite file, FerretDB), in a temp
 * directory: one API (`npm run api`) and one worker alone in its process (bench/waits/worker.child.ts,
 * the real workflows and activities). Through the API it starts N runs that wait in a `delay` of P2D and
 * N that wait in a `wait-for-event` (timeout P2D), and measures the worker's memory (RSS, heap after a
 * full collection, runs in its cache) before, with them all waiting, and after eviction (the worker
 * started again: the SDK evicts only when its cache is full, least recently used first, or when the
 * worker goes), the Temporal server's RSS and SQLite file, the database's size, and how long starting
 * them took. Then it ends a few of the event waits with events, which replays them on the new worker.
 * Reported, never asserted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { freePort, sleep } from '../scripts/dev/process-utils';
import { ApiClient } from '../test/faults/client';
import { descendants, rssMb } from '../test/faults/procs';
import { Service } from '../test/faults/services';
import { closedLoop } from './load/pool';
import { startBenchServers, type BenchServers } from './load/servers';
import { quantile } from './measure';
import type { WorkerMemory, WorkerMessage } from './waits/protocol';

export interface WaitsOptions {
  /** Runs of each kind (default 1,000). */
  runs: number;
  /** WORKER_MAX_CACHED_WORKFLOWS for the worker (default: unset, the SDK's). */
  maxCached?: number;
  log(message: string): void;
}

interface Snapshot {
  label: string;
  worker: WorkerMemory;
  temporalRssMb: number | undefined;
  temporalSqliteMb: number;
  database: { dataMb: number; storageMb: number; waits: number; events: number; waitBytes?: number };
}

export interface WaitsResult {
  runs: number;
  servers: string;
  start: { kind: string; seconds: number; perSecond: number; p50Ms: number; p99Ms: number }[];
  settledSeconds: number;
  snapshots: Snapshot[];
  woken: { count: number; seconds: number } | undefined;
  sampleWaiting: string[];
}

const MB = 1024 * 1024;
const SENDERS = 20;

function definitions(): { delay: unknown; event: unknown } {
  const always = { op: 'true', values: [true] };
  return {
    delay: {
      name: 'bench waits: delay',
      enabled: true,
      trigger: { eventName: 'bench.waits.delay', transitions: [{ target: 'wait', condition: always }] },
      steps: [{ id: 'wait', action: 'delay', params: { duration: 'P2D' } }],
    },
    event: {
      name: 'bench waits: wait-for-event',
      enabled: true,
      trigger: { eventName: 'bench.waits.event', transitions: [{ target: 'wait', condition: always }] },
      steps: [{ id: 'wait', action: 'wait-for-event', params: { eventName: 'bench.waits.reply', timeout: 'P2D' } }],
    },
  };
}

/** The worker process, with --expose-gc; `measure` asks for its memory over IPC. */
class WorkerProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(env: Record<string, string>, logFile: string): Promise<WorkerProcess> {
    const out = fs.openSync(logFile, 'a');
    const child = fork(path.join(__dirname, 'waits', 'worker.child.ts'), [], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', out, out, 'ipc'],
    });
    fs.closeSync(out);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: WorkerMessage) =>
        m.type === 'ready' ? resolve() : reject(new Error(m.type === 'failed' ? m.message : 'unexpected message')),
      );
      void exited.then(() => reject(new Error(`the worker exited during start-up; see ${logFile}`)));
    });
    return new WorkerProcess(child, exited);
  }

  measure(): Promise<WorkerMemory> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the worker did not answer `measure`')), 30_000);
      const onMessage = (m: WorkerMessage): void => {
        if (m.type !== 'memory') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m.memory);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'measure' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const inTime = await Promise.race([this.exited.then(() => true), sleep(20_000).then(() => false)]);
    if (!inTime) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Bytes of the files under `dir` whose name starts with `prefix` (the SQLite file and its WAL). */
function filesMb(dir: string | undefined, prefix: string): number {
  if (!dir) return Number.NaN;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.startsWith(prefix)) bytes += fs.statSync(p).size;
    }
  };
  walk(dir);
  return bytes / MB;
}

const temporalRss = (): number | undefined => {
  const server = descendants(process.pid).find((p) => p.comm === 'temporal');
  return server ? rssMb(server.pid) : undefined;
};

export async function runWaitsBenchmark(opts: WaitsOptions): Promise<WaitsResult> {
  const { log } = opts;
  const servers: BenchServers = await startBenchServers('persistent');
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-waits-'));
  const uri = new URL(servers.mongoUri);
  uri.pathname = '/bench_waits';
  const rootKey = `root-${randomBytes(12).toString('hex')}`;
  // Production processes need a secrets key; every API and worker of the stack shares this one.
  const secretsKey = randomBytes(32).toString('base64');
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    ROOT_API_KEY: rootKey,
    SECRETS_KEY: secretsKey,
    MONGODB_URI: uri.toString(),
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_NAMESPACE: servers.namespace,
    TEMPORAL_TASK_QUEUE: `bench-waits-${randomBytes(3).toString('hex')}`,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...(opts.maxCached === undefined ? {} : { WORKER_MAX_CACHED_WORKFLOWS: String(opts.maxCached) }),
  };
  const api = new Service('waits-api', 'api', env, logDir, async () => false, await freePort());
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const client = new Client({ connection, namespace: servers.namespace });
  const db = await mongoose.createConnection(uri.toString()).asPromise();
  let worker: WorkerProcess | undefined;
  try {
    log(`waits: servers up (${servers.how}); starting the API and the worker...`);
    [worker] = await Promise.all([WorkerProcess.start(env, path.join(logDir, 'worker.1.log')), api.start()]);
    const http = new ApiClient([api]);

    const org = await http.call('POST', '/v1/orgs', { key: rootKey, body: { name: 'bench waits' } });
    const key = String(org.body.apiKey);
    const orgId = String(org.body.id);
    const defs = definitions();
    for (const def of [defs.delay, defs.event]) await http.call('POST', '/v1/workflows', { key, body: def });

    const snapshot = async (label: string, current: WorkerProcess): Promise<Snapshot> => {
      const stats = (await db.db!.command({ dbStats: 1 })) as { dataSize?: number; storageSize?: number };
      // A waits document's average size (collStats), where the database tells it.
      const waitStats = (await db.db!.command({ collStats: 'waits' }).catch(() => ({}))) as { avgObjSize?: number };
      const snap: Snapshot = {
        label,
        worker: await current.measure(),
        temporalRssMb: temporalRss(),
        temporalSqliteMb: filesMb(servers.dataDir, 'temporal.sqlite'),
        database: {
          dataMb: (stats.dataSize ?? Number.NaN) / MB,
          storageMb: (stats.storageSize ?? Number.NaN) / MB,
          waits: await db.collection('waits').countDocuments(),
          events: await db.collection('events').countDocuments(),
          waitBytes: waitStats.avgObjSize,
        },
      };
      log(`waits: ${label}: ${describe(snap)}`);
      return snap;
    };
    // Let the worker settle (bundling, first polls) before the baseline.
    await sleep(5_000);
    const snapshots = [await snapshot('before', worker)];

    const runIds = { delay: [] as string[], event: [] as string[] };
    const start: WaitsResult['start'] = [];
    for (const kind of ['delay', 'event'] as const) {
      const t0 = performance.now();
      const phase = await closedLoop({
        senders: SENDERS,
        count: opts.runs,
        deadlineMs: 600_000,
        op: async (i) => {
          const answer = await http.call('POST', '/v1/events', {
            key,
            headers: { 'idempotency-key': `waits-${kind}-${i}` },
            body: { name: `bench.waits.${kind}`, data: { id: `rec-${kind}-${i}` } },
          });
          runIds[kind][i] = String((answer.body.runs as { id: string }[])[0]?.id);
          return { kind: 'ok' };
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const ms = phase.samples.map((s) => s.ms).sort((a, b) => a - b);
      start.push({
        kind: kind === 'delay' ? 'delay P2D' : 'wait-for-event',
        seconds,
        perSecond: phase.samples.length / seconds,
        p50Ms: quantile(ms, 0.5),
        p99Ms: quantile(ms, 0.99),
      });
      log(`waits: ${opts.runs} ${kind} runs started in ${seconds.toFixed(1)} s`);
    }

    // Every run has reached its wait: no activation in flight, every event wait registered, all still open.
    const settleFrom = performance.now();
    const open = () => client.workflow.count(`SwitchboardOrg = "${orgId}" AND ExecutionStatus = "Running"`);
    for (const deadline = Date.now() + 300_000; ;) {
      const [memory, waits, running] = await Promise.all([
        worker.measure(),
        db.collection('waits').countDocuments(),
        open(),
      ]);
      if (memory.activationsInFlight === 0 && waits >= opts.runs && running.count >= 2 * opts.runs) break;
      if (Date.now() > deadline)
        throw new Error(`runs not all waiting after 5 min: ${waits} waits, ${running.count} open`);
      await sleep(1_000);
    }
    const settledSeconds = (performance.now() - settleFrom) / 1000;
    await sleep(5_000);
    snapshots.push(await snapshot(`${2 * opts.runs} waiting`, worker));

    log('waits: starting the worker again (its cache goes with it)...');
    await worker.stop();
    worker = await WorkerProcess.start(env, path.join(logDir, 'worker.2.log'));
    await sleep(5_000);
    snapshots.push(await snapshot(`${2 * opts.runs} waiting, evicted (new worker)`, worker));

    // An evicted run still wakes: end a few event waits; each is replayed on the new worker.
    const wake = Math.min(100, opts.runs);
    const t0 = performance.now();
    await closedLoop({
      senders: SENDERS,
      count: wake,
      deadlineMs: 300_000,
      op: async (i) => {
        await http.call('POST', '/v1/events', {
          key,
          headers: { 'idempotency-key': `waits-reply-${i}` },
          body: { name: 'bench.waits.reply', data: { id: `rec-event-${i}` } },
        });
        return { kind: 'ok' };
      },
    });
    let woken: WaitsResult['woken'];
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
      if ((await open()).count <= 2 * opts.runs - wake) {
        woken = { count: wake, seconds: (performance.now() - t0) / 1000 };
        break;
      }
    }
    snapshots.push(await snapshot(`after ${wake} event waits ended`, worker));

    // What GET /v1/runs/:id says of a waiting run (a query: it brings the run back into the cache).
    const sampleWaiting: string[] = [];
    for (const id of [runIds.delay[0], runIds.event[opts.runs - 1]]) {
      if (!id) continue;
      const run = await http.call('GET', `/v1/runs/${encodeURIComponent(id)}`, { key });
      sampleWaiting.push(JSON.stringify(run.body.waiting));
    }
    return {
      runs: opts.runs,
      servers: `Temporal ${servers.temporalKind} ${servers.temporalVersion}, ${servers.mongoKind} ${servers.ferretdbVersion} (${servers.backend})`,
      start,
      settledSeconds,
      snapshots,
      woken,
      sampleWaiting,
    };
  } finally {
    await worker?.stop().catch(() => undefined);
    await api.terminate().catch(() => undefined);
    await db.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await servers.stop();
    log(`waits: logs in ${logDir}`);
  }
}

const mb = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '?' : n.toFixed(1));

function describe(s: Snapshot): string {
  const w = s.worker;
  return (
    `worker RSS ${mb(w.rssMb)} MB, heap ${mb(w.heapUsedMb)} MB used / ${mb(w.heapTotalMb)} MB, ${w.cachedRuns} runs cached ` +
    `(of ${w.maxCachedWorkflows}); Temporal RSS ${mb(s.temporalRssMb)} MB, SQLite ${mb(s.temporalSqliteMb)} MB; ` +
    `database ${mb(s.database.dataMb)} MB data / ${mb(s.database.storageMb)} MB storage, ${s.database.waits} waits, ` +
    `${s.database.events} events${s.database.waitBytes ? `, ${s.database.waitBytes.toFixed(0)} bytes per waits document` : ''}`
  );
}

/** The report: a table of the snapshots and the start-up figures. */
export function formatWaits(r: WaitsResult): string {
  const head = [
    'moment',
    'worker RSS (MB)',
    'worker heap used (MB)',
    'runs cached',
    'Temporal RSS (MB)',
    'Temporal SQLite (MB)',
    'database data / storage (MB)',
    'waits docs',
  ];
  const rows = r.snapshots.map((s) => [
    s.label,
    mb(s.worker.rssMb),
    mb(s.worker.heapUsedMb),
    `${s.worker.cachedRuns} / ${s.worker.maxCachedWorkflows}`,
    mb(s.temporalRssMb),
    mb(s.temporalSqliteMb),
    `${mb(s.database.dataMb)} / ${mb(s.database.storageMb)}`,
    String(s.database.waits),
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
  const starts = r.start.map(
    (s) =>
      `${r.runs} ${s.kind} runs started in ${s.seconds.toFixed(1)} s (${s.perSecond.toFixed(0)}/s at ${SENDERS} senders; ` +
      `POST /v1/events p50 ${s.p50Ms.toFixed(0)} ms, p99 ${s.p99Ms.toFixed(0)} ms)`,
  );
  return [
    `Waiting runs (${r.servers}):`,
    table,
    ...starts,
    `all ${2 * r.runs} waiting ${r.settledSeconds.toFixed(1)} s after the last start`,
    r.woken
      ? `${r.woken.count} evicted event waits ended by events: all completed ${r.woken.seconds.toFixed(1)} s after the first was sent`
      : 'the evicted event waits ended by events did not all complete in 2 min',
    `GET /v1/runs/:id of a waiting run, its waiting: ${r.sampleWaiting.join(', ')}`,
  ].join('\n');
}
