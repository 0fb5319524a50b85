import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createOutboundClient } from '../../src/services/outbound/http';
import { secretBoxFor } from '../../src/services/secrets/secret-box';
import { attemptDelivery } from '../../src/services/webhooks/attempts';
import {
  createWebhookDispatch,
  deliveryIdFor,
  deliveryWorkflowIdFor,
  senderWorkflowIdFor,
} from '../../src/services/webhooks/deliveries.service';
import { crm } from '../helpers/crm';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

/**
 * Outbound webhook deliveries end to end: the real API and worker, Temporal and the database, and a local
 * receiver on 127.0.0.1. The retry schedule is shortened to a few hundred ms (WEBHOOK_RETRY_SCHEDULE_MS), and an
 * endpoint is disabled after 1.5 s of failing.
 */
const SCHEDULE = '200,300,300,300,300,300,300,300,300,300';

let h: Harness;
let api: ReturnType<typeof crm>;
let org: string;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness('webhooks', { WEBHOOK_RETRY_SCHEDULE_MS: SCHEDULE, WEBHOOK_DISABLE_AFTER_MS: '1500' });
  const created = await h.createOrg();
  org = created.id;
  api = crm(h, created.apiKey);
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

async function subscribe(pathName: string, events: string[]): Promise<{ id: string; secret: string }> {
  return api.call('POST', '/v1/webhooks', { url: receiver.url(pathName), events, description: pathName }, 201);
}

/** A customer and a conversation; the conversation's create event is the first of its record. */
async function conversation(): Promise<{ id: string; eventId: string }> {
  const customer = await api.createCustomer({ name: 'Ada', emails: [{ email: 'ada@example.com' }] });
  const { record, eventId } = await api.write('POST', '/v1/conversations', { customer: customer.id }, 201);
  return { id: record.id, eventId };
}

/** The subscription's deliveries once `done` holds for them. */
async function deliveriesWhen(webhookId: string, done: (deliveries: Delivery[]) => boolean, timeoutMs = 15_000) {
  return eventually(async () => {
    const { deliveries } = await api.call('GET', `/v1/webhooks/${webhookId}/deliveries`);
    return done(deliveries) ? (deliveries as Delivery[]) : undefined;
  }, timeoutMs);
}

interface Delivery {
  id: string;
  state: string;
  event: { id: string; name: string };
  attempts: {
    series: number;
    attempt: number;
    status: number | null;
    latencyMs: number | null;
    response: string | null;
    error: string | null;
    outcome: string;
  }[];
}

function record(name: string, workflowId: string): Promise<void> | undefined {
  if (!loadDevConfig().recordHistories) return undefined;
  return h.client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .then((history) => {
      const file = path.resolve(__dirname, `../fixtures/histories/${name}.history.json`);
      writeFileSync(file, `${historyToJSON(history)}\n`);
    });
}

describe('webhookDelivery', () => {
  it('retries 503 twice then delivers: one delivery, three attempts, the same webhook-id, a verifiable signature', async () => {
    receiver.script('/flaky', [{ status: 503 }, { status: 503 }, { status: 200, body: 'thanks' }]);
    const hook = await subscribe('/flaky', ['conversation.*']);
    const conv = await conversation();
    const [delivery] = await deliveriesWhen(hook.id, (d) => d[0]?.state === 'succeeded');
    expect(delivery!.id).toBe(deliveryIdFor(hook.id, conv.eventId));
    expect(delivery!.event).toEqual({ id: conv.eventId, name: 'conversation.create' });
    expect(delivery!.attempts.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [1, 503, 'retry'],
      [2, 503, 'retry'],
      [3, 200, 'succeeded'],
    ]);
    expect(delivery!.attempts[2]!.response).toBe('thanks');
    expect(delivery!.attempts.every((a) => typeof a.latencyMs === 'number' && a.latencyMs >= 0)).toBe(true);

    const received = receiver.received('/flaky');
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
    const verifier = new Webhook(hook.secret);
    for (const r of received) {
      const payload = verifier.verify(r.body, r.headers as Record<string, string>) as {
        type: string;
        id: string;
        data: { id: string };
      };
      expect(payload).toMatchObject({ type: 'conversation.create', id: conv.eventId, data: { id: conv.id } });
    }
    // A forged body does not verify with the secret.
    expect(() =>
      verifier.verify(received[0]!.body.replace(conv.id, 'other'), received[0]!.headers as Record<string, string>),
    ).toThrow();
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(190);
    await record('webhook-delivery', deliveryWorkflowIdFor(delivery!.id, 1));
  });

  it("delivers a record's updates in order, even while the first one is retried", async () => {
    receiver.script('/ordered', [{ status: 503 }, { status: 200 }]);
    const hook = await subscribe('/ordered', ['kustomer.conversation.update']);
    const conv = await conversation();
    const events: string[] = [];
    for (const priority of [2, 3, 4]) {
      events.push((await api.write('PATCH', `/v1/conversations/${conv.id}`, { priority })).eventId);
    }
    await deliveriesWhen(hook.id, (d) => d.length === 3 && d.every((x) => x.state === 'succeeded'));
    const order = receiver.received('/ordered').map((r) => (JSON.parse(r.body) as { id: string }).id);
    expect(order).toEqual([events[0], events[0], events[1], events[2]]);
    await record('webhook-sender', senderWorkflowIdFor(org, hook.id, `conversation:${conv.id}`));
  });

  it('honours Retry-After on a 429', async () => {
    receiver.script('/busy', [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const hook = await subscribe('/busy', ['conversation.create']);
    await conversation();
    const [delivery] = await deliveriesWhen(hook.id, (d) => d[0]?.state === 'succeeded');
    expect(delivery!.attempts.map((a) => a.status)).toEqual([429, 200]);
    const [first, second] = receiver.received('/busy');
    // The schedule says 200 ms; the endpoint asked for 1 s.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('disables the endpoint on a 410: the delivery fails at once and later events start no delivery', async () => {
    receiver.script('/gone', [{ status: 410 }]);
    const hook = await subscribe('/gone', ['conversation.*']);
    const conv = await conversation();
    const [delivery] = await deliveriesWhen(hook.id, (d) => d[0]?.state === 'failed');
    expect(delivery!.attempts.map((a) => [a.status, a.outcome])).toEqual([[410, 'failed']]);
    const after = await api.call('GET', `/v1/webhooks/${hook.id}`);
    expect(after).toMatchObject({ disabled: true, disabledReason: 'the endpoint answered 410 Gone' });
    expect(Date.parse(after.disabledAt)).not.toBeNaN();
    await api.write('PATCH', `/v1/conversations/${conv.id}`, { priority: 5 });
    // Deliveries are stored by the dispatch that answered the write: none was.
    const { deliveries } = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries`);
    expect(deliveries).toHaveLength(1);
    expect(receiver.received('/gone')).toHaveLength(1);
    // Retrying a delivery of a disabled endpoint is refused until it is enabled again.
    const refused = await h.request('POST', `/v1/webhooks/${hook.id}/deliveries/${delivery!.id}/retry`, {
      key: api.key,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('webhook_disabled');
  });

  it('disables an endpoint that has failed for the configured period, and says so', async () => {
    receiver.script('/down', [{ status: 500 }]);
    const hook = await subscribe('/down', ['conversation.create']);
    await conversation();
    const [delivery] = await deliveriesWhen(hook.id, (d) => d[0]?.state === 'failed');
    const after = await api.call('GET', `/v1/webhooks/${hook.id}`);
    expect(after.disabled).toBe(true);
    expect(after.disabledReason).toMatch(/^no successful delivery since /);
    const failingFor = Date.parse(after.disabledAt) - Date.parse(after.failingSince);
    expect(failingFor).toBeGreaterThanOrEqual(1500);
    // The attempts before it was disabled reached the endpoint (500s); the next one found it disabled.
    const statuses = delivery!.attempts.map((a) => a.status);
    expect(statuses.filter((s) => s === 500).length).toBe(receiver.received('/down').length);
    expect(delivery!.attempts.at(-1)).toMatchObject({ status: null, outcome: 'failed' });
    expect(delivery!.attempts.at(-1)!.error).toMatch(/the endpoint is disabled: no successful delivery since/);
    expect(delivery!.attempts.length).toBeLessThan(SCHEDULE.split(',').length + 1);
  });

  it('retries a failed delivery on request (a new series, the same webhook-id) and refuses to resend a succeeded one', async () => {
    receiver.script('/picky', [{ status: 400, body: 'bad' }]);
    const hook = await subscribe('/picky', ['acme.*']);
    const posted = await api.call('POST', '/v1/events', { name: 'acme.order-shipped', data: { order: 7 } }, 202);
    const [failed] = await deliveriesWhen(hook.id, (d) => d[0]?.state === 'failed');
    expect(failed!.attempts.map((a) => [a.series, a.attempt, a.status, a.outcome, a.response])).toEqual([
      [1, 1, 400, 'failed', 'bad'],
    ]);
    expect(failed!.event).toEqual({ id: posted.eventId, name: 'acme.order-shipped' });

    receiver.script('/picky', [{ status: 204 }]);
    const retried = await h.request('POST', `/v1/webhooks/${hook.id}/deliveries/${failed!.id}/retry`, { key: api.key });
    expect(retried.status).toBe(202);
    expect(retried.body.series).toBe(2);
    const done = await eventually(async () => {
      const d = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries/${failed!.id}`);
      return d.state === 'succeeded' ? (d as Delivery) : undefined;
    });
    expect(done.attempts.map((a) => [a.series, a.attempt, a.status])).toEqual([
      [1, 1, 400],
      [2, 1, 204],
    ]);
    expect(new Set(receiver.received('/picky').map((r) => r.headers['webhook-id']))).toEqual(new Set([failed!.id]));
    const again = await h.request('POST', `/v1/webhooks/${hook.id}/deliveries/${failed!.id}/retry`, { key: api.key });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('delivery_succeeded');
  });

  it('retries on request a pending delivery whose series ended without an outcome (its workflow terminated)', async () => {
    // The first answer asks for a minute's pause: the series waits on its timer, pending, when it is terminated.
    receiver.script('/stalled', [{ status: 503, headers: { 'retry-after': '60' } }, { status: 204 }]);
    const hook = await subscribe('/stalled', ['acme.*']);
    await api.call('POST', '/v1/events', { name: 'acme.order-stalled', data: { order: 8 } }, 202);
    const [pending] = await deliveriesWhen(hook.id, (d) => d[0]?.attempts.length === 1);
    expect(pending!.state).toBe('pending');
    const running = await h.request('POST', `/v1/webhooks/${hook.id}/deliveries/${pending!.id}/retry`, {
      key: api.key,
    });
    expect(running.status).toBe(409);
    expect(running.body.error.code).toBe('delivery_pending');

    await h.client.workflow.getHandle(deliveryWorkflowIdFor(pending!.id, 1)).terminate('operator gave up');
    const retried = await h.request('POST', `/v1/webhooks/${hook.id}/deliveries/${pending!.id}/retry`, {
      key: api.key,
    });
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    expect(retried.body.series).toBe(2);
    const done = await eventually(async () => {
      const d = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries/${pending!.id}`);
      return d.state === 'succeeded' ? (d as Delivery) : undefined;
    });
    expect(done.attempts.map((a) => [a.series, a.attempt, a.status])).toEqual([
      [1, 1, 503],
      [2, 1, 204],
    ]);
  });

  it('never delivers twice when the dispatch of an event runs again (the outbox sweeper)', async () => {
    receiver.script('/once', [{ status: 200 }]);
    const hook = await subscribe('/once', ['acme.*', 'conversation.create']);
    const posted = await api.call('POST', '/v1/events', { name: 'acme.repeat', data: {} }, 202);
    const conv = await conversation();
    await deliveriesWhen(hook.id, (d) => d.length === 2 && d.every((x) => x.state === 'succeeded'));
    // Dispatch again, as a sweeper would: the unordered custom event and the record's event.
    const dispatch = createWebhookDispatch({
      client: h.client,
      taskQueue: h.config.taskQueue,
      settings: h.config.webhooks,
      logger: createLogger('silent', 'test'),
    });
    const custom = { org, id: posted.eventId, name: 'acme.repeat', data: {}, depth: 0, source: 'api' as const };
    const write = {
      ...custom,
      id: conv.eventId,
      name: 'conversation.create',
      write: { kind: 'conversation' as const, id: conv.id },
    };
    for (const event of [custom, write]) await dispatch.deliver(event, await dispatch.matching(event));
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received('/once')).toHaveLength(2);
    const deliveries = await deliveriesWhen(hook.id, (d) => d.length === 2);
    expect(deliveries.every((d) => d.state === 'succeeded' && d.attempts.length === 1)).toBe(true);
  });

  it('records an attempt once: the same attempt again (a retried activity) neither sends nor records a second time', async () => {
    receiver.script('/retried', [{ status: 400 }]);
    const hook = await subscribe('/retried', ['acme.retried']);
    // A 400 is not retried: the delivery's workflow makes one attempt, and the call below is ours.
    const posted = await api.call('POST', '/v1/events', { name: 'acme.retried', data: {} }, 202);
    const deliveryId = deliveryIdFor(hook.id, posted.eventId);
    await deliveriesWhen(hook.id, (d) => d[0]?.state === 'failed');
    const deps = {
      outbound: createOutboundClient(h.config.outbound),
      box: secretBoxFor(h.config),
      settings: h.config.webhooks,
      logger: createLogger('silent', 'test'),
    };
    const input = { org, webhookId: hook.id, deliveryId, eventId: posted.eventId, series: 1, timeoutMs: 5_000 };
    const sent = receiver.received('/retried').length;
    // Attempt 1 again, as Temporal retrying the activity would: the recorded outcome, nothing sent.
    expect(await attemptDelivery(deps, { ...input, attempt: 1, final: false })).toEqual({ outcome: 'failed' });
    expect(receiver.received('/retried')).toHaveLength(sent);
    const [delivery] = await deliveriesWhen(hook.id, () => true);
    expect(delivery!.attempts.filter((a) => a.series === 1 && a.attempt === 1)).toHaveLength(1);
  });
});
