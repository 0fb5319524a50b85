/**
 * Starts the servers of one benchmark configuration through the dev tooling (scripts/dev/servers.ts,
 * or src/dev/servers.ts in trees from before the move), never touching the developer's `.data/`:
 *
 * - `memory`: `startServers({ persistent: false })`, what the tests use (Temporal in memory; FerretDB
 *   on SQLite files in a temp dir).
 * - `persistent`: the shape `npm run dev` uses (Temporal on a SQLite file, FerretDB on SQLite files)
 *   in a throwaway directory. When servers.ts takes a data directory option (`dataDir`), it is
 *   `startServers({ persistent: true, dataDir })`; otherwise this starts the same two binaries with
 *   the same flags itself, from the tooling's own build cache, so `.data/` is never claimed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

export type ConfigName = 'persistent' | 'memory';

export interface BenchServers {
  temporalAddress: string;
  namespace: string;
  mongoUri: string;
  temporalKind: string;
  mongoKind: string;
  /** FerretDB's storage backend, as servers.ts reports it (else the dev config's default). */
  backend: string;
  temporalVersion: string;
  ferretdbVersion: string;
  /** Where the persistent configuration keeps its files (deleted on stop). */
  dataDir?: string;
  /** How the servers were started, for the report. */
  how: string;
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The dev tooling module `name`, wherever the tree has it today. */
function devFile(name: string): string {
  for (const dir of ['scripts/dev', 'src/dev']) {
    const file = path.join(REPO_ROOT, dir, `${name}.ts`);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`cannot find the dev tooling module ${name}.ts under scripts/dev or src/dev`);
}

interface ServerHandleLike {
  temporal: { address: string; namespace: string; kind: string; binary?: string };
  mongo: { uri: string; kind: string; backend?: string };
  stop(): Promise<void>;
}
interface ServersModule {
  startServers(opts: Record<string, unknown>): Promise<ServerHandleLike>;
}
interface ToolchainModule {
  ensureTemporalCli(): Promise<string | undefined>;
  ensureFerretDb(): Promise<string>;
  TEMPORAL_CLI_VERSION?: string;
  FERRETDB_VERSION?: string;
}
interface SupervisedModule {
  startSupervised(
    name: string,
    cmd: string,
    args: string[],
    echo?: boolean,
  ): { hasExited(): boolean; recentOutput(): string; stop(graceMs?: number): Promise<void> };
}
interface ProcessUtilsModule {
  freePort(): Promise<number>;
  canConnect(port: number): Promise<boolean>;
}

const load = async <T>(name: string): Promise<T> => (await import(devFile(name))) as T;

/**
 * Whether servers.ts accepts a data directory of its own: a `dataDir` field declared in its
 * `StartOptions` interface (not merely a local variable of that name). When in doubt, no: passing an
 * option it ignores would put the benchmark's data in the developer's `.data/`.
 */
function serversTakeDataDir(): boolean {
  const source = fs.readFileSync(devFile('servers'), 'utf8');
  const options = /export interface StartOptions\s*{([^}]*)}/.exec(source)?.[1] ?? '';
  return /^\s*(readonly\s+)?dataDir\??\s*:/m.test(options);
}

const run = promisify(execFile);

async function versionOf(binary: string | undefined, fallback: string | undefined): Promise<string> {
  if (binary) {
    try {
      const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
      const line = stdout.trim().split('\n')[0];
      if (line) return fallback ? `${fallback} (${line})` : line;
    } catch {
      // fall through to the pinned version
    }
  }
  return fallback ?? 'unknown';
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms${last ? ` (${last})` : ''}`);
}

/** The persistent shape of servers.ts (same binaries, same flags) with its files in `dataDir`. */
async function startPersistentIn(dataDir: string): Promise<Omit<BenchServers, 'backend' | 'how' | 'dataDir'>> {
  const toolchain = await load<ToolchainModule>('toolchain');
  const { startSupervised } = await load<SupervisedModule>('supervised');
  const { freePort, canConnect } = await load<ProcessUtilsModule>('process-utils');
  const [temporalBin, ferretBin] = await Promise.all([toolchain.ensureTemporalCli(), toolchain.ensureFerretDb()]);
  if (!temporalBin) throw new Error('no Temporal CLI binary (the persistent configuration needs one)');
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort), '--log-level', 'warn'];
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const kv of [
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    'frontend.enableServerVersionCheck=false',
  ]) {
    args.push('--dynamic-config-value', kv);
  }
  args.push('--db-filename', path.join(dataDir, 'temporal.sqlite'), '--headless');
  const ferretDir = path.join(dataDir, 'ferretdb');
  fs.mkdirSync(ferretDir, { recursive: true });
  const temporal = startSupervised('temporal', temporalBin, args);
  const ferret = startSupervised('ferretdb', ferretBin, [
    '--handler=sqlite',
    `--sqlite-url=file:${ferretDir}/`,
    `--listen-addr=127.0.0.1:${mongoPort}`,
    '--state-dir=-',
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error',
  ]);
  const stop = async (): Promise<void> => {
    await Promise.allSettled([temporal.stop(), ferret.stop()]);
  };
  const address = `127.0.0.1:${temporalPort}`;
  try {
    await Promise.all([
      waitUntil('Temporal dev server', 60_000, async () => {
        if (temporal.hasExited()) throw new Error(`temporal exited:\n${temporal.recentOutput()}`);
        if (!(await canConnect(temporalPort))) return false;
        const conn = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          await conn.workflowService.getSystemInfo({});
          return true;
        } finally {
          await conn.close();
        }
      }),
      waitUntil('FerretDB', 30_000, async () => {
        if (ferret.hasExited()) throw new Error(`ferretdb exited:\n${ferret.recentOutput()}`);
        if (!(await canConnect(mongoPort))) return false;
        const conn = await mongoose
          .createConnection(`mongodb://127.0.0.1:${mongoPort}`, { serverSelectionTimeoutMS: 2_000 })
          .asPromise();
        try {
          await conn.db?.command({ ping: 1 });
          return true;
        } finally {
          await conn.close();
        }
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    temporalAddress: address,
    namespace: 'default',
    mongoUri: `mongodb://127.0.0.1:${mongoPort}/switchboard`,
    temporalKind: 'dev-server',
    mongoKind: 'ferretdb',
    temporalVersion: await versionOf(temporalBin, toolchain.TEMPORAL_CLI_VERSION),
    ferretdbVersion: await versionOf(ferretBin, toolchain.FERRETDB_VERSION),
    stop,
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Servers named by the environment are used only when they are on this machine's loopback. */
export function checkLoopbackOnly(): void {
  const temporal = process.env.TEMPORAL_ADDRESS;
  if (temporal && !LOOPBACK.has(temporal.replace(/:\d+$/, ''))) {
    throw new Error(`TEMPORAL_ADDRESS ${temporal} is not loopback; the benchmark only talks to loopback`);
  }
  const mongo = process.env.MONGODB_URI;
  if (mongo && !LOOPBACK.has(new URL(mongo).hostname)) {
    throw new Error('MONGODB_URI is not loopback; the benchmark only talks to loopback');
  }
  // Without a local mongod, mongodb-memory-server would first look up its download host: go straight
  // to FerretDB, as `npm run dev` ends up doing on this kind of machine.
  if (!process.env.MONGOMS_SYSTEM_BINARY) process.env.SWITCHBOARD_SKIP_MEMORY_SERVER ??= '1';
}

export async function startBenchServers(config: ConfigName): Promise<BenchServers> {
  // The dev tooling's default backend (src/config loadDevConfig, where the tree has it), else the env.
  const configModule = (await import('../../src/config')) as { loadDevConfig?: () => { dbBackend?: string } };
  const backend = configModule.loadDevConfig?.().dbBackend ?? process.env.SWITCHBOARD_DB_BACKEND ?? 'sqlite';
  const toolchain = await load<ToolchainModule>('toolchain');
  const { startServers } = await load<ServersModule>('servers');
  const describe = async (
    handle: ServerHandleLike,
    how: string,
    dataDir?: string,
    stopExtra?: () => void,
  ): Promise<BenchServers> => ({
    temporalAddress: handle.temporal.address,
    namespace: handle.temporal.namespace,
    mongoUri: handle.mongo.uri,
    temporalKind: handle.temporal.kind,
    mongoKind: handle.mongo.kind,
    backend: handle.mongo.backend ?? backend,
    temporalVersion: await versionOf(handle.temporal.binary, toolchain.TEMPORAL_CLI_VERSION),
    ferretdbVersion: handle.mongo.kind === 'ferretdb' ? (toolchain.FERRETDB_VERSION ?? 'unknown') : 'n/a',
    dataDir,
    how,
    async stop() {
      await handle.stop();
      stopExtra?.();
    },
  });
  if (config === 'memory') {
    return describe(await startServers({ persistent: false, ui: false }), 'startServers({ persistent: false })');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-persistent-'));
  const removeDir = (): void => fs.rmSync(dataDir, { recursive: true, force: true });
  try {
    if (serversTakeDataDir()) {
      const handle = await startServers({ persistent: true, ui: false, dataDir });
      return describe(handle, `startServers({ persistent: true, dataDir: ${dataDir} })`, dataDir, removeDir);
    }
    if (process.env.TEMPORAL_ADDRESS || process.env.MONGODB_URI) {
      throw new Error('the persistent configuration starts its own servers: unset TEMPORAL_ADDRESS and MONGODB_URI');
    }
    if (backend !== 'sqlite') {
      process.stderr.write(`[bench] servers.ts takes no dataDir yet: persistent runs on SQLite, not ${backend}\n`);
    }
    const started = await startPersistentIn(dataDir);
    return {
      ...started,
      backend: 'sqlite',
      dataDir,
      how: `dev's persistent flags, files in ${dataDir} (servers.ts takes no dataDir option yet)`,
      async stop() {
        await started.stop();
        removeDir();
      },
    };
  } catch (error) {
    removeDir();
    throw error;
  }
}
