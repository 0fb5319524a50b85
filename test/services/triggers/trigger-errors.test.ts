import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventModel } from '../../../src/models/event.model';
import { crm } from '../../helpers/crm';
import { startHarness, type Harness } from '../../helpers/harness';

/**
 * A trigger that cannot be evaluated (RE2 refuses a pattern that comes from event data, a template
 * that cannot render) skips its workflow with `trigger_error` and the reason; the other workflows
 * listening to the event decide as usual, and the request is answered as if nothing went wrong.
 */
let h: Harness;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('trigger-errors');
  api = crm(h, (await h.createOrg()).apiKey);
});
afterAll(() => h?.close());

const regexFromData = (name: string, eventName: string, input: string, pattern: string) => ({
  name,
  enabled: true,
  trigger: { eventName, transitions: [{ target: 'tag', condition: { op: 'regex', values: [input, pattern] } }] },
  steps: [{ id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: [name] } }],
});

describe('a trigger that throws', () => {
  it.each(['(?<=a)b', '(a)\\1', '[', 'a{1001}'])(
    'skips the workflow with trigger_error when RE2 refuses the pattern %s from event data, and runs the others',
    async (pattern) => {
      const eventName = `dynamic.pattern.${Buffer.from(pattern).toString('hex')}`;
      const hostile = await api.createWorkflow(
        regexFromData('hostile', eventName, '/#steps.1.text', '/#steps.1.pattern'),
      );
      const fine = await api.createWorkflow(regexFromData('fine', eventName, '/#steps.1.text', '^a'));
      const customer = await api.createCustomer({ name: 'Kim' });
      const conversation = await api.createConversation({ customer: customer.id });

      const res = await h.request('POST', '/v1/events', {
        key: api.key,
        body: { name: eventName, data: { text: 'ab', pattern, conversation: conversation.id } },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.runs).toEqual([{ id: expect.any(String), workflow: fine.id }]);

      const event = await api.event(res.body.eventId);
      expect(event.runs).toEqual([{ id: res.body.runs[0].id, workflow: fine.id, rev: 1 }]);
      expect(event.skipped).toEqual([
        {
          workflow: hostile.id,
          rev: 1,
          reason: 'trigger_error',
          message: expect.stringContaining(`RE2 cannot compile ${JSON.stringify(pattern)}`),
        },
      ]);
      const [run] = await api.finishedRuns(fine.id);
      expect(run.status).toBe('completed');
    },
  );

  it('stores a write whose trigger throws once, answers 201, and records the skip on its event', async () => {
    const wf = await api.createWorkflow({
      name: 'customer-pattern',
      enabled: true,
      trigger: {
        eventName: 'customer.create',
        transitions: [
          { target: 'noop', condition: { op: 'regex', values: ['/#steps.1.name', '/#steps.1.externalId'] } },
        ],
      },
      steps: [{ id: 'noop' }],
    });
    const externalId = `(?<=x)y-${Date.now()}`;
    const { record, eventId } = await api.write('POST', '/v1/customers', { name: 'Lee', externalId }, 201);

    const event = await api.event(eventId);
    expect(event.skipped).toEqual([
      expect.objectContaining({
        workflow: wf.id,
        reason: 'trigger_error',
        message: expect.stringContaining('RE2 cannot compile'),
      }),
    ]);
    expect(event.runs).toEqual([]);
    // Dispatched, not left pending for the sweeper to try again.
    expect((await EventModel.findById(eventId).lean())?.status).toBe('dispatched');
    const listed = await api.call('GET', `/v1/customers?externalId=${encodeURIComponent(externalId)}`);
    expect(listed.customers.map((c: { id: string }) => c.id)).toEqual([record.id]);
  });
});
