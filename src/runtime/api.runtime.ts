import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { createApp } from '../api/app';
import type { Config } from '../config';
import { eventServiceFromConfig } from '../services/events.service';
import { createRunService } from '../services/runs.service';
import { acquireTriggerPool } from '../services/triggers/trigger-pool';
import type { RunningWorker } from './worker.runtime';

export interface RunningApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Builds the API on an already-connected MongoDB and a Temporal address, and listens on `port`. Given
 * `worker` (the API shares the worker's process, as in `npm run dev`), it starts runs through the
 * worker's client, so that they can start eagerly on that worker.
 */
export async function startApi(
  config: Config & { temporalAddress: string },
  logger: Logger,
  options: { worker?: Pick<RunningWorker, 'client'> } = {},
): Promise<RunningApi> {
  const connection = options.worker ? undefined : await Connection.connect({ address: config.temporalAddress });
  const client = options.worker?.client ?? new Client({ connection, namespace: config.namespace });
  // The process's trigger-evaluation threads, shared with a worker in the same process.
  const triggers = acquireTriggerPool(config.triggerEval);
  const events = eventServiceFromConfig(config, client, logger, {
    eagerStart: options.worker !== undefined && config.eagerWorkflowStart,
    triggers: triggers.pool,
  });
  const app = createApp({ config, client, events, runs: createRunService(client), logger });
  let server: Server;
  try {
    // Listening only once the threads have loaded: the first requests would wait for them otherwise.
    await triggers.pool.ready();
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 hands listen errors (port in use) to the callback.
      const s = app.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(s)));
    });
  } catch (error) {
    await triggers.release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await triggers.release();
      await connection?.close();
    },
  };
}
