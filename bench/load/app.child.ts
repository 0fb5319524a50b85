/**
 * The system under test, in its own process as `npm run dev` runs it: the API and the worker side by
 * side in one Node process (dev.ts does exactly this), against the servers the parent started. The
 * worker runs the bench bundle (the interpreter plus the floor and baseline workflows); an
 * activity-only worker on a second task queue serves the floor's no-op activities, since
 * `startWorker` registers only our real ones. Configuration comes from the environment (src/config),
 * the bundle from the file named by BENCH_WORKFLOW_BUNDLE. Tells the parent its URL over IPC.
 */
import fs from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, requireServiceConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApi } from '../../src/runtime/api.runtime';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import { startWorker } from '../../src/runtime/worker.runtime';
import type { NoopActivities } from '../workflows/floor.workflow';
import { NOOP_QUEUE_SUFFIX, type ChildMessage } from './protocol';

const noopActivities: NoopActivities = {
  benchNoop: async (step) => step,
};

async function main(): Promise<void> {
  const config = requireServiceConfig(loadConfig());
  const logger = createLogger(config.logLevel, 'switchboard-bench');
  const bundleFile = process.env.BENCH_WORKFLOW_BUNDLE;
  if (!bundleFile) throw new Error('BENCH_WORKFLOW_BUNDLE is not set');
  const code = fs.readFileSync(bundleFile, 'utf8');

  await connectMongo(config.mongoUri);
  const worker = await startWorker(config, logger, { workflowBundle: { code } });
  const noopConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const noopWorker = await Worker.create({
    connection: noopConnection,
    namespace: config.namespace,
    taskQueue: `${config.taskQueue}${NOOP_QUEUE_SUFFIX}`,
    activities: noopActivities,
  });
  const noopDone = noopWorker.run();
  const api = await startApi(config, logger, { worker });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Draining can hang when the servers are already gone (the parent died): never linger.
    setTimeout(() => process.exit(1), 10_000).unref();
    const force = setTimeout(() => api.server.closeAllConnections(), 2_000);
    await api.close().catch(() => undefined);
    clearTimeout(force);
    if (noopWorker.getState() === 'RUNNING') noopWorker.shutdown();
    await Promise.allSettled([worker.shutdown(), noopDone]);
    await noopConnection.close().catch(() => undefined);
    await disconnectMongo().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // The parent died or let go of us: never outlive it.
  process.on('disconnect', () => void stop());
  worker.done.catch((error: unknown) => {
    process.stderr.write(`[bench app] worker crashed: ${String(error)}\n`);
    process.exit(1);
  });
  process.send?.({ type: 'ready', url: api.url } satisfies ChildMessage);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) process.send({ type: 'failed', message } satisfies ChildMessage, () => process.exit(1));
  else process.exit(1);
});
