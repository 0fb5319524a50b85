import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig, requireServiceConfig } from '../src/config';
import { startServers, type ServersHandle } from '../scripts/dev/servers';
import { createLogger } from '../src/logger';
import { startApi } from '../src/runtime/api.runtime';
import { connectMongo, disconnectMongo } from '../src/runtime/mongo';
import { startWorker } from '../src/runtime/worker.runtime';
import type { RunState } from '../src/workflows/run.types';
import { gc, heapUsedMb, quantile, type BenchResult } from './measure';

/**
 * Events end to end, in one process: API (express) -> event stored -> trigger condition -> run
 * started on Temporal -> worker runs one `conversation.append-tags` activity -> MongoDB write (which
 * publishes its own `conversation.update` event). Servers are started on loopback for the run.
 */

export interface E2eOptions {
  /** Events in the concurrent phase (default 100). */
  events?: number;
  /** POSTs in flight at once in the concurrent phase (default 4). */
  concurrency?: number;
  /** Events posted one at a time, each awaited to completion (default 20). */
  serial?: number;
  /** Hard limit for the measured phases; setup is not counted (default 30 s). */
  timeoutMs?: number;
}

const EVENT_NAME = 'bench.ping';

function status(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Servers named by the environment are reused only when they are on this machine's loopback. */
function checkExternalServers(): void {
  const temporal = process.env.TEMPORAL_ADDRESS;
  if (temporal && !LOOPBACK.has(temporal.replace(/:\d+$/, ''))) {
    throw new Error(`TEMPORAL_ADDRESS ${temporal} is not loopback; the benchmark only talks to loopback`);
  }
  const mongo = process.env.MONGODB_URI;
  if (mongo && !LOOPBACK.has(new URL(mongo).hostname)) {
    throw new Error('MONGODB_URI is not loopback; the benchmark only talks to loopback');
  }
  // Without a local mongod, mongodb-memory-server would first look up its download host (not
  // loopback, and seconds of waiting): go straight to FerretDB, as the e2e tests end up doing.
  if (!process.env.MONGOMS_SYSTEM_BINARY) process.env.SWITCHBOARD_SKIP_MEMORY_SERVER ??= '1';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Sample {
  acceptedMs: number;
  completedMs: number;
  ok: boolean;
}

/** Latency percentiles in µs and ops/s for one phase, as a table row. */
function row(name: string, latenciesMs: number[], spanMs: number, heapDeltaMb: number, note?: string): BenchResult {
  const sorted = latenciesMs.map((ms) => ms * 1000).sort((a, b) => a - b);
  return {
    name,
    iterations: latenciesMs.length,
    opsPerSec: (latenciesMs.length * 1000) / spanMs,
    p50Us: quantile(sorted, 0.5),
    p99Us: quantile(sorted, 0.99),
    batch: 1,
    heapDeltaMb,
    note,
  };
}

export async function e2eBenchmarks(opts: E2eOptions = {}): Promise<BenchResult[]> {
  const events = opts.events ?? 100;
  const concurrency = opts.concurrency ?? 4;
  const serial = opts.serial ?? 20;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  checkExternalServers();

  const cleanup: (() => Promise<unknown>)[] = [];
  const setupStart = performance.now();
  try {
    status('starting Temporal and MongoDB-compatible servers, bundling the interpreter...');
    let servers: ServersHandle | undefined;
    const [serversResult, bundleResult] = await Promise.allSettled([
      startServers({ persistent: false, ui: false }).then((s) => (servers = s)),
      bundleWorkflowCode({
        workflowsPath: path.resolve(__dirname, '../src/workflows/index.ts'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
      }),
    ]);
    if (servers) {
      const started = servers;
      cleanup.push(() => started.stop());
    }
    if (serversResult.status === 'rejected') throw serversResult.reason;
    if (bundleResult.status === 'rejected') throw bundleResult.reason;
    const { temporal, mongo } = serversResult.value;
    const serversReadyMs = performance.now() - setupStart;

    const rootKey = `root-${randomBytes(12).toString('hex')}`;
    const config = requireServiceConfig(
      loadConfig({
        NODE_ENV: 'test',
        PORT: '0',
        ROOT_API_KEY: rootKey,
        MONGODB_URI: mongo.uri,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        TEMPORAL_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
        LOG_LEVEL: 'silent',
      }),
    );
    const logger = createLogger(config.logLevel, 'bench');
    await connectMongo(config.mongoUri);
    cleanup.push(() => disconnectMongo());
    const worker = await startWorker(config, logger, { workflowBundle: bundleResult.value });
    cleanup.push(() => worker.shutdown());
    const api = await startApi(config, logger);
    cleanup.push(() => api.close());
    const connection = await Connection.connect({ address: config.temporalAddress });
    cleanup.push(() => connection.close());
    const client = new Client({ connection, namespace: config.namespace });

    const call = async (method: string, url: string, key: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${api.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
      return JSON.parse(text) as unknown;
    };
    const org = (await call('POST', '/v1/orgs', rootKey, { name: 'bench' })) as { apiKey: string };
    const key = org.apiKey;
    const customer = (await call('POST', '/v1/customers', key, { name: 'Bench' })) as { id: string };
    const conversation = (await call('POST', '/v1/conversations', key, { customer: customer.id })) as { id: string };
    await call('POST', '/v1/workflows', key, {
      name: 'bench-tag',
      enabled: true,
      trigger: { eventName: EVENT_NAME, transitions: [{ target: 'tag', condition: { op: 'true', values: [true] } }] },
      steps: [
        { id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['bench'] } },
      ],
    });

    /** POSTs one event; returns its run id and how long the API took to accept it. */
    const post = async (n: number): Promise<{ runId: string; t0: number; acceptedMs: number }> => {
      const t0 = performance.now();
      const posted = (await call('POST', '/v1/events', key, {
        name: EVENT_NAME,
        data: { conversation: conversation.id, n },
      })) as { runs: { id: string }[] };
      const runId = posted.runs[0]?.id;
      if (runId === undefined) throw new Error(`event ${n} started no run: ${JSON.stringify(posted)}`);
      return { runId, t0, acceptedMs: performance.now() - t0 };
    };
    /** Waits for the run to close; the sample is timed from the POST. */
    const complete = async (p: { runId: string; t0: number; acceptedMs: number }): Promise<Sample> => {
      let ok: boolean;
      try {
        const state = (await client.workflow.getHandle(p.runId).result()) as RunState;
        ok = state.steps.every((s) => s.status === 'completed');
      } catch {
        ok = false;
      }
      return { acceptedMs: p.acceptedMs, completedMs: performance.now() - p.t0, ok };
    };
    const fire = async (n: number): Promise<Sample> => complete(await post(n));

    status('warming up (5 events)...');
    for (let i = 0; i < 5; i++) await fire(-1 - i);
    const setupMs = performance.now() - setupStart;

    const results: BenchResult[] = [];
    const failures = (samples: Sample[]): string => {
      const failed = samples.filter((s) => !s.ok).length;
      return failed === 0 ? '' : `; ${failed} runs did not complete cleanly`;
    };

    // Unloaded latency: one event at a time.
    status(`serial: ${serial} events, each awaited to run completion...`);
    gc?.();
    let heapBefore = heapUsedMb();
    let start = performance.now();
    const serialSamples = await withTimeout(
      (async () => {
        const samples: Sample[] = [];
        for (let i = 0; i < serial; i++) samples.push(await fire(i));
        return samples;
      })(),
      timeoutMs,
      'serial phase',
    );
    let span = performance.now() - start;
    let heapDelta = heapUsedMb() - heapBefore;
    results.push(
      row(
        'e2e serial: POST /v1/events -> 202',
        serialSamples.map((s) => s.acceptedMs),
        span,
        heapDelta,
        `ops/s = events / wall time including waiting for each run; ${temporal.kind} Temporal, ${mongo.kind} ` +
          `(setup ${(setupMs / 1000).toFixed(1)} s, servers + bundle ${(serversReadyMs / 1000).toFixed(1)} s)` +
          failures(serialSamples),
      ),
      row(
        'e2e serial: POST -> run completed',
        serialSamples.map((s) => s.completedMs),
        span,
        heapDelta,
      ),
    );

    // Throughput: `concurrency` posters, each POSTs its next event as soon as the previous one is
    // accepted; every run's completion is awaited in the background and timed from its POST.
    status(`concurrent: ${events} events, ${concurrency} POSTs in flight...`);
    gc?.();
    heapBefore = heapUsedMb();
    start = performance.now();
    let next = 0;
    let lastAccepted = start;
    const completions: Promise<Sample>[] = [];
    const poster = async (): Promise<void> => {
      while (next < events) {
        const posted = await post(1000 + next++);
        lastAccepted = performance.now();
        completions.push(complete(posted));
      }
    };
    const concurrentSamples = await withTimeout(
      Promise.all(Array.from({ length: concurrency }, poster)).then(() => Promise.all(completions)),
      timeoutMs,
      'concurrent phase',
    );
    span = performance.now() - start;
    heapDelta = heapUsedMb() - heapBefore;
    results.push(
      row(
        `e2e ${concurrency} concurrent: POST /v1/events -> 202`,
        concurrentSamples.map((s) => s.acceptedMs),
        lastAccepted - start,
        heapDelta,
        `ops/s = accepted events / time to the last 202; runs keep completing after that` + failures(concurrentSamples),
      ),
      row(
        `e2e ${concurrency} concurrent: POST -> run completed`,
        concurrentSamples.map((s) => s.completedMs),
        span,
        heapDelta,
      ),
    );
    return results;
  } finally {
    status('stopping...');
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        status(`cleanup: ${(error as Error).message}`);
      }
    }
  }
}
