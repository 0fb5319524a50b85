import { MockActivityEnvironment } from '@temporalio/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../src/activities';
import { createLogger } from '../../src/logger';
import { eventServiceFromConfig } from '../../src/services/events.service';
import type { ActionInput } from '../../src/workflows/run.types';
import { actionInput, crm } from '../helpers/crm';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * Database round trips per write path, counted at the driver (every command mongoose sends), so that a
 * change which adds one to the hot path shows here. The figures, and those before they were cut, are in
 * the README ("Performance"). Counted with no workflow listening to the events the writes cause; a
 * listening workflow adds the start of its run (Temporal, not the database). An event about a record
 * costs one more (`waits.find`: the runs waiting for it, see wait.model.ts), one with no record id none.
 */
let h: Harness;
let api: ReturnType<typeof crm>;
let key: string;
let org: string;
let activities: Activities;
const env = new MockActivityEnvironment();
let commands: string[] = [];

async function counted(fn: () => Promise<unknown>): Promise<string[]> {
  commands = [];
  await fn();
  return commands;
}

beforeAll(async () => {
  h = await startHarness('roundtrips');
  const created = await h.createOrg();
  org = created.id;
  key = created.apiKey;
  api = crm(h, key);
  const logger = createLogger('silent', 'test');
  activities = createActivities({ events: eventServiceFromConfig(h.config, h.client, logger), logger });
  // Warm the org-key cache (one lookup a minute per key) so each path is counted as it runs in steady state.
  await api.createCustomer({ name: 'warm' });
  mongoose.set('debug', (collection: string, method: string) => {
    commands.push(`${collection}.${method}`);
  });
});
afterAll(async () => {
  mongoose.set('debug', false);
  await h?.close();
});

const input = (action: string, params: Record<string, unknown>): ActionInput => actionInput(org, action, params);

describe('database round trips', () => {
  it('API: POST /v1/customers is 5 (event, customer, listeners, waits, dispatched)', async () => {
    const used = await counted(() => api.createCustomer({ name: 'Ada' }));
    expect(used).toEqual([
      'events.insertOne',
      'customers.insertOne',
      'workflows.find',
      'waits.find',
      'events.updateOne',
    ]);
  });

  it('API: PATCH /v1/conversations/:id is 9 (plan read, lock, read, event, write, unlock, listeners, waits, dispatched)', async () => {
    const customer = await api.createCustomer({ name: 'Bo' });
    const conversation = await api.createConversation({ customer: customer.id });
    const used = await counted(() => api.patchConversation(conversation.id, { priority: 3 }));
    expect(used).toEqual([
      'conversations.findOne',
      'record_locks.insertOne',
      'conversations.findOne',
      'events.insertOne',
      'conversations.updateOne',
      'record_locks.deleteOne',
      'workflows.find',
      'waits.find',
      'events.updateOne',
    ]);
  });

  it('API: POST /v1/events with no listener is 2 (listeners, event stored dispatched)', async () => {
    const used = await counted(() =>
      h.request('POST', '/v1/events', { key, body: { name: 'nobody.listens', data: {} } }),
    );
    expect(used).toEqual(['workflows.find', 'events.insertOne']);
  });

  it('step: conversation.append-tags is 11 on its first attempt', async () => {
    const customer = await api.createCustomer({ name: 'Cy' });
    const conversation = await api.createConversation({ customer: customer.id });
    const call = input('conversation.append-tags', { id: conversation.id, tags: ['vip'] });
    const used = await counted(() => env.run(activities['conversation.append-tags'], call));
    expect(used).toEqual([
      'conversations.findOne', // plan: the record as it is
      'action_log.insertOne', // the plan, stored under (run, step)
      'record_locks.insertOne',
      'conversations.findOne', // the record under the lock
      'events.insertOne', // outbox: the event before the write
      'conversations.updateOne',
      'record_locks.deleteOne',
      'workflows.find', // dispatch: who listens
      'waits.find', // dispatch: which runs wait for this event on this record
      'events.updateOne', // dispatched
      'action_log.updateOne', // done, with the output
    ]);
  });

  it('step: note.create is 8 on its first attempt', async () => {
    const customer = await api.createCustomer({ name: 'Di' });
    const conversation = await api.createConversation({ customer: customer.id });
    const call = input('note.create', { conversation: conversation.id, body: 'hello' });
    const used = await counted(() => env.run(activities['note.create'], call));
    expect(used).toEqual([
      'conversations.findOne',
      'action_log.insertOne',
      'events.insertOne',
      'notes.insertOne',
      'workflows.find',
      'waits.find',
      'events.updateOne',
      'action_log.updateOne',
    ]);
  });

  it('step: conversation.find-by-id is 1', async () => {
    const customer = await api.createCustomer({ name: 'Ed' });
    const conversation = await api.createConversation({ customer: customer.id });
    const used = await counted(() =>
      env.run(activities['conversation.find-by-id'], input('conversation.find-by-id', { id: conversation.id })),
    );
    expect(used).toEqual(['conversations.findOne']);
  });
});
