/**
 * `npm run dev`: everything in one command, with embedded defaults. Starts the servers that are not given
 * (a persistent Temporal dev server with its web UI, a MongoDB-compatible server; data in <repo>/.data), then a
 * worker and the API in this process, prints how to reach them and the root API key, and runs until Ctrl-C.
 * Shutdown is ordered: the API stops taking requests, the worker drains, then the servers stop.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApi } from '../../src/runtime/api.runtime';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import { startWorker } from '../../src/runtime/worker.runtime';
import { watchLaunchers } from './launcher-watch';
import { log, portInUse, REPO_ROOT } from './process-utils';
import { resolveRootApiKey, type RootApiKey } from './root-api-key';
import { DATA_DIR, describeMongo, startServers, type ServersHandle } from './servers';

/** A failure whose message says it all: printed without a stack. */
class DevError extends Error {}

interface Cleanup {
  name: string;
  run(): Promise<void>;
}

/** Process start (not module load: the SDK imports alone take a while). */
const started = Date.now() - process.uptime() * 1000;
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
/** Undone in reverse order on shutdown: API, worker, database connection, servers. */
const cleanups: Cleanup[] = [];
let stopping = false;
let startup: Promise<void> = Promise.resolve();

async function main(): Promise<void> {
  // Development calls local servers: loopback is allowed unless OUTBOUND_ALLOW_HOSTS says otherwise.
  const config = loadConfig({ OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost', ...process.env });
  // Fail before minutes of server start-up, not after: the API port is the one URL people bookmark.
  if (config.port !== 0 && (await portInUse(config.port))) {
    throw new DevError(
      `port ${config.port} is already in use, so the API cannot listen on it.\n` +
        `  Stop whatever holds it (see \`ss -ltnp 'sport = :${config.port}'\`), or pick another port: ` +
        `PORT=${config.port + 1} npm run dev`,
    );
  }
  const logger = createLogger(config.logLevel, 'switchboard-dev');

  log('starting Temporal and the database (the first run on a machine may build them: minutes)...');
  const servers = await startServers({ persistent: true, ui: true, preferDefaultPorts: true, echoLogs: true });
  cleanups.push({ name: 'servers', run: () => servers.stop() });
  log(
    `servers ready in ${seconds(started)} (temporal: ${servers.temporal.kind}, database: ${describeMongo(servers.mongo)})`,
  );
  if (stopping) return;

  const rootApiKey = resolveRootApiKey(config.rootApiKey, DATA_DIR);
  const runtimeConfig = {
    ...config,
    rootApiKey: rootApiKey.key,
    mongoUri: servers.mongo.uri,
    temporalAddress: servers.temporal.address,
    namespace: servers.temporal.namespace,
  };

  await connectMongo(runtimeConfig.mongoUri, undefined, logger);
  cleanups.push({ name: 'database connection', run: disconnectMongo });
  if (stopping) return;

  log('starting the worker (it bundles the workflow code first)...');
  const workerSince = Date.now();
  const worker = await startWorker(runtimeConfig, logger);
  log(`worker polling task queue "${runtimeConfig.taskQueue}" after ${seconds(workerSince)}`);
  cleanups.push({ name: 'worker (draining)', run: () => worker.shutdown() });
  worker.done.catch((err: unknown) => {
    log(`worker crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void shutdown('worker crash', 1);
  });
  if (stopping) return;

  const api = await startApi(runtimeConfig, logger, { worker });
  cleanups.push({
    name: 'API',
    async run() {
      // Idle keep-alive sockets are closed by server.close(); give requests in flight a few seconds.
      const force = setTimeout(() => api.server.closeAllConnections(), 5_000);
      await api.close();
      clearTimeout(force);
    },
  });
  if (stopping) return;

  process.stdout.write(banner(api.url, servers, rootApiKey, seconds(started), runtimeConfig.hooks.publicUrl));
}

function banner(
  apiUrl: string,
  servers: ServersHandle,
  root: RootApiKey,
  readyIn: string,
  hookBase: string | undefined,
): string {
  const { temporal, mongo } = servers;
  const keyFile = path.relative(REPO_ROOT, root.file);
  const keyNote = {
    env: 'from ROOT_API_KEY',
    file: `reused from ${keyFile}; it stays the same across restarts, delete the file for a new one`,
    generated: `generated and saved in ${keyFile}; it stays the same across restarts, delete the file for a new one`,
  }[root.source];
  const ui = temporal.uiUrl
    ? `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows`
    : `not started by us (Temporal at ${temporal.address} is external)`;
  const data = mongo.kind === 'external' && temporal.kind === 'external' ? 'external servers' : 'data in .data/';
  return [
    '',
    `Switchboard dev is ready in ${readyIn} (temporal: ${temporal.kind}, database: ${describeMongo(mongo)}; ${data})`,
    '',
    `  API                 ${apiUrl}`,
    `  Temporal UI         ${ui}`,
    `  TEMPORAL_ADDRESS    ${temporal.address}`,
    `  TEMPORAL_NAMESPACE  ${temporal.namespace}`,
    `  MONGODB_URI         ${mongo.uri}`,
    `  ROOT_API_KEY        ${root.key}`,
    `                      (${keyNote})`,
    `  hook URLs           ${hookBase ?? apiUrl}/v1/hooks/... (${hookBase ? 'PUBLIC_URL' : 'set PUBLIC_URL when senders reach the API elsewhere'})`,
    '',
    'Create an org (the apiKey in the answer authorizes every other /v1 route):',
    '',
    `  curl -sS -X POST ${apiUrl}/v1/orgs \\`,
    `    -H 'Authorization: Bearer ${root.key}' \\`,
    `    -H 'Content-Type: application/json' -d '{"name":"Acme"}'`,
    '',
    'More workers or API processes against the same servers (the production shape):',
    `  export TEMPORAL_ADDRESS=${temporal.address} MONGODB_URI='${mongo.uri}' ROOT_API_KEY=${root.key}`,
    '  npm run worker        PORT=3001 npm run api',
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) {
    if (reason.startsWith('SIG')) {
      log(`${reason} again: exiting now (our servers end with this process)`);
      process.exit(130);
    }
    return;
  }
  stopping = true;
  const since = Date.now();
  log(`${reason}: stopping (Ctrl-C again to force)...`);
  // A step in flight (a server still starting) finishes first, so that it too is stopped, not orphaned.
  await startup.catch(() => undefined);
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup.run();
      log(`stopped ${cleanup.name}`);
    } catch (err) {
      log(`error stopping ${cleanup.name}: ${err instanceof Error ? err.message : String(err)}`);
      code = code || 1;
    }
  }
  log(`stopped in ${seconds(since)}`);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(signal, 0));
}
// `kill <npm pid>` never reaches us (npm's `sh -c` drops it): treat the launcher's death as a SIGTERM.
watchLaunchers((pid) => void shutdown(`launcher process ${pid} exited`, 0));
startup = main();
startup.catch((err: unknown) => {
  if (err instanceof DevError || err instanceof ConfigError) log(err.message);
  else log(`could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (cleanups.length === 0) process.exit(1);
  void shutdown('start-up failed', 1);
});
