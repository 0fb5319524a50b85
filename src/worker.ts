import { loadConfig, requireServiceConfig } from './config';
import { createLogger } from './logger';
import { connectMongo, disconnectMongo } from './runtime/mongo';
import { startWorker } from './runtime/worker.runtime';

async function main(): Promise<void> {
  const config = requireServiceConfig(loadConfig());
  const logger = createLogger(config.logLevel, 'switchboard-worker');
  await connectMongo(config.mongoUri, undefined, logger);
  const worker = await startWorker(config, logger);
  logger.info({ taskQueue: config.taskQueue, namespace: config.namespace }, 'worker running');
  // The SDK handles SIGINT/SIGTERM itself: the worker drains and `done` resolves.
  await worker.done;
  await disconnectMongo();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
