import path from 'node:path';
import { Piscina } from 'piscina';
import type { TriggerTask } from './trigger-eval';

/**
 * Trigger conditions read event data through references, `/#fn` calls, templates and RE2 regexes, and
 * a hostile definition or event can make that take seconds (an RE2 pattern of 16 x `[\s\S]{1000}` on a
 * 60,000-character field, a nested `{{#each}}` building megabytes). So they are evaluated on worker
 * threads, never on the event loop that answers every tenant's requests, and a thread still busy past
 * the time budget is terminated (piscina ends the thread running a task when its AbortSignal fires;
 * a fresh thread replaces it).
 */
export interface TriggerPoolOptions {
  /** Threads of the pool; one org never occupies more than `threads - 1` of them (at least 1). */
  threads: number;
  /** Budget of one evaluation, counted from the moment a thread starts it. */
  timeoutMs: number;
}

/** A trigger that could not be evaluated: the definition is skipped with this message (`trigger_error`). */
export class TriggerEvaluationError extends Error {}

export interface TriggerEvaluator {
  /**
   * The target of the first transition that holds, or null. Throws `TriggerEvaluationError` when the
   * evaluation throws, runs past its budget or out of memory; any other error means the pool itself
   * failed (closed, a thread that cannot start).
   */
  evaluate(org: string, task: TriggerTask): Promise<string | null>;
}

/** Heap of one evaluation thread: a template that builds a huge string ends its thread, not the process. */
const THREAD_HEAP_MB = 256;
/**
 * The threads run at a lower CPU priority than the event loop (Linux; elsewhere piscina ignores it): an
 * evaluation that burns its whole budget, and the loading of the thread that replaces it, yield the
 * cores to the requests of every other org.
 */
const THREAD_NICE_INCREMENT = 10;
/** How long an org's evaluation slot is held at most while an ended thread is replaced. */
const REPLACEMENT_WAIT_MS = 10_000;
/** Stored on the event: a pattern from event data can be 400 KB long. */
const MAX_MESSAGE_LENGTH = 500;

type ThreadAnswer = { target: string | null } | { error: string };

function shortened(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...`;
}

/** `Atomics.waitAsync` (Node 16+; not in TypeScript's ES2022 lib). */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * At most `limit` evaluations of one org run at once; the others wait in that org's line, so one
 * tenant's burst of slow triggers leaves threads free for the others.
 */
class PerOrgLimit {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {}

  /** Waits for one of the org's slots; call the answer to give it back. */
  async acquire(org: string): Promise<() => void> {
    const running = this.running.get(org) ?? 0;
    if (running < this.limit) this.running.set(org, running + 1);
    else await new Promise<void>((resolve) => this.line(org).push(resolve));
    return () => this.release(org);
  }

  private line(org: string): (() => void)[] {
    let line = this.waiting.get(org);
    if (!line) this.waiting.set(org, (line = []));
    return line;
  }

  /** Hands the slot to the next in line, or frees it. */
  private release(org: string): void {
    const next = this.waiting.get(org)?.shift();
    if (next) {
      if (this.waiting.get(org)?.length === 0) this.waiting.delete(org);
      next();
      return;
    }
    const running = (this.running.get(org) ?? 1) - 1;
    if (running > 0) this.running.set(org, running);
    else this.running.delete(org);
  }
}

export class TriggerPool implements TriggerEvaluator {
  private readonly piscina: Piscina;
  private readonly perOrg: PerOrgLimit;
  /** Evaluations whose thread was ended, each waiting for a replacement thread to be ready. */
  private readonly awaitingReplacement: (() => void)[] = [];
  private closed = false;

  constructor(readonly options: TriggerPoolOptions) {
    this.piscina = new Piscina({
      filename: path.resolve(__dirname, 'trigger-worker.cjs'),
      minThreads: options.threads,
      maxThreads: options.threads,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
      niceIncrement: THREAD_NICE_INCREMENT,
    });
    this.perOrg = new PerOrgLimit(Math.max(1, options.threads - 1));
    // Emitted when a thread is ready: for a replacement, once it has loaded its modules.
    this.piscina.on('workerCreate', () => this.awaitingReplacement.shift()?.());
  }

  evaluate(org: string, task: TriggerTask): Promise<string | null> {
    // Piscina would start new threads for a task sent after close().
    if (this.closed) return Promise.reject(new Error('the trigger evaluation pool is closed'));
    return this.evaluateInSlot(org, task);
  }

  private async evaluateInSlot(org: string, task: TriggerTask): Promise<string | null> {
    const release = await this.perOrg.acquire(org);
    let replacement: Promise<void> | undefined;
    try {
      return await this.runWithBudget(task, () => (replacement = this.replaced()));
    } finally {
      // An ended thread's replacement takes a while to load (hundreds of ms): the org keeps its slot
      // until it is ready, so it cannot take the threads the other orgs are left with. Its answer
      // does not wait for that.
      if (replacement) void replacement.then(release);
      else release();
    }
  }

  /**
   * Resolves once every thread has loaded its modules (one empty evaluation each), so that the first
   * requests do not wait for that; rejects if a thread cannot load.
   */
  async ready(): Promise<void> {
    const empty: TriggerTask = { transitions: [], dataJson: '{}', now: 0 };
    const started = () => new Int32Array(new SharedArrayBuffer(4));
    await Promise.all(
      Array.from({ length: this.options.threads }, () => this.piscina.run({ task: empty, started: started() })),
    );
  }

  private async runWithBudget(task: TriggerTask, onThreadEnded: () => void): Promise<string | null> {
    const { timeoutMs } = this.options;
    const started = new Int32Array(new SharedArrayBuffer(4));
    const abort = new AbortController();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const startClock = () => {
      if (!settled) timer = setTimeout(() => abort.abort(), timeoutMs);
    };
    const wait = waitAsync(started, 0, 0);
    if (wait.async) void wait.value.then(startClock);
    else startClock();
    try {
      const answer = (await this.piscina.run({ task, started }, { signal: abort.signal })) as ThreadAnswer;
      if ('error' in answer) throw new TriggerEvaluationError(shortened(answer.error));
      return answer.target;
    } catch (error) {
      const outOfMemory = (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (!abort.signal.aborted && !outOfMemory) throw error;
      onThreadEnded();
      throw new TriggerEvaluationError(
        outOfMemory
          ? `trigger evaluation ran out of memory (${THREAD_HEAP_MB} MB)`
          : `trigger evaluation exceeded ${timeoutMs} ms`,
      );
    } finally {
      settled = true;
      clearTimeout(timer);
      // Resolves the wait above if the thread never started (the pool closed first).
      Atomics.store(started, 0, 2);
      Atomics.notify(started, 0);
    }
  }

  /** Resolves when a thread that replaces an ended one is ready, or after REPLACEMENT_WAIT_MS. */
  private replaced(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const i = this.awaitingReplacement.indexOf(done);
        if (i >= 0) this.awaitingReplacement.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, REPLACEMENT_WAIT_MS).unref();
      this.awaitingReplacement.push(done);
    });
  }

  /** Waits for evaluations in flight, then ends the threads. */
  async close(): Promise<void> {
    this.closed = true;
    for (const done of [...this.awaitingReplacement]) done();
    await this.piscina.close();
  }
}

/**
 * One pool per process and settings: the API and the worker share it when they share a process
 * (`npm run dev`, the tests), and it closes when the last of them releases it.
 */
const shared = new Map<string, { pool: TriggerPool; users: number }>();

function keyOf(options: TriggerPoolOptions): string {
  return `${options.threads}/${options.timeoutMs}`;
}

/** The process's pool for these settings, created on first use (see `acquireTriggerPool` for closing it). */
export function sharedTriggerPool(options: TriggerPoolOptions): TriggerPool {
  const key = keyOf(options);
  let entry = shared.get(key);
  if (!entry) shared.set(key, (entry = { pool: new TriggerPool(options), users: 0 }));
  return entry.pool;
}

/** The shared pool, held until `release()`; the last release closes it. */
export function acquireTriggerPool(options: TriggerPoolOptions): { pool: TriggerPool; release(): Promise<void> } {
  const pool = sharedTriggerPool(options);
  const entry = shared.get(keyOf(options))!;
  entry.users++;
  let released = false;
  return {
    pool,
    async release() {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users > 0) return;
      shared.delete(keyOf(options));
      await pool.close();
    },
  };
}
