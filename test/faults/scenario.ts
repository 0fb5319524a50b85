/**
 * What every scenario shares: its processes (two APIs, two workers) on its own database and task queue,
 * the client, the load, the verdict read from Temporal and the database, the graceful stop of every
 * process at the end, and the row it prints.
 */
import { sleep } from '../../scripts/dev/process-utils';
import { ApiClient } from './client';
import { sendEvents, setupLoad, type Load, type SendOptions, type SentEvent } from './load';
import type { Processes, Stack } from './stack';
import { verify, type Verdict } from './verify';

export interface RunOptions {
  soakSeconds: number;
  logLevel: string;
}

export interface ScenarioContext {
  stack: Stack;
  options: RunOptions;
  log(message: string): void;
}

export interface Row {
  id: number;
  name: string;
  eventsSent: number;
  runsExpected: number;
  runsCompleted: number;
  duplicates: number;
  lost: number;
  /** Seconds from the end of a fault until the work it caught in flight had completed (the worst fault). */
  recoverS: number | undefined;
  pass: boolean;
  /** What the scenario measured beyond the columns. */
  notes: string[];
  /** Why it failed. */
  failures: string[];
  /** Why it did not run. */
  skipped?: string;
  seconds: number;
}

export interface Scenario {
  id: number;
  name: string;
  run(ctx: ScenarioContext): Promise<Row>;
}

/** A fault: a moment (a kill) or a window (a server down). */
export interface Fault {
  start: number;
  end: number;
}

export interface System {
  procs: Processes;
  api: ApiClient;
  load: Load;
  faults: Fault[];
  notes: string[];
  failures: string[];
}

/** Starts the scenario's processes (in parallel: each worker bundles the workflow code first) and its load. */
async function startSystem(
  ctx: ScenarioContext,
  name: string,
  eventName: string,
  tags: string[],
  delay?: string,
): Promise<System> {
  const procs = await ctx.stack.processes(name, ctx.options.logLevel);
  const since = Date.now();
  await Promise.all(procs.all().map((p) => p.start()));
  ctx.log(`${name}: 2 APIs and 2 workers up in ${((Date.now() - since) / 1000).toFixed(1)} s`);
  const api = new ApiClient(procs.apis);
  const load = await setupLoad(api, ctx.stack.rootKey, name, eventName, tags, delay);
  return { procs, api, load, faults: [], notes: [], failures: [] };
}

/**
 * A scenario: unless `skip` says why it cannot run here, its processes and load are started, `body`
 * loads and breaks them, and the row is made from what Temporal and the database then hold.
 */
export function scenario(def: {
  id: number;
  name: string;
  /** The event its workflows listen to, and one tag per workflow. */
  eventName: string;
  tags: string[];
  /** A `delay` step (ISO-8601 duration) in every handler, between reading the conversation and replying. */
  delay?: string;
  skip?: (ctx: ScenarioContext) => string | undefined;
  body: (ctx: ScenarioContext, system: System) => Promise<void>;
}): Scenario {
  return {
    id: def.id,
    name: def.name,
    async run(ctx) {
      const skip = def.skip?.(ctx);
      if (skip) return skippedRow(def.id, def.name, skip);
      const started = Date.now();
      const system = await startSystem(ctx, def.name, def.eventName, def.tags, def.delay);
      await def.body(ctx, system);
      return finish(ctx, def.id, def.name, system, started);
    },
  };
}

/** Events in a closed loop (20 senders, 300 events, each waiting for its runs) while `faults` runs. */
export async function underLoad(
  ctx: ScenarioContext,
  system: System,
  faults: () => Promise<void>,
  opts: Partial<SendOptions> = {},
): Promise<void> {
  const sending = sendEvents(system.load, system.api, ctx.stack.client, {
    senders: 20,
    count: 300,
    durationMs: 600_000,
    waitForRuns: true,
    runTimeoutMs: 240_000,
    ...opts,
  });
  await Promise.all([sending, faults()]);
}

/** Resolves once `check` holds (polled), or throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 300_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(pollMs);
  }
}

/** Events sent and not yet completed: the work a fault catches in flight. */
export const inFlight = (load: Load): number =>
  load.events.filter((e) => e.completedAt === undefined && e.problem === undefined).length;

/**
 * For each fault, the events sent before it ended and still running when it began; the time from its end
 * until the last of them completed. The worst fault counts; undefined when a fault caught nothing.
 */
export function recoverySeconds(events: SentEvent[], faults: Fault[]): number | undefined {
  let worst: number | undefined;
  for (const fault of faults) {
    const caught = events.filter((e) => e.sentAt <= fault.end && (e.completedAt ?? Infinity) > fault.start);
    if (caught.length === 0) continue;
    const last = Math.max(...caught.map((e) => e.completedAt ?? Infinity));
    const seconds = Math.max(0, last - fault.end) / 1000;
    worst = Math.max(worst ?? 0, seconds);
  }
  return worst;
}

/** SIGTERM to every process; each must end by itself with code 0. */
export async function stopGracefully(system: System, log: (m: string) => void): Promise<void> {
  const exits = await Promise.all(
    system.procs.all().map(async (p) => ({ name: p.name, exit: p.up ? await p.terminate() : undefined })),
  );
  for (const { name, exit } of exits) {
    if (exit && !exit.graceful) {
      system.failures.push(
        `${name} did not stop gracefully on SIGTERM (code ${exit.code}, ${exit.signal}, ${exit.ms} ms)`,
      );
    }
  }
  log(`stopped: ${exits.map(({ name, exit }) => `${name} ${exit ? `${exit.ms} ms` : 'was down'}`).join(', ')}`);
}

/** Verifies, stops the processes, and makes the row. */
async function finish(ctx: ScenarioContext, id: number, name: string, system: System, started: number) {
  let verdict: Verdict | undefined;
  try {
    verdict = await verify(ctx.stack.client, system.procs.mongoUri, system.load);
  } finally {
    await stopGracefully(system, ctx.log);
  }
  const { traffic } = system.api;
  const failures = [...system.failures];
  for (const p of system.procs.all()) failures.push(...p.crashes);
  if (verdict.lost > 0) failures.push(`${verdict.lost} events lost`);
  if (verdict.duplicates > 0) failures.push(`${verdict.duplicates} duplicate side effects`);
  if (verdict.missing > 0) failures.push(`${verdict.missing} side effects missing from completed runs`);
  if (verdict.accepted < verdict.eventsSent) {
    failures.push(`${verdict.eventsSent - verdict.accepted} events never accepted`);
  }
  if (traffic.internal > 0) failures.push(`${traffic.internal} answers 5xx other than 503`);
  if (traffic.unavailableWithoutRetryAfter > 0) {
    failures.push(`${traffic.unavailableWithoutRetryAfter} answers 503 without Retry-After`);
  }
  if (failures.length > 0) failures.push(...verdict.problems, ...traffic.samples);
  const notes = [
    ...system.notes,
    `HTTP: ${traffic.requests} requests, ${traffic.unavailable} x 503, ${traffic.internal} x 5xx other, ${traffic.network} broken connections`,
  ];
  if (verdict.unexpectedRuns > 0) notes.push(`${verdict.unexpectedRuns} runs of events the client never saw accepted`);
  return {
    id,
    name,
    eventsSent: verdict.eventsSent,
    runsExpected: verdict.runsExpected,
    runsCompleted: verdict.runsCompleted,
    duplicates: verdict.duplicates,
    lost: verdict.lost,
    recoverS: recoverySeconds(system.load.events, system.faults),
    pass: failures.length === 0,
    notes,
    failures,
    seconds: (Date.now() - started) / 1000,
  } satisfies Row;
}

/** The row of a scenario that could not run here. */
export function skippedRow(id: number, name: string, why: string): Row {
  return {
    id,
    name,
    eventsSent: 0,
    runsExpected: 0,
    runsCompleted: 0,
    duplicates: 0,
    lost: 0,
    recoverS: undefined,
    pass: true,
    notes: [],
    failures: [],
    skipped: why,
    seconds: 0,
  };
}
