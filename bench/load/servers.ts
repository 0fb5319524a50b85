/**
 * Starts the servers of one benchmark configuration through the dev tooling (scripts/dev/servers.ts),
 * never touching the developer's `.data/`:
 *
 * - `memory`: `startServers({ persistent: false })`, what the tests use (Temporal in memory; FerretDB on
 *   a throw-away PostgreSQL cluster, or SQLite files with SWITCHBOARD_DB_BACKEND=sqlite).
 * - `persistent`: the shape `npm run dev` uses (Temporal on a SQLite file, FerretDB on its persistent
 *   backend), with `dataDir` a temp directory removed on stop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig, loadDevConfig } from '../../src/config';
import { startServers, type ServersHandle } from '../../scripts/dev/servers';
import { FERRETDB_VERSION, TEMPORAL_CLI_VERSION } from '../../scripts/dev/toolchain';

export type ConfigName = 'persistent' | 'memory';

export interface BenchServers {
  temporalAddress: string;
  namespace: string;
  mongoUri: string;
  temporalKind: string;
  mongoKind: string;
  /** FerretDB's storage backend, as servers.ts reports it. */
  backend: string;
  temporalVersion: string;
  ferretdbVersion: string;
  /** Dev-server settings left off (SWITCHBOARD_TEMPORAL_DEV_OFF), for lever-by-lever runs. */
  temporalDevOff: string[];
  /** Where the persistent configuration keeps its files (deleted on stop). */
  dataDir?: string;
  /** How the servers were started, for the report. */
  how: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);

async function temporalVersion(binary: string | undefined): Promise<string> {
  if (!binary) return TEMPORAL_CLI_VERSION;
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
    return `${TEMPORAL_CLI_VERSION} (${stdout.trim().split('\n')[0]})`;
  } catch {
    return TEMPORAL_CLI_VERSION;
  }
}

export async function startBenchServers(config: ConfigName): Promise<BenchServers> {
  const { temporalAddress, mongoUri } = loadConfig();
  if (temporalAddress || mongoUri) {
    throw new Error('the benchmark starts its own servers: unset TEMPORAL_ADDRESS and MONGODB_URI');
  }
  const dataDir =
    config === 'persistent' ? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-persistent-')) : undefined;
  // mkdtemp makes it 0700; PostgreSQL runs as its own user (as root) and must reach its dir inside.
  if (dataDir) fs.chmodSync(dataDir, 0o755);
  let handle: ServersHandle;
  try {
    handle = await startServers({ persistent: config === 'persistent', dataDir, ui: false });
  } catch (error) {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    temporalAddress: handle.temporal.address,
    namespace: handle.temporal.namespace,
    mongoUri: handle.mongo.uri,
    temporalKind: handle.temporal.kind,
    mongoKind: handle.mongo.kind,
    backend: handle.mongo.backend ?? handle.mongo.kind,
    temporalVersion: await temporalVersion(handle.temporal.binary),
    ferretdbVersion: handle.mongo.kind === 'ferretdb' ? FERRETDB_VERSION : 'n/a',
    temporalDevOff: loadDevConfig().temporalDevOff,
    dataDir,
    how: `startServers({ persistent: ${config === 'persistent'}${dataDir ? `, dataDir: ${dataDir}` : ''} })`,
    async stop() {
      await handle.stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
