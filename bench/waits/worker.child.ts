/**
 * The worker of the waiting-runs benchmark, alone in its process (as `npm run worker` runs it: the real
 * workflows, the real activities), so that its memory is the worker's only. Started with --expose-gc;
 * answers `measure` over IPC with its memory after a full collection and the SDK's count of cached runs.
 * Configuration comes from the environment (src/config), WORKER_MAX_CACHED_WORKFLOWS included.
 */
import v8 from 'node:v8';
import { loadConfig, requireServiceConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import { startWorker } from '../../src/runtime/worker.runtime';
import type { WorkerMemory, WorkerMessage } from './protocol';

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const config = requireServiceConfig(loadConfig());
  const logger = createLogger(config.logLevel, 'switchboard-bench-waits');
  await connectMongo(config.mongoUri, undefined, logger);
  const worker = await startWorker(config, logger);

  const measure = (): WorkerMemory => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const memory = process.memoryUsage();
    const status = worker.worker.getStatus();
    return {
      rssMb: memory.rss / MB,
      heapUsedMb: memory.heapUsed / MB,
      heapTotalMb: memory.heapTotal / MB,
      externalMb: memory.external / MB,
      heapLimitMb: v8.getHeapStatistics().heap_size_limit / MB,
      cachedRuns: status.numCachedWorkflows,
      activationsInFlight: status.numInFlightWorkflowActivations,
      maxCachedWorkflows: worker.worker.options.maxCachedWorkflows,
    };
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'measure') process.send?.({ type: 'memory', memory: measure() } satisfies WorkerMessage);
  });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 15_000).unref();
    await worker.shutdown().catch(() => undefined);
    await disconnectMongo().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  worker.done.catch((error: unknown) => {
    process.stderr.write(`[bench waits worker] crashed: ${String(error)}\n`);
    process.exit(1);
  });
  process.send?.({ type: 'ready' } satisfies WorkerMessage);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) process.send({ type: 'failed', message } satisfies WorkerMessage, () => process.exit(1));
  else process.exit(1);
});
