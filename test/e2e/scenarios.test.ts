import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { always, crm } from '../helpers/crm';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * Two automations support teams set up first (an automated reply to new email conversations, and
 * tagging and assigning on a keyword), end to end: API -> MongoDB -> event
 * dispatch -> Temporal run -> activities -> MongoDB, against the real servers.
 */
let h: Harness;
let api: ReturnType<typeof crm>;

beforeAll(async () => {
  h = await startHarness('scenarios');
  api = crm(h, (await h.createOrg()).apiKey);
});
afterAll(() => h?.close());

describe('new inbound email conversation', () => {
  it('sends an automated response, then snoozes the conversation', async () => {
    const wf = await api.createWorkflow({
      name: 'email-auto-reply',
      enabled: true,
      trigger: {
        eventName: 'kustomer.message.create',
        transitions: [
          {
            target: 'reply',
            condition: {
              op: 'and',
              values: [
                { op: 'eq', values: ['/#steps.1.channel', 'email'] },
                { op: 'eq', values: ['/#steps.1.direction', 'in'] },
                { op: 'eq', values: ['/#steps.1.directionType', 'initial-in'] },
              ],
            },
          },
        ],
      },
      steps: [
        {
          id: 'reply',
          action: 'kustomer.message.create',
          params: {
            conversation: '/#steps.1.conversation',
            subject: 'Re: {{{steps.1.subject}}}',
            body: 'Thanks for writing about "{{{steps.1.subject}}}". We will answer within a day.',
          },
          transitions: [{ target: 'snooze', condition: always }],
        },
        {
          id: 'snooze',
          action: 'kustomer.conversation.update',
          params: { id: '/#steps.1.conversation', status: 'snoozed', snoozedUntil: '2031-01-01T09:00:00.000Z' },
        },
      ],
    });
    const customer = await api.createCustomer({ name: 'Ann', emails: [{ email: 'ann@example.com' }] });
    const conversation = await api.createConversation({ customer: customer.id, name: 'Order 1' });
    await api.createMessage({
      conversation: conversation.id,
      channel: 'email',
      direction: 'in',
      subject: 'Order <1>',
      body: 'Where is my order?',
    });

    const [done] = await api.finishedRuns(wf.id);
    expect(done.status).toBe('completed');
    expect(done.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      '1:completed',
      'reply:completed',
      'snooze:completed',
    ]);
    expect(done.steps[0].output.directionType).toBe('initial-in');

    const messages = await api.messagesOf(conversation.id);
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatchObject({
      direction: 'out',
      directionType: 'out',
      channel: 'email',
      subject: 'Re: Order <1>',
      body: 'Thanks for writing about "Order <1>". We will answer within a day.',
    });
    expect(await api.getConversation(conversation.id)).toMatchObject({
      status: 'snoozed',
      snoozedUntil: '2031-01-01T09:00:00.000Z',
      messageCount: 2,
    });
  });
});

describe('keyword in a message', () => {
  it('tags and assigns the conversation, routing on a regex condition inside the run', async () => {
    const wf = await api.createWorkflow({
      name: 'billing-keywords',
      enabled: true,
      trigger: {
        eventName: 'message.create',
        transitions: [
          {
            target: 'route',
            condition: {
              op: 'and',
              values: [
                { op: 'eq', values: ['/#steps.1.direction', 'in'] },
                { op: 'regex', values: ['/#steps.1.body', '(?i)\\b(refund|chargeback)\\b'] },
              ],
            },
          },
        ],
      },
      steps: [
        {
          id: 'route',
          transitions: [
            { target: 'tagChargeback', condition: { op: 'regex', values: ['/#steps.1.body', '(?i)chargeback'] } },
            { target: 'tagRefund', condition: always },
          ],
        },
        {
          id: 'tagChargeback',
          action: 'conversation.append-tags',
          params: { id: '/#steps.1.conversation', tags: ['billing', 'chargeback'] },
          transitions: [{ target: 'assign', condition: always }],
        },
        {
          id: 'tagRefund',
          action: 'conversation.append-tags',
          params: { id: '/#steps.1.conversation', tags: ['billing', 'refund'] },
          transitions: [{ target: 'assign', condition: always }],
        },
        {
          id: 'assign',
          action: 'conversation.assign-user',
          params: { id: '/#steps.1.conversation', user: 'billing-lead' },
        },
      ],
    });
    const customer = await api.createCustomer({ name: 'Bo' });
    const conversation = await api.createConversation({ customer: customer.id, tags: ['vip'] });
    const quiet = await api.write(
      'POST',
      '/v1/messages',
      { conversation: conversation.id, direction: 'in', body: 'Just saying hi' },
      201,
    );
    await api.createMessage({ conversation: conversation.id, direction: 'in', body: 'I want a REFUND now' });

    const [run] = await api.finishedRuns(wf.id);
    expect(run.status).toBe('completed');
    expect(run.steps.map((s: { id: string }) => s.id)).toEqual(['1', 'route', 'tagRefund', 'assign']);
    expect(await api.getConversation(conversation.id)).toMatchObject({
      tags: ['vip', 'billing', 'refund'],
      assignedUsers: ['billing-lead'],
    });
    // The first message started nothing, and its event says why.
    const event = await api.event(quiet.eventId);
    expect(event.runs.map((r: { workflow: string }) => r.workflow)).not.toContain(wf.id);
    expect(event.skipped).toContainEqual(
      expect.objectContaining({ workflow: wf.id, reason: 'trigger_condition_false' }),
    );
    expect(await api.runsOf(wf.id)).toHaveLength(1);
  });
});
