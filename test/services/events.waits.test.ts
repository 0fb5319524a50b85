import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaitModel } from '../../src/models/wait.model';
import { always, crm } from '../helpers/crm';
import { eventually, startHarness, type Harness } from '../helpers/harness';

/**
 * Events reaching runs that wait (`wait-for-event`) through the `waits` collection, end to end: the
 * step stores its wait, a real API write publishes an event about the same record, dispatch signals
 * the run, and the wait is removed.
 */
let h: Harness;
let api: ReturnType<typeof crm>;
let org: string;

beforeAll(async () => {
  h = await startHarness('waits');
  const created = await h.createOrg();
  org = created.id;
  api = crm(h, created.apiKey);
});
afterAll(() => h?.close());

describe('event dispatch to waiting runs', () => {
  it('answers a run waiting for the customer to reply with the message the customer writes', async () => {
    const workflow = (
      await api.createWorkflow({
        name: 'await-reply',
        enabled: true,
        trigger: { eventName: 'kustomer.conversation.create', transitions: [{ target: 'reply', condition: always }] },
        steps: [
          {
            id: 'reply',
            action: 'wait-for-event',
            params: {
              eventName: 'kustomer.message.create',
              timeout: 'P1D',
              condition: { op: 'eq', values: ['/#steps.reply.direction', 'in'] },
            },
            transitions: [{ target: 'tag', condition: { op: 'eq', values: ['/#steps.reply.timedOut', false] } }],
          },
          { id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.id', tags: ['replied'] } },
        ],
      })
    ).id as string;
    const customer = await api.createCustomer({ name: 'Ann' });
    const conversation = await api.createConversation({ customer: customer.id, name: 'Refund' });
    const [summary] = await eventually(async () => {
      const runs = await api.runsOf(workflow);
      return runs.length > 0 ? runs : undefined;
    });
    const waiting = await eventually(async () => {
      const run = await api.call('GET', `/v1/runs/${summary.id}`);
      return run.waiting ? run : undefined;
    });
    expect(waiting.waiting).toMatchObject({
      step: 'reply',
      kind: 'event',
      eventName: 'message.create',
      key: conversation.id,
    });
    expect(await WaitModel.find({ org }).lean()).toEqual([
      expect.objectContaining({ eventName: 'message.create', key: conversation.id, temporalWorkflowId: summary.id }),
    ]);

    // An agent's outbound message does not answer; the customer's reply does.
    await api.createMessage({ conversation: conversation.id, channel: 'email', direction: 'out', body: 'Any news?' });
    const reply = await api.write(
      'POST',
      '/v1/messages',
      { conversation: conversation.id, channel: 'email', direction: 'in', body: 'Yes, thanks' },
      201,
    );
    const run = await h.waitForRun(api.key, summary.id);
    expect(run.status).toBe('completed');
    expect(run.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      '1:completed',
      'reply:completed',
      'tag:completed',
    ]);
    const output = run.steps[1].output;
    expect(output.timedOut).toBe(false);
    expect(output.event).toMatchObject({ id: reply.eventId, name: 'message.create' });
    expect(output.event.data).toMatchObject({ id: reply.record.id, body: 'Yes, thanks', direction: 'in' });
    expect(run.waiting).toBeUndefined();
    expect((await api.getConversation(conversation.id)).tags).toContain('replied');
    expect(await WaitModel.countDocuments({ org })).toBe(0);
  });

  it('answers a run waiting for a custom event about its record (POST /v1/events), once per event id', async () => {
    const workflow = (
      await api.createWorkflow({
        name: 'await-shipping',
        enabled: true,
        trigger: { eventName: 'order.placed', transitions: [{ target: 'shipped' }] },
        steps: [
          {
            id: 'shipped',
            action: 'wait-for-event',
            params: { eventName: 'order.shipped', key: '/#steps.1.order', timeout: 'P1D' },
          },
        ],
      })
    ).id as string;
    const placed = await api.call('POST', '/v1/events', { name: 'order.placed', data: { order: 'o-42' } }, 202);
    expect(placed.runs).toEqual([{ id: expect.any(String), workflow }]);
    const runId: string = placed.runs[0].id;
    await eventually(async () => ((await api.call('GET', `/v1/runs/${runId}`)).waiting ? true : undefined));
    const shipped = { name: 'order.shipped', data: { id: 'o-42', carrier: 'ups' } };
    const post = () =>
      h.request('POST', '/v1/events', { key: api.key, body: shipped, headers: { 'idempotency-key': 'ship-o-42' } });
    const first = await post();
    expect(first.status).toBe(202);
    expect((await post()).body).toEqual(first.body);
    const run = await h.waitForRun(api.key, runId);
    expect(run.steps[1].output).toEqual({
      timedOut: false,
      event: { id: first.body.eventId, name: 'order.shipped', data: { id: 'o-42', carrier: 'ups' } },
    });
  });

  it('removes a wait whose run is gone when an event for it arrives', async () => {
    await WaitModel.create({
      _id: 'wait-of-a-gone-run',
      org,
      eventName: 'order.shipped',
      key: 'order-1',
      temporalWorkflowId: 'run-that-never-existed',
      stepId: 'wait',
      createdAt: new Date(),
    });
    await api.call('POST', '/v1/events', { name: 'order.shipped', data: { id: 'order-1' } }, 202);
    expect(await WaitModel.findById('wait-of-a-gone-run').lean()).toBeNull();
  });
});
