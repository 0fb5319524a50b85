import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.admin';
import { mongoUriFor, timeSkippingServer } from '../helpers/servers';

describe('Temporal dev server', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('answers getSystemInfo', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBeTruthy();
  });

  it('has the Switchboard search attributes, and ensureSearchAttributes is idempotent', async () => {
    const namespace = inject('temporalNamespace');
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    const indexedValueType = { KEYWORD: 2, DATETIME: 6 } as Record<string, number>;
    for (const key of SEARCH_ATTRIBUTES) expect(res.customAttributes?.[key.name]).toBe(indexedValueType[key.type]);
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
  });
});

describe('MongoDB-compatible server', () => {
  let conn: mongoose.Connection;
  beforeAll(async () => {
    conn = await mongoose.createConnection(mongoUriFor('infra_smoke')).asPromise();
  });
  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });

  it('answers ping', async () => {
    const res = await conn.db?.command({ ping: 1 });
    expect(res?.ok).toBe(1);
  });

  it('round-trips a document', async () => {
    const Thing = conn.model('Thing', new mongoose.Schema({ name: String, tags: [String], at: Date }));
    const at = new Date('2030-01-02T03:04:05.000Z');
    const created = await Thing.create({ name: 'smoke', tags: ['a', 'b'], at });
    const found = await Thing.findById(created._id).lean();
    expect(found).toMatchObject({ name: 'smoke', tags: ['a', 'b'], at });
  });
});

describe('time-skipping test server', () => {
  it('starts and skips two days', async () => {
    const started = Date.now();
    const env = await TestWorkflowEnvironment.createTimeSkipping({ server: timeSkippingServer() });
    const startupMs = Date.now() - started;
    try {
      const before = await env.currentTimeMs();
      // Two days pass on the server's clock; the suite's timeout is what bounds the wall clock.
      await env.sleep('2 days');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(2 * 24 * 3600 * 1000);
    } finally {
      await env.teardown();
    }
    console.info(`time-skipping server started in ${startupMs} ms`);
  });
});
