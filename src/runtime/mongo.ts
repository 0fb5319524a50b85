import mongoose, { type ConnectOptions } from 'mongoose';
import type { Logger } from 'pino';

/** A heartbeat may take its connect timeout, or (streaming, on MongoDB) its await time; never this long. */
const CONNECT_TIMEOUT_MS = 10_000;
const HEARTBEAT_FREQUENCY_MS = 10_000;
const STUCK_HEARTBEAT_MS = CONNECT_TIMEOUT_MS + HEARTBEAT_FREQUENCY_MS + 5_000;

let watchdog: NodeJS.Timeout | undefined;

/**
 * One mongoose connection per process. No transactions or change streams are used, so the same code
 * runs on MongoDB and on FerretDB (which has neither); every write is a single-document operation.
 * `logger` hears of the connection being opened again after a stuck heartbeat (see watchHeartbeats).
 */
export async function connectMongo(uri: string, dbName?: string, logger?: Logger): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  // A request waits at most 10 s for a pooled connection (then 503, see isTransient in api/http.ts).
  const options: ConnectOptions = {
    dbName,
    serverSelectionTimeoutMS: 10_000,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
    maxPoolSize: 50,
    waitQueueTimeoutMS: 10_000,
    autoIndex: true,
  };
  await mongoose.connect(uri, options);
  watchHeartbeats(uri, options, logger);
  await mongoose.connection.syncIndexes();
  return mongoose;
}

/**
 * The driver (mongodb 7.8, and 7.9.1 alike) can wait forever for `drain` on a socket that the server
 * closed while a command was being written to it. When that command is a monitor's heartbeat, the
 * monitor never checks the server again: it stays Unknown and every operation fails server selection
 * until the process restarts (the fault suite's database restart left one worker of two so, for good).
 * A heartbeat with no outcome well past its own timeouts is that hang: the connection is opened anew.
 */
function watchHeartbeats(uri: string, options: ConnectOptions, logger: Logger | undefined): void {
  clearInterval(watchdog);
  const pending = new Map<string, number>();
  const attach = (): void => {
    const client = mongoose.connection.getClient();
    client.on('serverHeartbeatStarted', (e) => {
      if (!pending.has(e.connectionId)) pending.set(e.connectionId, Date.now());
    });
    client.on('serverHeartbeatSucceeded', (e) => pending.delete(e.connectionId));
    client.on('serverHeartbeatFailed', (e) => pending.delete(e.connectionId));
  };
  attach();
  let reopening = false;
  const reopen = async (): Promise<void> => {
    for (;;) {
      try {
        // Operations in flight fail (the API answers 503, activities retry); new ones wait for the connection.
        // Not `close(true)`: mongoose refuses every later operation on a force-closed connection.
        await mongoose.connection.close();
        await mongoose.connection.openUri(uri, options);
        attach();
        return;
      } catch (error) {
        logger?.error({ err: error }, 'reconnecting to the database failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  };
  watchdog = setInterval(() => {
    const stuck = [...pending].find(([, since]) => Date.now() - since > STUCK_HEARTBEAT_MS);
    if (!stuck || reopening) return;
    reopening = true;
    logger?.warn({ server: stuck[0], stuckMs: Date.now() - stuck[1] }, 'database heartbeat stuck: reconnecting');
    pending.clear();
    void reopen().finally(() => (reopening = false));
  }, 1_000);
  watchdog.unref();
}

export async function disconnectMongo(): Promise<void> {
  clearInterval(watchdog);
  watchdog = undefined;
  await mongoose.disconnect();
}
