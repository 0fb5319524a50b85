/**
 * The servers of a fault run, started by the dev tooling (scripts/dev/servers.ts) in the shape `npm run dev`
 * uses: a Temporal dev server on a SQLite file and FerretDB on a PostgreSQL cluster, both keeping their data
 * in a throw-away directory so that either can be stopped and started again with its data. TEMPORAL_ADDRESS
 * and MONGODB_URI still win; a scenario that must stop a server it did not start is then skipped.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { loadConfig } from '../../src/config';
import { freePort } from '../../scripts/dev/process-utils';
import { startMongo, startTemporal, type MongoHandle, type TemporalHandle } from '../../scripts/dev/servers';
import { Service } from './services';

export interface Stack {
  client: Client;
  temporal: TemporalHandle;
  mongo: MongoHandle;
  rootKey: string;
  logDir: string;
  /** Our dev servers, not external ones: they can be stopped and started again. */
  ownTemporal: boolean;
  ownDatabase: boolean;
  /** Stops Temporal, waits `downMs`, starts it again on the same port and data. Returns when it answers. */
  restartTemporal(downMs: number): Promise<Outage>;
  /** Stops the database (FerretDB and PostgreSQL), waits `downMs`, starts it again on the same port and data. */
  databaseOutage(downMs: number): Promise<Outage>;
  /** The processes of one scenario: its own database and task queue, two APIs and two workers. */
  processes(scenario: string, logLevel: string): Promise<Processes>;
  stop(): Promise<void>;
}

export interface Processes {
  mongoUri: string;
  taskQueue: string;
  apis: Service[];
  workers: Service[];
  all(): Service[];
}

/** When a server was told to stop, was gone, was told to start, and answered again. */
export interface Outage {
  stoppedAt: number;
  goneAt: number;
  startingAt: number;
  backAt: number;
}

export const describeOutage = (o: Outage): string =>
  `down ${((o.backAt - o.stoppedAt) / 1000).toFixed(1)} s (stopping took ${((o.goneAt - o.stoppedAt) / 1000).toFixed(1)} s, ` +
  `starting ${((o.backAt - o.startingAt) / 1000).toFixed(1)} s)`;

/** Stops a server, waits until `downMs` after the stop began, starts it again. */
async function outage<T>(stop: () => Promise<void>, downMs: number, start: () => Promise<T>): Promise<[Outage, T]> {
  const stoppedAt = Date.now();
  await stop();
  const goneAt = Date.now();
  await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + downMs - Date.now())));
  const startingAt = Date.now();
  const started = await start();
  return [{ stoppedAt, goneAt, startingAt, backAt: Date.now() }, started];
}

const portOf = (address: string): number => Number(new URL(`tcp://${address}`).port);

export async function startStack(): Promise<Stack> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `switchboard-faults-${stamp}-`));
  // PostgreSQL runs as its own user when we are root: it must reach its directory inside.
  fs.chmodSync(base, 0o755);
  const dataDir = path.join(base, 'data');
  const logDir = path.join(base, 'logs');
  fs.mkdirSync(dataDir);
  fs.mkdirSync(logDir);
  const opts = { persistent: true, dataDir, skipMemoryServer: true } as const;

  let mongo = await startMongo(opts);
  let temporal: TemporalHandle;
  try {
    temporal = await startTemporal(opts);
  } catch (error) {
    await mongo.stop();
    throw error;
  }
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const rootKey = `root-${randomBytes(12).toString('hex')}`;
  // Production processes need a secrets key; every API and worker of the stack shares this one.
  const secretsKey = randomBytes(32).toString('base64');
  const hostname = os.hostname();

  const polling = (taskQueue: string) => async (pid: number) => {
    const response = await client.workflowService.describeTaskQueue({
      namespace: temporal.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (response.pollers ?? []).some((p) => p.identity === `${pid}@${hostname}`);
  };

  const stack: Stack = {
    client,
    get temporal() {
      return temporal;
    },
    get mongo() {
      return mongo;
    },
    rootKey,
    logDir,
    ownTemporal: temporal.kind === 'dev-server',
    ownDatabase: mongo.kind === 'ferretdb',
    async restartTemporal(downMs) {
      const port = portOf(temporal.address);
      const [times, started] = await outage(temporal.stop, downMs, () => startTemporal({ ...opts, port }));
      temporal = started;
      return times;
    },
    async databaseOutage(downMs) {
      const port = Number(new URL(mongo.uri).port);
      const [times, started] = await outage(mongo.stop, downMs, () => startMongo({ ...opts, port }));
      mongo = started;
      return times;
    },
    async processes(scenario, logLevel) {
      const uri = new URL(mongo.uri);
      uri.pathname = `/faults_${scenario.replace(/\W/g, '_')}`;
      const taskQueue = `faults-${scenario}-${randomBytes(3).toString('hex')}`;
      const env = {
        NODE_ENV: 'production',
        ROOT_API_KEY: rootKey,
        SECRETS_KEY: secretsKey,
        MONGODB_URI: uri.toString(),
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
        LOG_LEVEL: logLevel,
      };
      const isPolled = polling(taskQueue);
      const apis = [
        new Service(`${scenario}-api-a`, 'api', env, logDir, isPolled, await freePort()),
        new Service(`${scenario}-api-b`, 'api', env, logDir, isPolled, await freePort()),
      ];
      const workers = [
        new Service(`${scenario}-worker-a`, 'worker', env, logDir, isPolled),
        new Service(`${scenario}-worker-b`, 'worker', env, logDir, isPolled),
      ];
      return { mongoUri: uri.toString(), taskQueue, apis, workers, all: () => [...apis, ...workers] };
    },
    async stop() {
      await connection.close().catch(() => undefined);
      await Promise.allSettled([temporal.stop(), mongo.stop()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // External servers named by the environment cannot be stopped by us.
  const { temporalAddress, mongoUri } = loadConfig();
  if (temporalAddress) stack.ownTemporal = false;
  if (mongoUri) stack.ownDatabase = false;
  return stack;
}
