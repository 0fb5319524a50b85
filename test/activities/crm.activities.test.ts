import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import { createdRecordId, stepKey } from '../../src/activities/action-context';
import { ActionLogModel } from '../../src/models/action-log.model';
import { EventModel } from '../../src/models/event.model';
import { MessageModel } from '../../src/models/message.model';
import type { JsonObject } from '../../src/core/json';
import type { ActionInput } from '../../src/workflows/run.types';
import { actionInput, crm } from '../helpers/crm';
import { activitiesOf } from '../helpers/activities';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * Activities are idempotent: a retry, or a worker that crashed after writing but before reporting,
 * must not duplicate a record, a message or an event. Here the activities are called directly (as
 * Temporal would on each attempt) against the real database, with the real event dispatcher.
 */
let h: Harness;
let api: ReturnType<typeof crm>;
let org: string;
let activities: Activities;
const env = new MockActivityEnvironment();

beforeAll(async () => {
  h = await startHarness('activities');
  const created = await h.createOrg();
  org = created.id;
  api = crm(h, created.apiKey);
  activities = activitiesOf(h);
});
afterAll(() => h?.close());

const input = (action: string, params: Record<string, unknown>): ActionInput => actionInput(org, action, params);

describe('message.create', () => {
  it('writes one message and one event however often it is retried', async () => {
    const customer = await api.createCustomer({ name: 'Kim' });
    const conversation = await api.createConversation({ customer: customer.id, channels: ['sms'] });
    const call = input('message.create', { conversation: conversation.id, body: 'On our way' });

    const first = await env.run(activities['message.create'], call);
    const second = await env.run(activities['message.create'], call);
    expect(second).toEqual(first);
    expect(first).toMatchObject({
      direction: 'out',
      directionType: 'initial-out',
      channel: 'sms',
      customer: customer.id,
    });

    // A crash after the write but before the step was marked done: the retry re-applies the stored plan.
    await ActionLogModel.updateOne(
      { _id: `${call.temporalWorkflowId}:step1` },
      { $set: { status: 'planned' }, $unset: { outputJson: 1 } },
    );
    const third = await env.run(activities['message.create'], call);
    expect(third).toEqual(first);

    expect(await MessageModel.countDocuments({ org, conversation: conversation.id })).toBe(1);
    expect((await api.getConversation(conversation.id)).messageCount).toBe(1);
    expect(await EventModel.countDocuments({ org, 'origin.run': call.temporalWorkflowId })).toBe(2); // message.create + conversation.update
  });
});

describe('conversation.update', () => {
  it('publishes the change it planned on the first attempt, even when retried after the write', async () => {
    const customer = await api.createCustomer({ name: 'Lu' });
    const conversation = await api.createConversation({ customer: customer.id });
    const call = input('conversation.update', { id: conversation.id, status: 'done' });
    const first = await env.run(activities['conversation.update'], call);
    await ActionLogModel.updateOne(
      { _id: `${call.temporalWorkflowId}:step1` },
      { $set: { status: 'planned' }, $unset: { outputJson: 1 } },
    );
    const retried = await env.run(activities['conversation.update'], call);
    expect(retried).toEqual(first);
    const events = await EventModel.find({ org, 'origin.run': call.temporalWorkflowId }).lean();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.dataJson).changes.attributes.status).toEqual({
      op: 'replace',
      before: 'open',
      after: 'done',
    });
  });
});

describe('customer.create', () => {
  it('creates the customer once, with an id derived from the run and step', async () => {
    const call = input('customer.create', { name: 'Mo', email: 'mo@example.com', custom: { 'a.b': [[1], { $x: 1 }] } });
    const a = (await env.run(activities['customer.create'], call)) as JsonObject;
    await ActionLogModel.deleteOne({ _id: `${call.temporalWorkflowId}:step1` });
    const b = (await env.run(activities['customer.create'], call)) as JsonObject;
    expect(b.id).toBe(a.id);
    expect(a.custom).toEqual({ 'a.b': [[1], { $x: 1 }] });
    const found = await api.call('GET', '/v1/customers?email=MO@example.com');
    expect(found.customers).toHaveLength(1);
  });
});

describe('invalid params', () => {
  it('fails without retry, naming the param', async () => {
    const call = input('conversation.update', { priority: 'high' });
    await expect(env.run(activities['conversation.update'], call)).rejects.toMatchObject({
      type: 'invalid_params',
      nonRetryable: true,
      message: expect.stringMatching(/params\.id.*params\.priority|params\.priority.*params\.id/),
    });
  });
});

describe('regex-match.generic', () => {
  it('fails without retry (invalid_regex) on a pattern RE2 refuses, which can come from data at run time', async () => {
    const call = input('regex-match.generic', { regex: '(?<=a)b', testString: 'ab' });
    await expect(env.run(activities['regex-match.generic'], call)).rejects.toMatchObject({
      type: 'invalid_regex',
      nonRetryable: true,
      message: expect.stringContaining('RE2 cannot compile "(?<=a)b"'),
    });
    await expect(env.run(activities.regexTest, '(a)\\1', 'aa')).rejects.toMatchObject({
      type: 'invalid_regex',
      nonRetryable: true,
    });
  });
});

describe('concurrent writes to one record', () => {
  it('lose no update when several runs change the same conversation at once', async () => {
    const customer = await api.createCustomer({ name: 'Ny' });
    const conversation = await api.createConversation({ customer: customer.id });
    const tags = ['t1', 't2', 't3', 't4', 't5', 't6'];
    await Promise.all(
      tags.map((tag) =>
        env.run(
          activities['conversation.append-tags'],
          input('conversation.append-tags', { id: conversation.id, tags: [tag] }),
        ),
      ),
    );
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        env.run(
          activities['message.create'],
          input('message.create', { conversation: conversation.id, body: `reply ${n}` }),
        ),
      ),
    );
    const after = await api.getConversation(conversation.id);
    expect([...after.tags].sort()).toEqual(tags);
    expect(after.messageCount).toBe(4);
  });

  it('does not apply a write twice when retried after someone else changed the record', async () => {
    const customer = await api.createCustomer({ name: 'Oz' });
    const conversation = await api.createConversation({ customer: customer.id });
    const call = input('message.create', { conversation: conversation.id, body: 'once' });
    await env.run(activities['message.create'], call);
    // The worker crashed before recording completion; meanwhile a person edited the conversation.
    await ActionLogModel.updateOne(
      { _id: `${call.temporalWorkflowId}:step1` },
      { $set: { status: 'planned' }, $unset: { outputJson: 1 } },
    );
    await api.patchConversation(conversation.id, { priority: 3 });
    await env.run(activities['message.create'], call);
    expect(await api.getConversation(conversation.id)).toMatchObject({ messageCount: 1, priority: 3 });
  });
});

describe('plans stored before plans named their record kind', () => {
  /** A step whose first attempt (by the code before the deploy) stored `plan` and died before applying it. */
  const storedByOldCode = (call: ActionInput, plan: JsonObject) =>
    ActionLogModel.create({
      _id: stepKey(call),
      org,
      action: call.action,
      status: 'planned',
      planJson: JSON.stringify(plan),
    });
  const at = new Date().toISOString();

  it('applies a stored create plan without a kind (the retry does not plan again)', async () => {
    const call = input('customer.create', { name: 'Planned later' });
    const id = createdRecordId(call);
    const record = {
      id,
      name: 'Planned first',
      emails: [],
      phones: [],
      externalId: null,
      custom: {},
      createdAt: at,
      updatedAt: at,
    };
    await storedByOldCode(call, { type: 'create', record });
    expect(await env.run(activities['customer.create'], call)).toEqual(record);
    expect(await api.call('GET', `/v1/customers/${id}`)).toEqual(record);
    const events = await EventModel.find({ org, 'origin.run': call.temporalWorkflowId }).lean();
    expect(events.map((e) => [e.name, e.write?.kind, e.write?.id])).toEqual([['customer.create', 'customer', id]]);
  });

  it('applies a stored update plan without a kind', async () => {
    const customer = await api.createCustomer({ name: 'Ula' });
    const before = await api.createConversation({ customer: customer.id });
    // The params ask for another change: the stored plan's edit is the one applied.
    const call = input('conversation.update', { id: before.id, priority: 2 });
    const edit = { type: 'conversation.patch', patch: { status: 'done' } };
    await storedByOldCode(call, {
      type: 'update',
      id: before.id,
      edit,
      before,
      after: { ...before, status: 'done', updatedAt: at },
    });
    const output = await env.run(activities['conversation.update'], call);
    expect(output).toEqual({ ...before, status: 'done', updatedAt: at });
    expect(await api.getConversation(before.id)).toEqual(output);
    const events = await EventModel.find({ org, 'origin.run': call.temporalWorkflowId }).lean();
    expect(events.map((e) => [e.name, e.write?.kind])).toEqual([['conversation.update', 'conversation']]);
  });

  it('applies a stored message plan whose parts name no kind', async () => {
    const customer = await api.createCustomer({ name: 'Vi' });
    const conversation = await api.createConversation({ customer: customer.id, channels: ['sms'] });
    const call = input('message.create', { conversation: conversation.id, body: 'planned later' });
    const message = {
      id: createdRecordId(call),
      conversation: conversation.id,
      customer: customer.id,
      channel: 'sms',
      direction: 'out',
      directionType: 'initial-out',
      subject: null,
      body: 'planned first',
      createdAt: at,
      updatedAt: at,
    };
    const edit = { type: 'conversation.message-added', direction: 'out', channel: 'sms', at };
    const after = { ...conversation, updatedAt: at, messageCount: 1, lastMessageAt: at, lastMessageOutAt: at };
    await storedByOldCode(call, {
      message: { type: 'create', record: message },
      conversation: { type: 'update', id: conversation.id, edit, before: conversation, after },
    });
    expect(await env.run(activities['message.create'], call)).toEqual(message);
    expect(await api.messagesOf(conversation.id)).toEqual([message]);
    expect(await api.getConversation(conversation.id)).toEqual(after);
    const events = await EventModel.find({ org, 'origin.run': call.temporalWorkflowId }).sort({ name: 1 }).lean();
    expect(events.map((e) => [e.name, e.write?.kind])).toEqual([
      ['conversation.update', 'conversation'],
      ['message.create', 'message'],
    ]);
  });
});
