import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventModel } from '../../src/models/event.model';
import { derivedId } from '../../src/models/ids';
import { always, crm } from '../helpers/crm';
import { eventually, startHarness, type Harness } from '../helpers/harness';

/** Event dispatch: idempotency keys, explanations, self-trigger protection and the cascade limit. */
let h: Harness;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('events');
  api = crm(h, (await h.createOrg()).apiKey);
});
afterAll(() => h?.close());

const tagOnEvent = (name: string, eventName: string, extra: Record<string, unknown> = {}) => ({
  name,
  enabled: true,
  trigger: { eventName, transitions: [{ target: 'tag', condition: always }] },
  steps: [{ id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: [name] } }],
  ...extra,
});

describe('POST /v1/events', () => {
  it('returns the same event and starts nothing new when the Idempotency-Key repeats', async () => {
    const wf = await api.createWorkflow(tagOnEvent('idem', 'order.shipped'));
    const customer = await api.createCustomer({ name: 'Gil' });
    const conversation = await api.createConversation({ customer: customer.id });
    const send = () =>
      h.request('POST', '/v1/events', {
        key: api.key,
        headers: { 'idempotency-key': 'shipment-77' },
        body: { name: 'order.shipped', data: { conversation: conversation.id } },
      });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(first.body.runs).toHaveLength(1);

    const [run] = await api.finishedRuns(wf.id);
    expect(run.status).toBe('completed');
    expect(run.event).toBe(first.body.eventId);
    expect(await api.runsOf(wf.id)).toHaveLength(1);
    // Without a key, the same payload is a new event with a run of its own.
    const third = await api.call(
      'POST',
      '/v1/events',
      { name: 'order.shipped', data: { conversation: conversation.id } },
      202,
    );
    expect(third.eventId).not.toBe(first.body.eventId);
    expect(third.runs[0].id).not.toBe(first.body.runs[0].id);
  });

  it('explains why each workflow listening to the event did not run', async () => {
    const ran = await api.createWorkflow(tagOnEvent('explain-ran', 'explain.me'));
    const disabled = await api.createWorkflow(tagOnEvent('explain-disabled', 'explain.me', { enabled: false }));
    const filtered = await api.createWorkflow({
      ...tagOnEvent('explain-filtered', 'kustomer.explain.me'),
      trigger: {
        eventName: 'kustomer.explain.me',
        transitions: [{ target: 'tag', condition: { op: 'gt', values: ['/#steps.1.total', '100'] } }],
      },
    });
    const customer = await api.createCustomer({ name: 'Hal' });
    const conversation = await api.createConversation({ customer: customer.id });
    const posted = await api.call(
      'POST',
      '/v1/events',
      { name: 'explain.me', data: { conversation: conversation.id, total: 99.5 } },
      202,
    );
    const event = await api.event(posted.eventId);
    expect(event.runs).toEqual([{ id: posted.runs[0].id, workflow: ran.id, rev: 1 }]);
    expect(event.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workflow: disabled.id, reason: 'disabled' }),
        expect.objectContaining({ workflow: filtered.id, reason: 'trigger_condition_false' }),
      ]),
    );
    expect(event.skipped).toHaveLength(2);
    expect(event.data).toEqual({ conversation: conversation.id, total: 99.5 });
  });

  it('rejects a malformed event with every problem and its path', async () => {
    const res = await h.request('POST', '/v1/events', { key: api.key, body: { name: '', data: [1], extra: true } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['$', 'data', 'name']);
  });
});

describe('loop protection', () => {
  it("never re-triggers a workflow with its own run's writes", async () => {
    // No filter on the change: without protection, every update would start another run.
    const wf = await api.createWorkflow({
      name: 'self-touch',
      enabled: true,
      trigger: { eventName: 'conversation.update', transitions: [{ target: 'tag', condition: always }] },
      steps: [{ id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.id', tags: ['touched'] } }],
    });
    const customer = await api.createCustomer({ name: 'Ida' });
    const conversation = await api.createConversation({ customer: customer.id });
    await api.patchConversation(conversation.id, { name: 'renamed' });
    // Runs of earlier tests tag other conversations and may start this workflow too: look at ours.
    const mine = async () => {
      const runs = await Promise.all((await api.runsOf(wf.id)).map((r: { id: string }) => h.waitForRun(api.key, r.id)));
      return runs.filter((r) => r.steps[0].output.id === conversation.id);
    };
    const [run] = await eventually(async () => ((await mine()).length > 0 ? mine() : undefined));
    const ownEvent = await api.event(derivedId('event', run.id, 'tag'));
    expect(ownEvent.origin).toEqual({ run: run.id, workflow: wf.id, step: 'tag' });
    expect(ownEvent.depth).toBe(1);
    expect(ownEvent.skipped).toContainEqual(expect.objectContaining({ workflow: wf.id, reason: 'own_write' }));
    expect(await mine()).toHaveLength(1);
    expect((await api.getConversation(conversation.id)).tags).toEqual(['touched']);
    await api.call('PATCH', `/v1/workflows/${wf.id}`, { enabled: false });
  });

  it('cuts a cascade between two workflows deeper than 8 and records it on the event', async () => {
    const bump = (name: string) => ({
      name,
      enabled: true,
      trigger: {
        eventName: 'customer.update',
        transitions: [{ target: 'bump', condition: { op: 'exists', values: ['/#steps.1.custom.pingNum'] } }],
      },
      steps: [
        {
          id: 'bump',
          action: 'customer.update',
          params: {
            id: '/#steps.1.id',
            custom: { pingNum: '{{math steps.1.custom.pingNum "+" 1}}', [`${name}Bool`]: true },
          },
        },
      ],
    });
    const ping = await api.createWorkflow(bump('ping'));
    const pong = await api.createWorkflow(bump('pong'));
    const customer = await api.createCustomer({ name: 'Jo' });
    await api.call('PATCH', `/v1/customers/${customer.id}`, { custom: { pingNum: 0 } });

    const cut = await eventually(async () => {
      const docs = await EventModel.find({ name: 'customer.update', status: 'dispatched' }).lean();
      return docs.find((d) => d.skipped.some((s) => s.reason === 'cascade_limit'));
    }, 45_000);
    expect(cut.depth).toBe(9);
    const runs = [...(await api.runsOf(ping.id)), ...(await api.runsOf(pong.id))];
    const maxDepth = Math.max(
      ...(await EventModel.find({ name: 'customer.update' }).lean()).map((d) => (d.runs.length > 0 ? d.depth : -1)),
    );
    expect(maxDepth).toBe(8);
    expect(runs.length).toBeGreaterThanOrEqual(9);
    await api.call('PATCH', `/v1/workflows/${ping.id}`, { enabled: false });
    await api.call('PATCH', `/v1/workflows/${pong.id}`, { enabled: false });
  });
});
