import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { createWebhookActivities } from '../activities/webhook.activities';
import type { Config } from '../config';
import { eventServiceFromConfig } from '../services/events.service';
import { createOutboundClient, outboundConfigFrom } from '../services/outbound/http';
import { secretBoxFor } from '../services/secrets/secret-box';
import { createVariableService } from '../services/variables.service';
import { acquireTriggerPool } from '../services/triggers/trigger-pool';
import { ensureSearchAttributes } from '../temporal/search-attributes.admin';

export interface RunningWorker {
  worker: Worker;
  /**
   * A client on the worker's own connection: runs it starts may be started eagerly (their first
   * workflow task handed to this worker in the start response). The API uses it when it shares the
   * worker's process (`npm run dev`).
   */
  client: Client;
  /** Resolves when the worker has stopped (after `shutdown()`), rejects if it crashed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 15_000;

let runtimeInstalled = false;

/** Routes the SDK's own logs (including workflow `log.*`) into our JSON logger, once per process. */
function installRuntimeLogger(logger: Logger, sdkLevel: Config['temporalLogLevel']): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[level](entry.meta ?? {}, entry.message);
    }),
  });
}

/**
 * A worker for the interpreter workflow and the action activities. Activities publish the events
 * their writes cause, so the worker has its own Temporal client to start the runs those trigger.
 */
export async function startWorker(
  config: Config & { temporalAddress: string },
  logger: Logger,
  options: { workflowBundle?: WorkflowBundleOption } = {},
): Promise<RunningWorker> {
  installRuntimeLogger(logger, config.temporalLogLevel);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  await ensureSearchAttributes(connection, config.namespace);
  const client = new Client({ connection, namespace: config.namespace });
  // The process's trigger-evaluation threads (activities publish events), shared with an API in the same process.
  const triggers = acquireTriggerPool(config.triggerEval);
  const events = eventServiceFromConfig(config, client, logger, {
    eagerStart: config.eagerWorkflowStart,
    triggers: triggers.pool,
  });
  // REST steps: the worker's outbound client (its throttling buckets are this process's) and the variables.
  const outbound = createOutboundClient(outboundConfigFrom(config));
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: {
      ...createActivities({
        events,
        logger,
        scheduling: { client, taskQueue: config.taskQueue, retry: config.retry, ...config.scheduling },
        outbound: { client: outbound, timeoutMs: config.outbound.timeoutMs },
        variables: createVariableService(secretBoxFor(config)),
      }),
      // Webhook deliveries share the outbound client (and so its per-host and per-org throttling).
      ...createWebhookActivities({ outbound, box: secretBoxFor(config), settings: config.webhooks, logger }),
    },
    ...config.workerTuning,
  }).catch(async (error: unknown) => {
    await outbound.close?.();
    await triggers.release();
    throw error;
  });
  // Events left pending by a process that died between storing and dispatching them.
  const sweeper = setInterval(() => {
    events.sweep().catch((error: unknown) => logger.warn({ err: error }, 'event sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  const done = worker.run().finally(async () => {
    clearInterval(sweeper);
    await outbound.close?.();
    await triggers.release();
    await connection.close();
  });
  return {
    worker,
    client,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
