import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { coreBenchmarks } from './core.bench';
import type { ConfigResult } from './load/load.bench';
import { formatTable, gc, type BenchResult } from './measure';
import { triggerBenchmarks } from './triggers.bench';

/**
 * `npm run bench`: the pure core in-process (and trigger evaluation inline and on the pool), then (unless `--no-load`) the load benchmark (README "Performance")
 * in each configuration: floor / baseline / interpreter at 1 and 10 senders (interpreter also at
 * 50), ingestion at 50/100/200 requests/s, and growth after loading N records of each kind. Servers
 * are started on loopback for the run; results go to bench/results/<date>.json (not committed; a
 * second run the same day writes <date>-2.json).
 *
 *   npm run bench                                   everything, both configurations (several minutes)
 *   npm run bench -- --quick --config=memory        a smoke run: fewer events, 10,000 records
 *   npm run bench -- --config=persistent|memory|both
 *   npm run bench -- --records=20000                growth with 20,000 records of each kind (default 100,000)
 *   npm run bench -- --no-load                      the core only
 *   npm run bench -- --no-core                      the load benchmark only
 *   npm run bench -- --time=300                     per-core-benchmark budget in ms (default 1000)
 *   npm run bench -- --waits                        only the waiting-runs benchmark (bench/waits.bench.ts): 1,000
 *                                                   runs in a delay and 1,000 in a wait-for-event, memory and sizes
 *   npm run bench -- --waits --waits-runs=200 --waits-cache=100   fewer runs; WORKER_MAX_CACHED_WORKFLOWS for it
 *
 * A benchmark reports; it never fails on a number. The exit code is non-zero only when something
 * could not be measured at all.
 */

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

type ConfigName = 'persistent' | 'memory';

function configs(): ConfigName[] {
  const value = option('config') ?? 'both';
  if (value === 'both') return ['persistent', 'memory'];
  if (value === 'persistent' || value === 'memory') return [value];
  throw new Error(`--config must be persistent, memory or both (got ${value})`);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<void> {
  const timeMs = Number(option('time') ?? 1000);
  const quick = flag('quick');
  const records = Number(option('records') ?? (quick ? 10_000 : 100_000));
  if (!Number.isInteger(records) || records < 0) throw new Error('--records must be a whole number');
  const which = flag('no-load') ? [] : configs();
  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    loadAvgAtStart: os.loadavg(),
  };
  console.log(
    `switchboard bench: node ${machine.node} (${machine.platform}), ${machine.cpus} CPUs (${machine.model}), ` +
      `${machine.memoryGb} GB, load avg ${machine.loadAvgAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const started = performance.now();

  if (flag('waits')) {
    await waits(machine);
    console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return;
  }

  let core: BenchResult[] = [];
  if (!flag('no-core')) {
    console.log(
      `core: per-benchmark budget ${timeMs} ms after a 250 ms warm-up; GC ${gc ? 'forced between benchmarks' : 'not available'}`,
    );
    core = [...(await coreBenchmarks({ timeMs })), ...(await triggerBenchmarks({ timeMs }))];
    console.log(`\n${formatTable(core)}\n`);
  }

  const results: ConfigResult[] = [];
  if (which.length > 0) {
    // Loaded only when needed: the Temporal SDK and mongoose take seconds to import.
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const { runConfiguration } = await import('./load/load.bench');
    const { formatConfig, targets } = await import('./load/report');
    log('bundling the bench workflows (interpreter + floor + baseline)...');
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, 'workflows/index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    });
    const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-bundle-'));
    const bundleFile = path.join(bundleDir, 'workflows.js');
    fs.writeFileSync(bundleFile, bundle.code);
    try {
      for (const config of which) {
        const result = await runConfiguration(config, { quick, records, bundleFile, log });
        results.push(result);
        console.log(`\n${formatConfig(result)}\n`);
        if (result.failure) process.exitCode = 1;
      }
    } finally {
      fs.rmSync(bundleDir, { recursive: true, force: true });
    }

    const first = results.find((r) => r.servers)?.servers;
    const report = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      options: { quick, records, configs: which },
      machine: {
        ...machine,
        temporalCli: first?.temporalVersion,
        ferretdb: first?.ferretdbVersion,
        backend: first?.backend,
      },
      configurations: results.map((r) => ({ ...r, targets: targets(r) })),
      core,
    };
    writeReport(report.date.slice(0, 10), report);
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** bench/results/<name>.json; a later run the same day gets <name>-2.json and so on, never overwriting one. */
function writeReport(name: string, report: unknown): void {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  let file = path.join(dir, `${name}.json`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `${name}-${n}.json`);
  // NaN is not JSON: figures that could not be measured are written as null.
  fs.writeFileSync(file, `${JSON.stringify(report, (_, v: unknown) => (Number.isNaN(v) ? null : v), 2)}\n`);
  console.log(`results written to ${path.relative(process.cwd(), file)}`);
}

/** `--waits`: the waiting-runs benchmark alone. */
async function waits(machine: object): Promise<void> {
  const { runWaitsBenchmark, formatWaits } = await import('./waits.bench');
  const runs = Number(option('waits-runs') ?? 1000);
  const cache = option('waits-cache');
  const maxCached = cache === undefined ? undefined : Number(cache);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--waits-runs must be a whole number above 0');
  if (maxCached !== undefined && (!Number.isInteger(maxCached) || maxCached < 0)) {
    throw new Error('--waits-cache must be a whole number');
  }
  const result = await runWaitsBenchmark({ runs, maxCached, log });
  console.log(`\n${formatWaits(result)}\n`);
  const date = new Date().toISOString();
  writeReport(`${date.slice(0, 10)}-waits`, { date, commit: gitCommit(), machine, waits: result });
}

main().then(
  // The Temporal runtime keeps native handles open after its worker stops; exit explicitly.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
