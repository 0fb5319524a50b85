import { randomBytes } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import type { RunState } from '../../src/workflows/run.types';
import { baseline, type BaselineInput } from '../workflows/baseline.workflow';
import { floor, type FloorInput } from '../workflows/floor.workflow';
import { closedLoop, stats, withTimeout, type Outcome, type PhaseResult } from './pool';
import { NOOP_QUEUE_SUFFIX, type ChildMessage } from './protocol';
import { insertConversations, loadRecords, type LoadResult } from './records';
import { startBenchServers, type BenchServers, type ConfigName } from './servers';

/**
 * The load benchmark of one configuration (README "Performance"). The system under test (API + worker, as
 * `npm run dev` runs them) is a child process; this process is the load generator. The workload is
 * a 3-step workflow `conversation.find-by-id` -> `conversation.append-tags` -> `note.create`, each
 * event on its own conversation, run three ways: `floor` (3 no-op activities, started on Temporal),
 * `baseline` (the 3 real activities hand-written, started on Temporal) and `interpreter` (the same 3
 * steps as a user workflow, started by `POST /v1/events`). Then ingestion at fixed request rates,
 * then growth: the same measured again after loading N records of each kind.
 */

export interface LoadOptions {
  quick: boolean;
  records: number;
  /** The bundled bench workflows (interpreter + floor + baseline), written once per process. */
  bundleFile: string;
  log(message: string): void;
}

export type PhaseId =
  | 'floor'
  | 'floor-local'
  | 'baseline'
  | 'baseline-remote'
  | 'interpreter'
  | 'interpreter-grown'
  | 'ingestion'
  | 'events-empty'
  | 'events-grown'
  | 'customers-empty'
  | 'customers-grown';

export interface Row {
  phase: PhaseId;
  scenario: string;
  senders: number;
  /** Events attempted (sent) in the measured phase. */
  events: number;
  completed: number;
  runsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  lost: number;
  /** The phase hit its deadline and did not send everything. */
  timedOut?: boolean;
  note?: string;
  reasons?: Record<string, number>;
}

export interface ServersInfo {
  how: string;
  temporal: string;
  database: string;
  backend: string;
  temporalVersion: string;
  ferretdbVersion: string;
}

export interface ConfigResult {
  config: ConfigName;
  servers?: ServersInfo;
  setupMs?: number;
  totalMs: number;
  rows: Row[];
  /** At 10 senders (`at1Sender`: the same at 1 sender). NaN where a phase did not run. */
  ratios: {
    interpreterVsBaselineThroughput: number;
    interpreterVsBaselineP50: number;
    /** Against the floor of the same kind of activity (local, as the interpreter runs CRM actions). */
    baselineVsFloorThroughput: number;
    /** Against the floor of regular activities (the floor). */
    baselineVsRegularFloorThroughput: number;
    /** The local-activity lever: baseline with local activities / with regular ones, runs/s. */
    localVsRegularActivitiesThroughput: number;
    at1Sender: { interpreterVsBaselineP50: number; baselineVsFloorP50: number; localVsRegularActivitiesP50: number };
  };
  ingestion: { p99MsAt200rps: number };
  growth: {
    load?: LoadResult;
    /** After / before (empty database), p50 latency. */
    p50Ratio: { events: number; customers: number; interpreter1: number; interpreter10: number };
  };
  /** Non-2xx answers and refused starts, over every phase. */
  errors: number;
  /** Events answered 202 (or runs started) without a completed run, over every phase. */
  lost: number;
  /** Why the configuration stopped early, when it did: the rows before that are still reported. */
  failure?: string;
}

/** The ratios and totals of a configuration, from whatever rows it has. */
export function summarize(
  rows: readonly Row[],
): Pick<ConfigResult, 'ratios' | 'ingestion' | 'growth' | 'errors' | 'lost'> {
  const find = (phase: PhaseId, senders?: number, scenario?: string): Row | undefined =>
    rows.find(
      (r) =>
        r.phase === phase &&
        (senders === undefined || r.senders === senders) &&
        (scenario === undefined || r.scenario === scenario),
    );
  const ratio = (a: number | undefined, b: number | undefined): number =>
    a === undefined || b === undefined ? Number.NaN : a / b;
  return {
    ratios: {
      interpreterVsBaselineThroughput: ratio(find('interpreter', 10)?.runsPerSec, find('baseline', 10)?.runsPerSec),
      interpreterVsBaselineP50: ratio(find('interpreter', 10)?.p50Ms, find('baseline', 10)?.p50Ms),
      baselineVsFloorThroughput: ratio(find('baseline', 10)?.runsPerSec, find('floor-local', 10)?.runsPerSec),
      baselineVsRegularFloorThroughput: ratio(find('baseline', 10)?.runsPerSec, find('floor', 10)?.runsPerSec),
      localVsRegularActivitiesThroughput: ratio(
        find('baseline', 10)?.runsPerSec,
        find('baseline-remote', 10)?.runsPerSec,
      ),
      at1Sender: {
        interpreterVsBaselineP50: ratio(find('interpreter', 1)?.p50Ms, find('baseline', 1)?.p50Ms),
        baselineVsFloorP50: ratio(find('baseline', 1)?.p50Ms, find('floor-local', 1)?.p50Ms),
        localVsRegularActivitiesP50: ratio(find('baseline', 1)?.p50Ms, find('baseline-remote', 1)?.p50Ms),
      },
    },
    ingestion: { p99MsAt200rps: find('ingestion', undefined, 'ingestion 200/s')?.p99Ms ?? Number.NaN },
    growth: {
      p50Ratio: {
        events: ratio(find('events-grown')?.p50Ms, find('events-empty')?.p50Ms),
        customers: ratio(find('customers-grown')?.p50Ms, find('customers-empty')?.p50Ms),
        interpreter1: ratio(find('interpreter-grown', 1)?.p50Ms, find('interpreter', 1)?.p50Ms),
        interpreter10: ratio(find('interpreter-grown', 10)?.p50Ms, find('interpreter', 10)?.p50Ms),
      },
    },
    errors: rows.reduce((sum, r) => sum + r.errors, 0),
    lost: rows.reduce((sum, r) => sum + r.lost, 0),
  };
}

const EVENT_NAME = 'bench.tag';
const NO_LISTENER_EVENT = 'bench.nobody-listens';

interface Sizes {
  warmup: number;
  serial: number;
  at10: number;
  at50: number;
  httpSerial: number;
  ingestSeconds: number;
  phaseDeadlineMs: number;
  runTimeoutMs: number;
}

function sizes(quick: boolean): Sizes {
  return quick
    ? {
        warmup: 3,
        serial: 15,
        at10: 50,
        at50: 100,
        httpSerial: 30,
        ingestSeconds: 3,
        phaseDeadlineMs: 30_000,
        runTimeoutMs: 45_000,
      }
    : {
        warmup: 5,
        serial: 50,
        at10: 200,
        at50: 250,
        httpSerial: 100,
        ingestSeconds: 5,
        phaseDeadlineMs: 120_000,
        runTimeoutMs: 120_000,
      };
}

/** The child process: API + worker in one Node process, as dev.ts runs them. */
async function startApp(
  servers: BenchServers,
  env: Record<string, string>,
  logFile: string,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const out = fs.openSync(logFile, 'a');
  const child = fork(path.join(__dirname, 'app.child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: '0',
      MONGODB_URI: servers.mongoUri,
      TEMPORAL_ADDRESS: servers.temporalAddress,
      TEMPORAL_NAMESPACE: servers.namespace,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', out, out, 'ipc'],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    const url = await withTimeout(
      new Promise<string>((resolve, reject) => {
        child.on('message', (message: ChildMessage) => {
          if (message.type === 'ready') resolve(message.url);
          else reject(new Error(`the API/worker process failed to start:\n${message.message}`));
        });
        void exited.then(() => reject(new Error(`the API/worker process exited during start-up; see ${logFile}`)));
      }),
      120_000,
      'API/worker start-up',
    );
    return { url, child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function row(id: PhaseId, scenario: string, senders: number, phase: PhaseResult, note?: string): Row {
  const s = stats(phase);
  return {
    phase: id,
    scenario,
    senders,
    events: s.count,
    completed: s.ok,
    runsPerSec: s.perSec,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    errors: s.errors,
    lost: s.lost,
    ...(phase.timedOut ? { timedOut: true } : {}),
    ...(note ? { note } : {}),
    ...(Object.keys(s.reasons).length > 0 ? { reasons: s.reasons } : {}),
  };
}

export async function runConfiguration(config: ConfigName, opts: LoadOptions): Promise<ConfigResult> {
  const size = sizes(opts.quick);
  const log = (message: string): void => opts.log(`[${config}] ${message}`);
  const cleanup: { name: string; run: () => Promise<unknown> }[] = [];
  const begun = performance.now();
  const rows: Row[] = [];
  let servers: ServersInfo | undefined;
  let setupMs: number | undefined;
  let load: LoadResult | undefined;
  let failure: string | undefined;
  try {
    log('starting Temporal and the database...');
    const started = await startBenchServers(config);
    cleanup.push({ name: 'servers', run: () => started.stop() });
    servers = {
      how: started.how,
      temporal: started.temporalKind,
      database: started.mongoKind,
      backend: started.backend,
      temporalVersion: started.temporalVersion,
      ferretdbVersion: started.ferretdbVersion,
    };
    log(`servers: ${started.how}; Temporal ${started.temporalKind} ${started.temporalVersion}, ${started.mongoKind}`);

    const rootKey = `root-${randomBytes(16).toString('hex')}`;
    const runTag = randomBytes(3).toString('hex');
    const taskQueue = `bench-${runTag}`;
    const logFile = path.join(os.tmpdir(), `switchboard-bench-${config}-${process.pid}.log`);
    log(`starting the API and the worker in a child process (its logs: ${logFile})...`);
    const app = await startApp(
      started,
      { ROOT_API_KEY: rootKey, TEMPORAL_TASK_QUEUE: taskQueue, BENCH_WORKFLOW_BUNDLE: opts.bundleFile },
      logFile,
    );
    cleanup.push({ name: 'API/worker process', run: () => app.stop() });

    await connectMongo(started.mongoUri);
    cleanup.push({ name: 'database connection', run: () => disconnectMongo() });
    const connection = await Connection.connect({ address: started.temporalAddress });
    cleanup.push({ name: 'Temporal connection', run: () => connection.close() });
    const client = new Client({ connection, namespace: started.namespace });
    const retry = loadConfig({}).retry;

    const call = async (method: string, url: string, key: string, body?: unknown): Promise<Response> =>
      fetch(`${app.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const callOk = async <T>(method: string, url: string, key: string, body?: unknown): Promise<T> => {
      const res = await call(method, url, key, body);
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    };
    const org = await callOk<{ id: string; apiKey: string }>('POST', '/v1/orgs', rootKey, { name: `bench ${config}` });
    const key = org.apiKey;
    const always = { op: 'true', values: [true] };
    await callOk('POST', '/v1/workflows', key, {
      name: 'bench-find-tag-note',
      enabled: true,
      trigger: { eventName: EVENT_NAME, transitions: [{ target: 'find', condition: always }] },
      steps: [
        {
          id: 'find',
          action: 'conversation.find-by-id',
          params: { id: '/#steps.1.conversation' },
          transitions: [{ target: 'tag', condition: always }],
        },
        {
          id: 'tag',
          action: 'conversation.append-tags',
          params: { id: '/#steps.1.conversation', tags: ['bench'] },
          transitions: [{ target: 'note', condition: always }],
        },
        {
          id: 'note',
          action: 'note.create',
          params: { conversation: '/#steps.1.conversation', body: 'Tagged by the bench.' },
        },
      ],
    });
    setupMs = performance.now() - begun;
    log(`ready after ${(setupMs / 1000).toFixed(1)} s (API ${app.url})`);

    /** Waits for a run and judges it: completed with every step completed, or lost (and why). */
    const awaitRun = async (temporalWorkflowId: string): Promise<Outcome> => {
      try {
        const handle = client.workflow.getHandle(temporalWorkflowId);
        const result: unknown = await withTimeout(handle.result(), size.runTimeoutMs, 'run');
        const steps = (result as Partial<RunState> | null)?.steps;
        if (steps && !steps.every((s) => s.status === 'completed')) {
          return { kind: 'lost', reason: 'run completed with a failed step' };
        }
        return { kind: 'ok' };
      } catch (error) {
        const message = (error as Error).message;
        return { kind: 'lost', reason: message.includes('no answer within') ? 'not completed in time' : 'run failed' };
      }
    };
    const onTemporal =
      <W extends typeof floor | typeof baseline>(workflow: W, args: (i: number) => Parameters<W>, tag: string) =>
      async (i: number): Promise<Outcome> => {
        let workflowId: string;
        try {
          // The workflow by reference (its type is the function's name), as the API starts the interpreter.
          const handle = await client.workflow.start(workflow, {
            taskQueue,
            workflowId: `bench-${workflow.name}-${runTag}-${tag}-${i}`,
            args: args(i),
          });
          workflowId = handle.workflowId;
        } catch (error) {
          return { kind: 'error', reason: `start failed: ${(error as Error).message.slice(0, 120)}` };
        }
        return awaitRun(workflowId);
      };
    const viaEvents =
      (conversations: string[]) =>
      async (i: number): Promise<Outcome> => {
        let res: Response;
        try {
          res = await call('POST', '/v1/events', key, { name: EVENT_NAME, data: { conversation: conversations[i] } });
        } catch (error) {
          return { kind: 'error', reason: `request failed: ${(error as Error).message}` };
        }
        const text = await res.text();
        if (res.status < 200 || res.status >= 300) return { kind: 'error', reason: `HTTP ${res.status}` };
        const run = (JSON.parse(text) as { runs: { id: string }[] }).runs[0]?.id;
        if (run === undefined) return { kind: 'lost', reason: 'the event started no run' };
        return awaitRun(run);
      };
    /**
     * Runs a phase gave up waiting for (lost: not completed in time) may still be retrying their
     * activities: let them finish first, so that one phase's backlog is not measured in the next.
     */
    const drain = async (): Promise<void> => {
      const deadline = performance.now() + size.runTimeoutMs;
      let waited = false;
      while (performance.now() < deadline) {
        const { count } = await client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`);
        if (count === 0) break;
        if (!waited) log(`waiting for ${count} runs of the previous phase to finish...`);
        waited = true;
        await sleep(1_000);
      }
    };
    /** A few serial runs first (not measured), then the measured phase. */
    const phase = async (
      id: PhaseId,
      scenario: string,
      senders: number,
      count: number,
      op: (i: number) => Promise<Outcome>,
      note?: string,
    ): Promise<Row> => {
      await drain();
      // Warm-up: a few serial runs, not measured, bounded like everything else.
      await closedLoop({
        senders: 1,
        count: size.warmup,
        deadlineMs: size.phaseDeadlineMs / 4,
        op: (i) => op(count + i),
      });
      log(`${scenario}: ${count} events, ${senders} sender${senders === 1 ? '' : 's'}...`);
      const measured = await closedLoop({ senders, count, deadlineMs: size.phaseDeadlineMs, op });
      const result = row(id, scenario, senders, measured, note);
      rows.push(result);
      log(
        `  ${result.runsPerSec.toFixed(1)}/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ` +
          `${result.errors} errors, ${result.lost} lost${result.timedOut ? ' (deadline hit)' : ''}`,
      );
      return result;
    };
    const serialPost = async (
      id: PhaseId,
      scenario: string,
      makeRequest: (i: number) => { url: string; body: unknown },
      note: string,
    ): Promise<Row> =>
      phase(
        id,
        scenario,
        1,
        size.httpSerial,
        async (i) => {
          const { url, body } = makeRequest(i);
          const res = await call('POST', url, key, body);
          await res.arrayBuffer();
          return res.status >= 200 && res.status < 300
            ? { kind: 'ok' }
            : { kind: 'error', reason: `HTTP ${res.status}` };
        },
        note,
      );
    let series = 0;
    const eventsSerial = (id: PhaseId, label: string): Promise<Row> =>
      serialPost(
        id,
        `POST /v1/events, no listener (${label})`,
        (i) => ({ url: '/v1/events', body: { name: NO_LISTENER_EVENT, data: { n: i } } }),
        'one request at a time; runs/s = requests/s',
      );
    const customersSerial = (id: PhaseId, label: string): Promise<Row> => {
      const tag = `c${series++}`;
      return serialPost(
        id,
        `POST /v1/customers (${label})`,
        (i) => ({
          url: '/v1/customers',
          body: { name: `Bench Customer ${tag}-${i}`, emails: [{ email: `bench.${tag}.${i}@example.com` }] },
        }),
        'one request at a time, each a new customer with a distinct email; runs/s = requests/s',
      );
    };
    /** Fresh conversations for one phase (and its warm-up): every event touches its own. */
    const pool = (n: number): Promise<string[]> => insertConversations(org.id, `p${series++}`, n + size.warmup);
    const interpreterAt = async (id: PhaseId, senders: number, count: number, label = ''): Promise<Row> =>
      phase(
        id,
        `interpreter${label}`,
        senders,
        count,
        viaEvents(await pool(count)),
        'POST /v1/events -> run completed',
      );
    const baselineAt = async (senders: number, count: number, remote = false): Promise<Row> => {
      const conversations = await pool(count);
      const args = (i: number): [BaselineInput] => [
        {
          org: org.id,
          conversation: conversations[i] ?? '',
          retry,
          remote,
        },
      ];
      return phase(
        remote ? 'baseline-remote' : 'baseline',
        remote ? 'baseline, regular activities' : 'baseline',
        senders,
        count,
        onTemporal(baseline, args, `${senders}${remote ? 'r' : ''}`),
        `client.workflow.start -> result; our 3 activities as ${remote ? 'regular' : 'local'} activities`,
      );
    };
    const floorAt = (senders: number, count: number, local = false): Promise<Row> => {
      const args = (): [FloorInput] => [{ noopTaskQueue: `${taskQueue}${NOOP_QUEUE_SUFFIX}`, local }];
      return phase(
        local ? 'floor-local' : 'floor',
        local ? 'floor, local activities' : 'floor',
        senders,
        count,
        onTemporal(floor, args, `${senders}${local ? 'l' : ''}`),
        `client.workflow.start -> result; 3 no-op ${local ? 'local ' : ''}activities`,
      );
    };

    // First, on the (nearly) empty database: what growth compares against.
    await eventsSerial('events-empty', 'empty database');
    await customersSerial('customers-empty', 'empty database');

    await floorAt(1, size.serial);
    await floorAt(10, size.at10);
    await floorAt(1, size.serial, true);
    await floorAt(10, size.at10, true);
    await baselineAt(1, size.serial, true);
    await baselineAt(10, size.at10, true);
    await baselineAt(1, size.serial);
    await baselineAt(10, size.at10);
    await interpreterAt('interpreter', 1, size.serial);
    await interpreterAt('interpreter', 10, size.at10);
    await interpreterAt('interpreter', 50, size.at50);

    // Ingestion: custom events nobody listens to, at fixed request rates (open loop), with autocannon.
    for (const rate of [50, 100, 200]) {
      await drain();
      log(`ingestion: POST /v1/events at ${rate}/s for ${size.ingestSeconds} s...`);
      const result = await autocannon({
        url: `${app.url}/v1/events`,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: NO_LISTENER_EVENT, data: { source: 'autocannon', rate } }),
        connections: 10,
        overallRate: rate,
        duration: size.ingestSeconds,
        timeout: 10,
      });
      const r: Row = {
        phase: 'ingestion',
        scenario: `ingestion ${rate}/s`,
        senders: 10,
        events: result.requests.total,
        completed: result['2xx'],
        runsPerSec: result['2xx'] / (result.duration || size.ingestSeconds),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.non2xx + result.errors + result.timeouts,
        lost: 0,
        note:
          'autocannon at the given overallRate, 10 connections; runs/s = 2xx answers/s. A connection waits for ' +
          'its answer before sending again, so when the API answers slower than 10/rate s the rate is not ' +
          'reached and latency understates what an open-loop client would see (coordinated omission)',
      };
      rows.push(r);
      log(`  ${r.runsPerSec.toFixed(1)}/s answered, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} non-2xx/errors`);
    }

    // Growth: the same org gets N records of each kind, then the same measurements again.
    log(`growth: loading ${opts.records} customers, conversations, messages and events...`);
    load = await loadRecords(org.id, opts.records, { deadlineMs: opts.quick ? 180_000 : 900_000, progress: log });
    const documents = load.customers + load.conversations + load.messages + load.events;
    log(
      `growth: loaded ${documents} documents in ${(load.ms / 1000).toFixed(1)} s ` +
        `(${((documents * 1000) / load.ms).toFixed(0)}/s)${load.complete ? '' : ' (deadline hit: partial load)'}`,
    );
    // A bulk load of 400,000 documents in a minute sets PostgreSQL's autovacuum and autoanalyze going on
    // every table; a database that grew over weeks has had them run long since. Measured right after the
    // load, the interpreter's p50 was 1.8x its empty-database figure while the API's writes were flat.
    log('growth: letting the database settle for 30 s (autovacuum after the bulk load)...');
    await new Promise((resolve) => setTimeout(resolve, opts.quick ? 5_000 : 30_000));
    const grown = `${load.customers} records`;
    await interpreterAt('interpreter-grown', 1, size.serial, ` (${grown})`);
    await interpreterAt('interpreter-grown', 10, size.at10, ` (${grown})`);
    await eventsSerial('events-grown', grown);
    await customersSerial('customers-grown', grown);
  } catch (error) {
    failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`stopped early: ${failure}`);
  } finally {
    log('stopping...');
    for (const step of cleanup.reverse()) {
      try {
        await step.run();
      } catch (error) {
        log(`stopping ${step.name}: ${(error as Error).message}`);
      }
    }
  }
  const summary = summarize(rows);
  return {
    config,
    servers,
    setupMs,
    totalMs: performance.now() - begun,
    rows,
    ...summary,
    growth: { load, ...summary.growth },
    ...(failure ? { failure } : {}),
  };
}
