import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { loadConfig, loadDevConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApi, type RunningApi } from '../../src/runtime/api.runtime';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import { startWorker, type RunningWorker } from '../../src/runtime/worker.runtime';
import { mongoUriFor, workflowBundle } from './servers';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
  body: any;
}

export interface Harness {
  config: Config & { temporalAddress: string };
  client: Client;
  url: string;
  rootKey: string;
  request(
    method: string,
    path: string,
    opts?: { body?: unknown; key?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  createOrg(name?: string): Promise<{ id: string; apiKey: string }>;
  /** Waits for a run to close and returns `GET /v1/runs/:id` (a run's id is its Temporal workflow id). */
  waitForRun(key: string, temporalWorkflowId: string): Promise<ApiResponse['body']>;
  close(): Promise<void>;
}

/**
 * A worker and the API against the real Temporal and MongoDB-compatible servers started by the
 * global setup, with a database and a task queue of their own, so test files never see each
 * other's data or runs.
 */
export async function startHarness(
  name: string,
  env: Record<string, string> = {},
  options: { logStream?: DestinationStream } = {},
): Promise<Harness> {
  const suffix = randomBytes(4).toString('hex');
  const rootKey = `root-${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    ROOT_API_KEY: rootKey,
    MONGODB_URI: mongoUriFor(`sb_${name}_${suffix}`),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    TEMPORAL_TASK_QUEUE: `test-${name}-${suffix}`,
    LOG_LEVEL: loadDevConfig().testLogLevel,
    ACTIVITY_INITIAL_INTERVAL_MS: '100',
    ACTIVITY_MAXIMUM_INTERVAL_MS: '500',
    ACTIVITY_MAX_ATTEMPTS: '3',
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost',
    ...env,
  }) as Config & { temporalAddress: string; mongoUri: string };
  const logger = createLogger(config.logLevel, `test-${name}`, options.logStream);
  await connectMongo(config.mongoUri);
  const worker: RunningWorker = await startWorker(config, logger, { workflowBundle: workflowBundle() });
  const api: RunningApi = await startApi(config, logger);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.namespace });

  const request: Harness['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  return {
    config,
    client,
    url: api.url,
    rootKey,
    request,
    async createOrg(orgName = 'acme') {
      const res = await request('POST', '/v1/orgs', { key: rootKey, body: { name: orgName } });
      if (res.status !== 201) throw new Error(`createOrg: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; apiKey: string };
    },
    async waitForRun(key, temporalWorkflowId) {
      try {
        await client.workflow.getHandle(temporalWorkflowId).result();
      } catch (error) {
        if (!(error instanceof WorkflowFailedError)) throw error;
      }
      const res = await request('GET', `/v1/runs/${temporalWorkflowId}`, { key });
      if (res.status !== 200) throw new Error(`GET run: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async close() {
      await api.close();
      await worker.shutdown();
      await connection.close();
      await disconnectMongo();
    },
  };
}

/** Polls until `check` returns a value other than undefined (visibility and cascades are eventually consistent). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
