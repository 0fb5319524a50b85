import { performance } from 'node:perf_hooks';
import { quantile } from '../measure';

/**
 * Closed-loop senders: each of `senders` takes the next event, sends it and waits for its outcome
 * (for run scenarios: the run completed) before taking another. Bounded by count and by time: no
 * new event starts after `deadlineMs`, and each outcome bounds its own wait (see `withTimeout`), so
 * a phase that runs over reports what it has instead of hanging.
 */

/** `ok`: done as expected; `error`: refused (non-2xx, start failed); `lost`: accepted, no completed run. */
export type Outcome = { kind: 'ok' } | { kind: 'error'; reason: string } | { kind: 'lost'; reason: string };

export interface Sample {
  ms: number;
  outcome: Outcome;
}

export interface PhaseResult {
  samples: Sample[];
  /** Events that were never sent because the phase hit its deadline. */
  unsent: number;
  spanMs: number;
  timedOut: boolean;
}

export async function closedLoop(opts: {
  senders: number;
  count: number;
  deadlineMs: number;
  op: (i: number) => Promise<Outcome>;
  /** Stop early: no new event once this returns true (counted as a deadline). */
  stop?: () => boolean;
}): Promise<PhaseResult> {
  const samples: Sample[] = [];
  const start = performance.now();
  let next = 0;
  let timedOut = false;
  const sender = async (): Promise<void> => {
    while (next < opts.count) {
      if (performance.now() - start > opts.deadlineMs || opts.stop?.()) {
        timedOut = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      let outcome: Outcome;
      try {
        outcome = await opts.op(i);
      } catch (error) {
        outcome = { kind: 'error', reason: (error as Error).message.slice(0, 200) };
      }
      samples.push({ ms: performance.now() - t0, outcome });
    }
  };
  await Promise.all(Array.from({ length: opts.senders }, sender));
  return { samples, unsent: opts.count - next, spanMs: performance.now() - start, timedOut };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface Stats {
  count: number;
  ok: number;
  errors: number;
  lost: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The first few distinct error and loss reasons, with counts. */
  reasons: Record<string, number>;
}

/** Throughput counts successes only; latency percentiles are over the successful samples. */
export function stats(phase: PhaseResult): Stats {
  const ok = phase.samples.filter((s) => s.outcome.kind === 'ok');
  const sorted = ok.map((s) => s.ms).sort((a, b) => a - b);
  const reasons: Record<string, number> = {};
  for (const s of phase.samples) {
    if (s.outcome.kind === 'ok') continue;
    const key = `${s.outcome.kind}: ${s.outcome.reason}`;
    if (key in reasons || Object.keys(reasons).length < 5) reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    count: phase.samples.length,
    ok: ok.length,
    errors: phase.samples.filter((s) => s.outcome.kind === 'error').length,
    lost: phase.samples.filter((s) => s.outcome.kind === 'lost').length,
    perSec: (ok.length * 1000) / phase.spanMs,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    reasons,
  };
}
