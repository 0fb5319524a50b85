import { createServer, type Server } from 'node:http';
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
  /**
   * Stops taking connections and requests, answers the requests in flight, then resolves. Requests still
   * running after `graceMs` have their connections cut (a client retries them; writes are idempotent).
   */
  close(graceMs?: number): Promise<void>;
}

/** How long close() lets requests in flight finish; a record lock is waited for 20 s at most. */
const CLOSE_GRACE_MS = 25_000;

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
  let closing = false;
  // server.close() only stops new connections: a keep-alive client could go on sending requests on its
  // open one forever, and the process would never exit. Once closing, every answer ends its connection.
  const server = createServer((req, res) => {
    if (closing) res.setHeader('Connection', 'close');
    app(req, res);
  });
  try {
    // Listening only once the threads have loaded: the first requests would wait for them otherwise.
    await triggers.pool.ready();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await triggers.release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async close(graceMs = CLOSE_GRACE_MS) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections idle now, or once their request in flight is answered, are closed as they get there.
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearInterval(idle);
        clearTimeout(force);
      }
      await triggers.release();
      await connection?.close();
    },
  };
}
