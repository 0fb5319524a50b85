/**
 * Starts the real servers Switchboard needs in dev and tests (Temporal dev server, a MongoDB-compatible
 * server), or uses the ones named by TEMPORAL_ADDRESS / MONGODB_URI. Nothing here is mocked.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { loadConfig, loadDevConfig, type DevConfig } from '../../src/config';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.admin';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import {
  canConnect,
  claimDir,
  freePort,
  log,
  preferredOrFreePort,
  REPO_ROOT,
  run,
  runOk,
  sleep,
} from './process-utils';
import { startSupervised, type SupervisedProcess } from './supervised';
import { ensureFerretDb, ensurePostgres, ensureTemporalCli, type PostgresTools } from './toolchain';

export const DATA_DIR = path.join(REPO_ROOT, '.data');
/** Where persistent servers keep their files: `opts.dataDir`, else <repo>/.data. */
const dataDirOf = (opts: StartOptions): string => opts.dataDir ?? DATA_DIR;
const claimDataDir = (opts: StartOptions): void =>
  claimDir(
    dataDirOf(opts),
    'Stop that `npm run servers` / `npm run dev`, or reuse its servers via TEMPORAL_ADDRESS and MONGODB_URI.',
  );

export interface StartOptions {
  /** Keep data across restarts in <repo>/.data (dev); otherwise in-memory / temp dirs (tests). */
  persistent?: boolean;
  /** With `persistent`: keep the data here instead of <repo>/.data (the benchmark's throw-away copy of dev). */
  dataDir?: string;
  /** Serve the Temporal web UI (dev). */
  ui?: boolean;
  /** Try the well-known ports first (7233, 8233, 27017), falling back to free ones if taken. */
  preferDefaultPorts?: boolean;
  /** Copy the servers' own log lines to stderr. */
  echoLogs?: boolean;
}

export interface TemporalHandle {
  address: string;
  namespace: string;
  kind: 'external' | 'dev-server' | 'sdk-download';
  /** Executable of the dev server, when we started one. */
  binary?: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

export type FerretDbBackend = DevConfig['dbBackend'];

export interface MongoHandle {
  uri: string;
  kind: 'external' | 'memory-server' | 'ferretdb';
  /** FerretDB's storage backend (only when kind is `ferretdb`). */
  backend?: FerretDbBackend;
  stop(): Promise<void>;
}

/** `ferretdb (postgresql)`, `memory-server`...: for log lines and banners. */
export function describeMongo(mongo: MongoHandle): string {
  return mongo.backend ? `${mongo.kind} (${mongo.backend})` : mongo.kind;
}

export interface TemporalOptions extends StartOptions {
  namespace?: string;
  port?: number;
  uiPort?: number;
}

export interface MongoOptions extends StartOptions {
  port?: number;
  /** Database name put in the returned URI (default `switchboard`). */
  dbName?: string;
  /** Skip mongodb-memory-server and go straight to FerretDB. */
  skipMemoryServer?: boolean;
  /** FerretDB's backend; default SWITCHBOARD_DB_BACKEND (itself `sqlite` by default). */
  backend?: FerretDbBackend;
}

async function waitFor<T>(
  what: string,
  proc: SupervisedProcess | undefined,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc?.hasExited()) {
      throw new Error(`${what} exited during start-up (${await proc.exited}):\n${proc.recentOutput()}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(200);
  }
  await proc?.stop();
  throw new Error(
    `${what} not ready after ${timeoutMs} ms${lastError ? ` (${lastError})` : ''}\n${proc?.recentOutput() ?? ''}`,
  );
}

/** Temporal: $TEMPORAL_ADDRESS if set, else a `temporal server start-dev` process with our search attributes. */
export async function startTemporal(opts: TemporalOptions = {}): Promise<TemporalHandle> {
  const config = loadConfig();
  const namespace = opts.namespace ?? config.namespace;
  const external = config.temporalAddress;
  if (external) {
    return { address: external, namespace, kind: 'external', stop: async () => undefined };
  }
  const binary = await ensureTemporalCli();
  if (!binary) return startTemporalViaSdk(namespace, opts);

  const port = opts.port ?? (await preferredOrFreePort(opts.preferDefaultPorts ? 7233 : undefined));
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (namespace !== 'default') args.push('--namespace', namespace);
  // The CLI's type names: Keyword, Datetime, KeywordList... (our keys say KEYWORD, DATETIME, KEYWORD_LIST).
  const cliType = (type: string) =>
    type
      .toLowerCase()
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${cliType(key.type)}`);
  // Measured one at a time (README, "Performance"); SWITCHBOARD_TEMPORAL_DEV_OFF leaves some off.
  const off = new Set(loadDevConfig().temporalDevOff);
  const dynamicConfig = [
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    'frontend.enableServerVersionCheck=false',
    // The first workflow task comes back in the start response when the starter shares a worker's process.
    ...(off.has('eager-start') ? [] : ['system.enableEagerWorkflowStart=true']),
    // An activity scheduled by a workflow task is handed back in its completion, to the same worker.
    ...(off.has('eager-activities') ? [] : ['system.enableActivityEagerExecution=true']),
    // One partition per task queue: with one worker, four partitions only add forwarding between them.
    ...(off.has('partitions')
      ? []
      : ['matching.numTaskqueueReadPartitions=1', 'matching.numTaskqueueWritePartitions=1']),
  ];
  for (const kv of dynamicConfig) args.push('--dynamic-config-value', kv);
  if (opts.persistent) {
    claimDataDir(opts);
    args.push('--db-filename', path.join(dataDirOf(opts), 'temporal.sqlite'));
    // A write-ahead log, synced at checkpoints rather than at every commit (a power cut may lose the last
    // transactions of a dev server, never corrupt it).
    if (!off.has('sqlite-pragmas'))
      args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  let uiUrl: string | undefined;
  if (opts.ui) {
    const uiPort = opts.uiPort ?? (await preferredOrFreePort(opts.preferDefaultPorts ? port + 1000 : undefined));
    args.push('--ui-port', String(uiPort));
    uiUrl = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }

  const address = `127.0.0.1:${port}`;
  const proc = startSupervised('temporal', binary, args, opts.echoLogs);
  const connection = await waitFor('Temporal dev server', proc, 60_000, async () => {
    if (!(await canConnect(port))) return undefined;
    const conn = await Connection.connect({ address, connectTimeout: 2_000 });
    try {
      await conn.workflowService.getSystemInfo({});
      return conn;
    } catch (err) {
      await conn.close();
      throw err;
    }
  });
  try {
    // With a reused --db-filename the flags above are ignored for the existing namespace: register via API.
    await ensureSearchAttributes(connection, namespace);
  } catch (err) {
    await proc.stop();
    throw err;
  } finally {
    await connection.close();
  }
  return { address, namespace, kind: 'dev-server', binary, uiUrl, stop: () => proc.stop() };
}

/** Last resort without any local binary: @temporalio/testing downloads the dev server (needs internet). */
async function startTemporalViaSdk(namespace: string, opts: TemporalOptions): Promise<TemporalHandle> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      namespace,
      ip: '127.0.0.1',
      port: opts.port,
      ui: opts.ui ?? false,
      uiPort: opts.uiPort,
      searchAttributes: [...SEARCH_ATTRIBUTES],
      dbFilename: opts.persistent ? path.join(dataDirOf(opts), 'temporal.sqlite') : undefined,
    },
  });
  const address = env.connection.options.address;
  await ensureSearchAttributes(env.connection, namespace);
  return { address, namespace, kind: 'sdk-download', stop: () => env.teardown() };
}

async function ping(uri: string): Promise<true> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 2_000 }).asPromise();
  try {
    await conn.db?.command({ ping: 1 });
    return true;
  } finally {
    await conn.close();
  }
}

function withDb(base: string, dbName: string): string {
  return `${base.replace(/\/+$/, '')}/${dbName}`;
}

async function startMemoryServer(opts: MongoOptions, dbName: string): Promise<MongoHandle | undefined> {
  const { MongoMemoryServer, DryMongoBinary } = await import('mongodb-memory-server');
  const { mongoms } = loadDevConfig();
  const localBinary =
    mongoms.systemBinary ?? (await DryMongoBinary.locateBinary(await DryMongoBinary.generateOptions()));
  if (!localBinary) {
    // Downloading mongod needs fastdl.mongodb.org (or the configured mirror), which registry-only machines
    // cannot resolve: check that first, quietly, instead of letting the library retry and log a stack.
    const mirror = mongoms.downloadUrl ?? mongoms.downloadMirror ?? 'https://fastdl.mongodb.org';
    const host = new URL(mirror).hostname;
    const resolvable = await Promise.race([
      dns.lookup(host).then(
        () => true,
        () => false,
      ),
      sleep(3_000).then(() => false),
    ]);
    if (!resolvable) {
      log(`no local mongod and ${host} is unreachable: skipping mongodb-memory-server`);
      return undefined;
    }
    process.env.MONGOMS_MAX_RETRIES ??= '1'; // read by mongodb-memory-server itself
  }
  const dbPath = opts.persistent ? path.join(dataDirOf(opts), 'mongo') : undefined;
  if (dbPath) {
    claimDataDir(opts);
    fs.mkdirSync(dbPath, { recursive: true });
  }
  const port = opts.port ?? (await preferredOrFreePort(opts.preferDefaultPorts ? 27017 : undefined));
  const creating = MongoMemoryServer.create({
    instance: { ip: '127.0.0.1', port, dbPath, storageEngine: dbPath ? 'wiredTiger' : undefined },
  });
  const timeoutMs = localBinary ? 60_000 : 20_000;
  const timeout = sleep(timeoutMs).then(() => 'timeout' as const);
  try {
    const server = await Promise.race([creating, timeout]);
    if (server === 'timeout') {
      creating.then((late) => late.stop()).catch(() => undefined);
      log(`mongodb-memory-server did not start within ${timeoutMs} ms`);
      return undefined;
    }
    return {
      uri: withDb(server.getUri(), dbName),
      kind: 'memory-server',
      stop: async () => void (await server.stop()),
    };
  } catch (err) {
    log(`mongodb-memory-server unavailable (${(err as Error).message.split('\n')[0]?.slice(0, 160) ?? ''})`);
    return undefined;
  }
}

interface PostgresHandle {
  /** postgres:// URL of the `ferretdb` database, for FerretDB's --postgresql-url. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A private PostgreSQL cluster for FerretDB, started by us (never a system service): data in .data/postgres
 * (persistent) or a temp dir, socket in a private temp dir, TCP on 127.0.0.1 only, trust auth for user
 * `switchboard`. As root, initdb and postgres run as an unprivileged system user (postgres refuses root).
 */
async function startPostgres(opts: MongoOptions): Promise<PostgresHandle> {
  const pg = await ensurePostgres();
  const { user } = pg;
  const asUser = (cmd: string, args: string[]): [string, string[]] =>
    user ? ['runuser', ['-u', user.name, '--', cmd, ...args]] : [cmd, args];
  const own = (dir: string): void => {
    fs.chmodSync(dir, 0o700);
    if (user) fs.chownSync(dir, user.uid, user.gid);
  };
  const tmp = opts.persistent ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-pg-'));
  // The socket path must stay short (107 bytes): always a fresh dir in the temp dir.
  const socketDir = tmp ? path.join(tmp, 'socket') : fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-pgsock-'));
  const removeDirs = (): void => {
    fs.rmSync(tmp ?? socketDir, { recursive: true, force: true });
  };
  try {
    if (opts.persistent) claimDataDir(opts);
    const dataDir = tmp ? path.join(tmp, 'data') : path.join(dataDirOf(opts), 'postgres');
    if (tmp) own(tmp);
    for (const dir of [dataDir, socketDir]) {
      fs.mkdirSync(dir, { recursive: true });
      own(dir);
    }
    // Run in the temp dir: the server's user may not be allowed into our working directory.
    const cwd = os.tmpdir();
    if (user && (await run(...asUser('test', ['-w', dataDir]), { cwd })).code !== 0) {
      throw new Error(
        `PostgreSQL runs as ${user.name} (postgres refuses root), who cannot reach ${dataDir}: ` +
          'a parent directory is not searchable by other users. Move the clone, or use SWITCHBOARD_DB_BACKEND=sqlite.',
      );
    }
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      const initArgs = ['-D', dataDir, '-U', 'switchboard', '--auth=trust', '-E', 'UTF8', '--no-locale'];
      // A throw-away cluster need not be flushed to disk.
      if (tmp) initArgs.push('--no-sync');
      await runOk(...asUser(pg.initdb, initArgs), { cwd });
    }
    const port = await freePort();
    const settings = [
      'listen_addresses=127.0.0.1',
      // Dev database: a crash may lose the last commits (synchronous_commit=off), never corrupt the cluster.
      `fsync=${opts.persistent ? 'on' : 'off'}`,
      'synchronous_commit=off',
      'shared_buffers=128MB',
      'max_connections=200',
      // Bounded write-ahead log: the default (1 GB) filled after 400,000 documents of a bulk load.
      'max_wal_size=256MB',
      // Quiet in `npm run dev` output: only what stops a session (start-up LOG lines and checkpoints are noise).
      'log_min_messages=fatal',
      'log_checkpoints=off',
    ];
    const [cmd, args] = asUser(pg.postgres, [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      ...settings.flatMap((kv) => ['-c', kv]),
    ]);
    const proc = startSupervised('postgres', cmd, args, opts.echoLogs);
    const stopServer = async (): Promise<void> => {
      if (!proc.hasExited()) {
        // Fast shutdown (what SIGINT does), waited for; the supervisor's SIGTERM is only the fallback.
        const res = await run(...asUser(pg.pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30']), { cwd });
        if (res.code !== 0) log(`pg_ctl stop failed (${res.stderr.trim()}): stopping postgres by signal`);
        await Promise.race([proc.exited, sleep(5_000)]);
        await proc.stop();
      }
      removeDirs();
    };
    try {
      await waitFor('PostgreSQL', proc, 60_000, async () => {
        if (pg.pgIsReady) {
          const res = await run(pg.pgIsReady, [
            '-q',
            '-h',
            '127.0.0.1',
            '-p',
            String(port),
            '-U',
            'switchboard',
            '-d',
            'postgres',
          ]);
          return res.code === 0 ? true : undefined;
        }
        return (await canConnect(port)) ? true : undefined;
      });
      await createDatabase(pg, port, proc);
      await installGinCompanions(pg, port);
    } catch (err) {
      await stopServer();
      throw err;
    }
    return { url: `postgres://switchboard@127.0.0.1:${port}/ferretdb`, stop: stopServer };
  } catch (err) {
    removeDirs();
    throw err;
  }
}

/** `createdb ferretdb` (idempotent: an existing database is fine); retried while the server finishes starting. */
async function createDatabase(pg: PostgresTools, port: number, proc: SupervisedProcess): Promise<void> {
  if (!pg.createdb) {
    throw new Error('createdb (PostgreSQL client tools) not found next to postgres nor on PATH');
  }
  const createdb = pg.createdb;
  await waitFor('PostgreSQL database ferretdb', proc, 30_000, async () => {
    const res = await run(createdb, ['-h', '127.0.0.1', '-p', String(port), '-U', 'switchboard', 'ferretdb']);
    if (res.code === 0 || res.stderr.includes('already exists')) return true;
    throw new Error(res.stderr.trim());
  });
}

/** The GIN companion indexes that make FerretDB's pushed-down filters index-served (ferretdb-pg-indexes.sql). */
async function installGinCompanions(pg: PostgresTools, port: number): Promise<void> {
  if (!pg.psql) throw new Error('psql (PostgreSQL client tools) not found next to postgres nor on PATH');
  const sql = path.join(REPO_ROOT, 'scripts', 'dev', 'ferretdb-pg-indexes.sql');
  const args = ['-q', '-X', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'switchboard'];
  await runOk(pg.psql, [...args, '-d', 'ferretdb', '-f', sql]);
}

async function startFerretDb(opts: MongoOptions, dbName: string, backend: FerretDbBackend): Promise<MongoHandle> {
  const [built, started] = await Promise.allSettled([
    ensureFerretDb(),
    backend === 'postgresql' ? startPostgres(opts) : undefined,
  ]);
  const postgres = started.status === 'fulfilled' ? started.value : undefined;
  if (built.status === 'rejected' || started.status === 'rejected') {
    await postgres?.stop();
    throw built.status === 'rejected' ? built.reason : (started as PromiseRejectedResult).reason;
  }
  const binary = built.value;
  let dataDir: string | undefined;
  const handlerArgs: string[] = [];
  try {
    if (postgres) {
      handlerArgs.push('--handler=postgresql', `--postgresql-url=${postgres.url}`);
    } else {
      if (opts.persistent) claimDataDir(opts);
      dataDir = opts.persistent
        ? path.join(dataDirOf(opts), 'ferretdb')
        : fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-ferretdb-'));
      fs.mkdirSync(dataDir, { recursive: true });
      handlerArgs.push('--handler=sqlite', `--sqlite-url=file:${dataDir}/`);
    }
    const port = opts.port ?? (await preferredOrFreePort(opts.preferDefaultPorts ? 27017 : undefined));
    const proc = startSupervised(
      'ferretdb',
      binary,
      [
        ...handlerArgs,
        `--listen-addr=127.0.0.1:${port}`,
        '--state-dir=-',
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ],
      opts.echoLogs,
    );
    const base = `mongodb://127.0.0.1:${port}`;
    await waitFor('FerretDB', proc, 30_000, async () => ((await canConnect(port)) ? ping(base) : undefined));
    const tempDir = opts.persistent ? undefined : dataDir;
    return {
      uri: withDb(base, dbName),
      kind: 'ferretdb',
      backend,
      async stop() {
        // FerretDB first (it holds connections to PostgreSQL), then PostgreSQL.
        await proc.stop();
        if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
        await postgres?.stop();
      },
    };
  } catch (err) {
    if (dataDir && !opts.persistent) fs.rmSync(dataDir, { recursive: true, force: true });
    await postgres?.stop();
    throw err;
  }
}

/**
 * MongoDB: $MONGODB_URI if set, else mongodb-memory-server if a mongod can be had, else FerretDB on
 * SWITCHBOARD_DB_BACKEND (SQLite by default, or a private PostgreSQL cluster).
 */
export async function startMongo(opts: MongoOptions = {}): Promise<MongoHandle> {
  const external = loadConfig().mongoUri;
  if (external) return { uri: external, kind: 'external', stop: async () => undefined };
  const dev = loadDevConfig();
  const dbName = opts.dbName ?? 'switchboard';
  if (!opts.skipMemoryServer && !dev.skipMemoryServer) {
    const memory = await startMemoryServer(opts, dbName);
    if (memory) return memory;
  }
  return startFerretDb(opts, dbName, opts.backend ?? dev.dbBackend);
}

export interface ServersHandle {
  temporal: TemporalHandle;
  mongo: MongoHandle;
  stop(): Promise<void>;
}

/** Starts (or attaches to) both servers in parallel; if one fails the other is stopped again. */
export async function startServers(opts: StartOptions = {}): Promise<ServersHandle> {
  const [temporal, mongo] = await Promise.allSettled([startTemporal(opts), startMongo(opts)]);
  if (temporal.status === 'rejected' || mongo.status === 'rejected') {
    await Promise.allSettled([
      temporal.status === 'fulfilled' ? temporal.value.stop() : undefined,
      mongo.status === 'fulfilled' ? mongo.value.stop() : undefined,
    ]);
    throw temporal.status === 'rejected' ? temporal.reason : (mongo as PromiseRejectedResult).reason;
  }
  return {
    temporal: temporal.value,
    mongo: mongo.value,
    async stop() {
      await Promise.allSettled([temporal.value.stop(), mongo.value.stop()]);
    },
  };
}
