/**
 * `npm run servers`: starts a persistent Temporal dev server (with web UI) and a MongoDB-compatible server for
 * local development, prints how to reach them, and runs until Ctrl-C. Data stays in <repo>/.data.
 */
import { log } from './process-utils';
import { describeMongo, startServers } from './servers';

async function main(): Promise<void> {
  const started = Date.now();
  const servers = await startServers({ persistent: true, ui: true, preferDefaultPorts: true, echoLogs: true });
  const { temporal, mongo } = servers;
  log(
    `servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s (mongo: ${describeMongo(mongo)}, temporal: ${temporal.kind})`,
  );
  process.stdout.write(
    [
      `TEMPORAL_ADDRESS=${temporal.address}`,
      `TEMPORAL_NAMESPACE=${temporal.namespace}`,
      `MONGODB_URI=${mongo.uri}`,
      temporal.uiUrl ? `# Temporal UI: ${temporal.uiUrl}` : '# Temporal UI: not started',
      '# Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  // Keep the process alive until a signal arrives, then stop both servers cleanly.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping servers...`);
    servers
      .stop()
      .then(() => {
        clearInterval(keepAlive);
        log('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        log(`error while stopping: ${String(err)}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}

main().catch((err: unknown) => {
  log(`could not start servers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
