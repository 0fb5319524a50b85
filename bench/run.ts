import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { coreBenchmarks } from './core.bench';
import { formatTable, gc, type BenchResult } from './measure';

/**
 * `npm run bench`: the pure core in-process, then (unless `--no-e2e`) events end to end against
 * Temporal and a MongoDB-compatible server started on loopback for the run. Bounded in time:
 * about 10 s for the core and 20-40 s for the end-to-end part on a 2-core machine.
 *
 *   npm run bench                  everything
 *   npm run bench -- --no-e2e      the core only
 *   npm run bench -- --time=300    per-benchmark budget in ms (default 1000)
 */

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

async function main(): Promise<void> {
  const timeMs = Number(option('time') ?? 1000);
  const e2e = !process.argv.includes('--no-e2e');
  const cpus = os.cpus();
  console.log(
    `switchboard bench: node ${process.version} (${process.platform}/${process.arch}), ` +
      `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), load avg ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    `per-benchmark budget ${timeMs} ms after a 250 ms warm-up; GC ${gc ? 'forced between benchmarks' : 'not available'}`,
  );
  const started = performance.now();
  const results: BenchResult[] = await coreBenchmarks({ timeMs });
  if (e2e) {
    // Loaded only when needed: the Temporal worker and mongoose take seconds to import.
    try {
      const { e2eBenchmarks } = await import('./e2e.bench');
      results.push(...(await e2eBenchmarks()));
    } catch (error) {
      // The core figures are still worth printing; the cause goes to stderr and the exit code.
      console.error('\ne2e benchmark failed:', error);
      process.exitCode = 1;
    }
  }
  console.log(`\n${formatTable(results)}`);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  // The Temporal runtime keeps native handles open after its worker stops; exit explicitly.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
