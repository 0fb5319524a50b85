import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApi, type RunningApi } from '../../src/runtime/api.runtime';
import { connectMongo, disconnectMongo } from '../../src/runtime/mongo';
import { mongoUriFor } from '../helpers/servers';

/** The healthy case is in api-workflows.test.ts; here the API runs with no worker on its task queue. */
let api: RunningApi;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    MONGODB_URI: mongoUriFor(`sb_health_${randomBytes(4).toString('hex')}`),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    TEMPORAL_TASK_QUEUE: `nobody-polls-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'silent',
  }) as ReturnType<typeof loadConfig> & { temporalAddress: string; mongoUri: string };
  await connectMongo(config.mongoUri);
  api = await startApi(config, createLogger('silent', 'test-health'));
});
afterAll(async () => {
  await api?.close();
  await disconnectMongo();
});

describe('GET /healthz', () => {
  it('answers 503 naming the worker when no worker polls the task queue', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.checks.mongodb).toBe('ok');
    expect(body.checks.temporal).toBe('ok');
    expect(body.checks.worker).toMatch(/^down: no worker polls task queue "nobody-polls-/);
  });
});
