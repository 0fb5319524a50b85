import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A small, time-bounded measuring loop. Each benchmark warms up, then runs for a fixed wall-clock
 * budget. Fast operations are timed in batches (so `performance.now()` itself is not what we
 * measure); the percentiles are then over per-batch means, and the table says how big a batch was.
 */

export interface BenchResult {
  name: string;
  iterations: number;
  opsPerSec: number;
  /** Per-operation latency in µs; absent where a percentile would mean nothing. */
  p50Us?: number;
  p99Us?: number;
  /** Operations per timed sample: 1 means p50/p99 are true per-call percentiles. */
  batch?: number;
  /** heapUsed after the timed phase minus before it, with no forced GC in between (noisy by nature). */
  heapDeltaMb: number;
  /** heapUsed after a forced GC minus before the phase (after a forced GC): what the phase kept. */
  retainedMb?: number;
  note?: string;
}

export interface MeasureOptions {
  /** Wall-clock budget of the timed phase (default 1000 ms). */
  timeMs?: number;
  /** Wall-clock budget of the warm-up (default 250 ms). */
  warmupMs?: number;
  /** A sample should take at least this long; ops are batched until it does (default 25 µs). */
  minSampleUs?: number;
  note?: string;
}

/**
 * `global.gc` without `--expose-gc` on the command line (tsx does not pass it through `npm run`):
 * V8 flags can be set at run time, and a fresh context then sees `gc`. Undefined if that fails.
 */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export const gc = exposeGc();

const MB = 1024 * 1024;

export function heapUsedMb(): number {
  return process.memoryUsage().heapUsed / MB;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

type Op = () => unknown;
type AsyncOp = () => Promise<unknown>;

/** Runs `op` `n` times; `isAsync` ops are awaited one after another. */
async function runBatch(op: Op, n: number, isAsync: boolean): Promise<void> {
  if (isAsync) for (let i = 0; i < n; i++) await (op as AsyncOp)();
  else for (let i = 0; i < n; i++) op();
}

/** Measures `op` (sync, or async and awaited serially). See the module comment for the method. */
export async function measure(name: string, op: Op, opts: MeasureOptions = {}): Promise<BenchResult> {
  const timeMs = opts.timeMs ?? 1000;
  const warmupMs = opts.warmupMs ?? 250;
  const minSampleMs = (opts.minSampleUs ?? 25) / 1000;
  const isAsync = op() instanceof Promise;

  // Warm-up doubles as calibration: how long does one op take once the JIT has seen it?
  let warmOps = 0;
  const warmStart = performance.now();
  while (performance.now() - warmStart < warmupMs) {
    await runBatch(op, 16, isAsync);
    warmOps += 16;
  }
  const perOpMs = (performance.now() - warmStart) / warmOps;
  const batch = Math.max(1, Math.ceil(minSampleMs / perOpMs));

  gc?.();
  const heapBefore = heapUsedMb();
  const samples: number[] = [];
  let iterations = 0;
  const start = performance.now();
  let now = start;
  while (now - start < timeMs) {
    const t0 = now;
    await runBatch(op, batch, isAsync);
    now = performance.now();
    samples.push(((now - t0) * 1000) / batch);
    iterations += batch;
  }
  const elapsedMs = now - start;
  const heapAfter = heapUsedMb();
  gc?.();
  const retained = gc ? heapUsedMb() - heapBefore : undefined;

  samples.sort((a, b) => a - b);
  return {
    name,
    iterations,
    opsPerSec: (iterations * 1000) / elapsedMs,
    p50Us: quantile(samples, 0.5),
    p99Us: quantile(samples, 0.99),
    batch,
    heapDeltaMb: heapAfter - heapBefore,
    retainedMb: retained,
    note: opts.note,
  };
}

function fixed(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The results as an aligned text table, notes listed below it. */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ['benchmark', 'iterations', 'ops/s', 'p50 µs', 'p99 µs', 'batch', 'heap Δ MB', 'retained MB'];
  const rows = results.map((r) => [
    r.name + (r.note ? ` [${results.filter((x) => x.note).indexOf(r) + 1}]` : ''),
    r.iterations.toLocaleString('en-US'),
    fixed(r.opsPerSec, r.opsPerSec < 100 ? 1 : 0),
    fixed(r.p50Us, r.p50Us !== undefined && r.p50Us < 10 ? 2 : 1),
    fixed(r.p99Us, r.p99Us !== undefined && r.p99Us < 10 ? 2 : 1),
    r.batch === undefined ? '-' : String(r.batch),
    fixed(r.heapDeltaMb, 2),
    fixed(r.retainedMb, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const notes = results
    .filter((r) => r.note)
    .map((r, i) => `[${i + 1}] ${r.note ?? ''}`)
    .join('\n');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line), ...(notes ? ['', notes] : [])].join('\n');
}
