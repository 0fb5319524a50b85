/**
 * `npm run test:faults [-- <scenario>...] [--soak-seconds N] [--log-level L]`: the fault suite (README "Reliability").
 * Starts Temporal and the database once (scripts/dev/servers.ts, persistent in a temp dir), then each
 * selected scenario (by number or name; all by default) against its own two APIs and two workers, prints
 * one row per scenario and the table, and exits non-zero when any row lost an event or duplicated a
 * side effect (or saw a 500, or a process that did not stop gracefully).
 */
import { log } from '../../scripts/dev/process-utils';
import { details, table } from './report';
import { skippedRow, type Row, type RunOptions, type Scenario } from './scenario';
import { apiFanoutKill } from './scenarios/api-fanout-kill';
import { databaseOutage } from './scenarios/database-outage';
import { delayRestarts } from './scenarios/delay-restarts';
import { sigterm } from './scenarios/sigterm';
import { soak } from './scenarios/soak';
import { temporalRestart } from './scenarios/temporal-restart';
import { workerKill } from './scenarios/worker-kill';
import { killAllServices } from './services';
import { startStack, type Stack } from './stack';

const SCENARIOS: Scenario[] = [
  workerKill,
  temporalRestart,
  databaseOutage,
  apiFanoutKill,
  sigterm,
  soak,
  delayRestarts,
];

function parseArgs(argv: string[]): { selected: Scenario[]; options: RunOptions } {
  const options: RunOptions = { soakSeconds: 300, logLevel: 'warn' };
  const picks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--soak-seconds') options.soakSeconds = Number(argv[++i]);
    else if (arg === '--log-level') options.logLevel = argv[++i] ?? 'warn';
    else picks.push(arg);
  }
  if (!Number.isFinite(options.soakSeconds) || options.soakSeconds < 10) {
    throw new Error('--soak-seconds takes a number of seconds (at least 10)');
  }
  const selected =
    picks.length === 0
      ? SCENARIOS
      : picks.map((pick) => {
          const found = SCENARIOS.find((s) => String(s.id) === pick || s.name === pick);
          if (!found)
            throw new Error(
              `unknown scenario "${pick}"; one of ${SCENARIOS.map((s) => `${s.id} ${s.name}`).join(', ')}`,
            );
          return found;
        });
  return { selected, options };
}

async function main(): Promise<number> {
  const { selected, options } = parseArgs(process.argv.slice(2));
  const since = Date.now();
  const stack: Stack = await startStack();
  log(
    `fault suite: temporal ${stack.temporal.kind} at ${stack.temporal.address}, database ${stack.mongo.kind}` +
      `${stack.mongo.backend ? ` (${stack.mongo.backend})` : ''}; logs in ${stack.logDir}`,
  );
  const rows: Row[] = [];
  const ctx = { stack, options, log };
  try {
    for (const scenario of selected) {
      log(`scenario ${scenario.id} (${scenario.name})...`);
      let row: Row;
      try {
        row = await scenario.run(ctx);
      } catch (error) {
        killAllServices();
        row = { ...skippedRow(scenario.id, scenario.name, ''), skipped: undefined, pass: false };
        row.failures.push(
          `the scenario stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      rows.push(row);
      process.stdout.write(`${table([row])}\n${details(row)}\n\n`);
    }
  } finally {
    await stack.stop();
  }
  const count = (pass: boolean) => rows.filter((r) => !r.skipped && r.pass === pass).length;
  process.stdout.write(
    `\nFault suite (${((Date.now() - since) / 60_000).toFixed(1)} min):\n${table(rows)}\n\n` +
      `faults: ${count(true)} passed, ${count(false)} failed, ${rows.filter((r) => r.skipped).length} skipped\n`,
  );
  return rows.every((r) => r.pass) ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllServices();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`fault suite failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
