import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { always, crm } from '../helpers/crm';
import { RecordLockModel } from '../../src/models/record-lock.model';
import { eventually, startHarness, type Harness } from '../helpers/harness';

/** Step outputs feeding later steps, update filters, error routes and failures, on the real servers. */
let h: Harness;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('steps');
  api = crm(h, (await h.createOrg()).apiKey);
});
afterAll(() => h?.close());

const stepIds = (run: { steps: { id: string; status: string }[] }) => run.steps.map((s) => `${s.id}:${s.status}`);

describe('referencing earlier steps', () => {
  it('looks up a conversation, then updates its customer through /#steps.<id>.customer', async () => {
    const wf = await api.createWorkflow({
      name: 'vip-from-webhook',
      enabled: true,
      trigger: { eventName: 'acme.crm-sync', transitions: [{ target: 'iYxqdtG83' }] },
      steps: [
        {
          id: 'iYxqdtG83',
          action: 'kustomer.conversation.find-by-id',
          params: { id: '/#steps.1.conversationId' },
          transitions: [{ target: 'update', condition: { op: 'exists', values: ['/#steps.iYxqdtG83.id'] } }],
        },
        {
          id: 'update',
          action: 'kustomer.customer.update',
          params: {
            id: '/#steps.iYxqdtG83.customer',
            custom: {
              vipBool: '/#steps.1.vip',
              tierStr: '{{toUpper steps.1.tier}}',
              ordersNum: '/#fn:parseInt,steps.1.orders',
            },
          },
        },
      ],
    });
    const customer = await api.createCustomer({ name: 'Cy', custom: { keepStr: 'kept' } });
    const conversation = await api.createConversation({ customer: customer.id });
    const posted = await api.call(
      'POST',
      '/v1/events',
      {
        name: 'acme.crm-sync',
        data: { conversationId: conversation.id, vip: true, tier: 'gold', orders: '12' },
      },
      202,
    );
    expect(posted.runs).toEqual([{ id: expect.stringMatching(/^run-/), workflow: wf.id }]);

    const run = await h.waitForRun(api.key, posted.runs[0].id);
    expect(stepIds(run)).toEqual(['1:completed', 'iYxqdtG83:completed', 'update:completed']);
    expect(run.steps[2].input).toEqual({ id: customer.id, custom: { vipBool: true, tierStr: 'GOLD', ordersNum: 12 } });
    const updated = await api.call('GET', `/v1/customers/${customer.id}`);
    expect(updated.custom).toEqual({ keepStr: 'kept', vipBool: true, tierStr: 'GOLD', ordersNum: 12 });
  });

  it('ends the branch when a lookup finds nothing', async () => {
    const wf = await api.createWorkflow({
      name: 'lookup-miss',
      enabled: true,
      trigger: { eventName: 'lookup.miss', transitions: [{ target: 'find' }] },
      steps: [
        {
          id: 'find',
          action: 'customer.find',
          params: { identifier: '/#steps.1.email' },
          transitions: [{ target: 'touch', condition: { op: 'exists', values: ['/#steps.find.id'] } }],
        },
        { id: 'touch', action: 'customer.update', params: { id: '/#steps.find.id', name: 'found' } },
      ],
    });
    const posted = await api.call(
      'POST',
      '/v1/events',
      { name: 'lookup.miss', data: { email: 'nobody@example.com' } },
      202,
    );
    const run = await h.waitForRun(api.key, posted.runs[0].id);
    expect(run.status).toBe('completed');
    expect(stepIds(run)).toEqual(['1:completed', 'find:completed']);
    expect(run.steps[1].output).toEqual({});
    void wf;
  });

  it('captures data with a regex and stores a capture group', async () => {
    const wf = await api.createWorkflow({
      name: 'order-number',
      enabled: true,
      trigger: {
        eventName: 'message.create',
        transitions: [{ target: 're', condition: { op: 'contains', values: ['/#steps.1.body', 'Order'] } }],
      },
      steps: [
        {
          id: 're',
          action: 'kustomer.regex-match.generic',
          params: { testString: '/#steps.1.body', regex: 'Order #(?P<number>\\d+)' },
          transitions: [{ target: 'save', condition: { op: 'exists', values: ['/#steps.re.match'] } }],
        },
        {
          id: 'save',
          action: 'customer.update',
          params: { id: '/#steps.1.customer', custom: { lastOrderStr: '/#steps.re.groups.0' } },
        },
      ],
    });
    const customer = await api.createCustomer({ name: 'Di' });
    const conversation = await api.createConversation({ customer: customer.id, channels: ['chat'] });
    await api.createMessage({
      conversation: conversation.id,
      channel: 'chat',
      direction: 'in',
      body: 'Where is Order #4521?',
    });
    const [run] = await api.finishedRuns(wf.id);
    expect(run.steps[1].output).toEqual({ match: 'Order #4521', groups: ['4521'], named: { number: '4521' } });
    expect((await api.call('GET', `/v1/customers/${customer.id}`)).custom).toEqual({ lastOrderStr: '4521' });
  });
});

describe('update triggers', () => {
  it('runs only for the change the trigger filters on (changes.attributes.status.after)', async () => {
    const wf = await api.createWorkflow({
      name: 'closed-followup',
      enabled: true,
      trigger: {
        eventName: 'kustomer.conversation.update',
        transitions: [
          { target: 'note', condition: { op: 'eq', values: ['/#steps.1.changes.attributes.status.after', 'done'] } },
        ],
      },
      steps: [
        {
          id: 'note',
          action: 'kustomer.note.create',
          params: { conversation: '/#steps.1.id', body: 'Closed (was {{steps.1.changes.attributes.status.before}}).' },
          transitions: [{ target: 'priority', condition: always }],
        },
        // Its own update emits conversation.update too; that must not start this workflow again.
        { id: 'priority', action: 'conversation.update', params: { id: '/#steps.1.id', priority: '{{math 2 "+" 2}}' } },
      ],
    });
    const customer = await api.createCustomer({ name: 'Ed' });
    const conversation = await api.createConversation({ customer: customer.id });
    const priorityOnly = await api.write('PATCH', `/v1/conversations/${conversation.id}`, { priority: 2 });
    const closed = await api.write('PATCH', `/v1/conversations/${conversation.id}`, { status: 'done' });

    expect((await api.event(priorityOnly.eventId)).skipped).toContainEqual(
      expect.objectContaining({ workflow: wf.id, reason: 'trigger_condition_false' }),
    );
    const closedEvent = await api.event(closed.eventId);
    expect(closedEvent.data.changes.attributes.status).toEqual({ op: 'replace', before: 'open', after: 'done' });
    const run = await h.waitForRun(api.key, closedEvent.runs[0].id);
    expect(stepIds(run)).toEqual(['1:completed', 'note:completed', 'priority:completed']);
    expect(run.steps[1].output).toMatchObject({ conversation: conversation.id, body: 'Closed (was open).' });
    expect(await api.getConversation(conversation.id)).toMatchObject({ status: 'done', priority: 4 });
    expect(await api.runsOf(wf.id)).toHaveLength(1);
  });
});

describe('errors', () => {
  it('follows errorCases with the error at /#error.code and /#error.message', async () => {
    const wf = await api.createWorkflow({
      name: 'error-route',
      enabled: true,
      trigger: { eventName: 'conversation.create', transitions: [{ target: 'bad' }] },
      steps: [
        {
          id: 'bad',
          action: 'conversation.update',
          params: { id: 'does-not-exist', status: 'done' },
          transitions: [{ target: 'never', condition: always }],
          errorCases: [
            {
              target: 'flag',
              condition: { op: 'eq', values: ['/#error.code', 'not_found'] },
            },
          ],
        },
        { id: 'never', action: 'conversation.append-tags', params: { id: '/#steps.1.id', tags: ['never'] } },
        {
          id: 'flag',
          action: 'conversation.update',
          params: { id: '/#steps.1.id', custom: { lastErrorStr: '{{{error.message}}}' }, tags: ['workflow-error'] },
          transitions: [{ target: 'note', condition: always }],
        },
        // The error stays readable in the steps after the error route.
        {
          id: 'note',
          action: 'note.create',
          params: { conversation: '/#steps.1.id', body: 'Failed with {{error.code}}' },
        },
      ],
    });
    const customer = await api.createCustomer({ name: 'Fa' });
    const conversation = await api.createConversation({ customer: customer.id });
    const [run] = await api.finishedRuns(wf.id);
    expect(run.status).toBe('completed');
    expect(stepIds(run)).toEqual(['1:completed', 'bad:failed', 'flag:completed', 'note:completed']);
    expect(run.steps[3].output.body).toBe('Failed with not_found');
    expect(run.steps[1].error).toEqual({ code: 'not_found', message: 'conversation "does-not-exist" was not found' });
    expect(await api.getConversation(conversation.id)).toMatchObject({
      tags: ['workflow-error'],
      custom: { lastErrorStr: 'conversation "does-not-exist" was not found' },
    });
  });

  it('fails the run when no error case matches, recording the step error', async () => {
    const wf = await api.createWorkflow({
      name: 'fails',
      enabled: true,
      trigger: { eventName: 'fail.now', transitions: [{ target: 'bad' }] },
      steps: [
        {
          id: 'bad',
          action: 'conversation.update',
          // The reference is missing, so `id` is left out and the params do not fit the action.
          params: { id: '/#steps.1.nothing', priority: 3 },
          errorCases: [{ target: 'other', condition: { op: 'eq', values: ['/#error.code', 'not_found'] } }],
        },
        { id: 'other', action: 'customer.find', params: { identifier: 'x' } },
      ],
    });
    const posted = await api.call('POST', '/v1/events', { name: 'fail.now', data: {} }, 202);
    const run = await h.waitForRun(api.key, posted.runs[0].id);
    expect(run.status).toBe('failed');
    expect(stepIds(run)).toEqual(['1:completed', 'bad:failed']);
    expect(run.steps[1].error.code).toBe('invalid_params');
    expect(run.steps[1].error.message).toContain('params.id');
    expect((await api.call('GET', `/v1/runs?workflow=${wf.id}&status=failed`)).runs).toHaveLength(1);
  });
});

describe('POST /v1/runs/:id/cancel', () => {
  it('cancels a run in flight; the waiting step ends canceled', async () => {
    const wf = await api.createWorkflow({
      name: 'cancellable',
      enabled: true,
      trigger: { eventName: 'cancel.me', transitions: [{ target: 'tag' }] },
      steps: [
        { id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['late'] } },
      ],
    });
    const customer = await api.createCustomer({ name: 'Gus' });
    const conversation = await api.createConversation({ customer: customer.id });
    // Someone holds the conversation's record lock, so the step's write waits.
    await RecordLockModel.create({ _id: `conversation:${conversation.id}`, owner: 'test', takenAt: new Date() });
    try {
      const posted = await api.call(
        'POST',
        '/v1/events',
        { name: 'cancel.me', data: { conversation: conversation.id } },
        202,
      );
      const runId = posted.runs[0].id;
      await eventually(async () => {
        const run = await api.call('GET', `/v1/runs/${runId}`);
        return run.steps.some((s: { id: string; status: string }) => s.id === 'tag' && s.status === 'running')
          ? run
          : undefined;
      });
      const canceled = await api.call('POST', `/v1/runs/${runId}/cancel`, undefined, 202);
      expect(canceled.id).toBe(runId);
      const run = await h.waitForRun(api.key, runId);
      expect(run.status).toBe('canceled');
      expect(stepIds(run)).toEqual(['1:completed', 'tag:canceled']);
      expect((await api.call('GET', `/v1/runs?workflow=${wf.id}&status=canceled`)).runs).toHaveLength(1);
    } finally {
      await RecordLockModel.deleteOne({ _id: `conversation:${conversation.id}` });
    }
  });
});
