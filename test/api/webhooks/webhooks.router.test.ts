import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookModel } from '../../../src/models/webhook.model';
import { crm } from '../../helpers/crm';
import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

let h: Harness;
let api: ReturnType<typeof crm>;
let other: ReturnType<typeof crm>;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness('webhooks_api', { WEBHOOK_RETRY_SCHEDULE_MS: '200,200' });
  api = crm(h, (await h.createOrg('acme')).apiKey);
  other = crm(h, (await h.createOrg('globex')).apiKey);
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

async function refused(method: string, path: string, body: unknown, status: number) {
  const res = await h.request(method, path, { key: api.key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body.error as { code: string; message: string; details: { path: string; message: string }[] };
}

/** A custom event, and the payloads the receiver got on `path` once `count` arrived. */
async function deliveredTo(path: string, count: number) {
  return eventually(async () => {
    const received = receiver.received(path);
    return received.length >= count ? received : undefined;
  });
}

describe('webhooksRouter', () => {
  it('refuses bad subscriptions with every problem and its path', async () => {
    const missing = await refused('POST', '/v1/webhooks', {}, 400);
    expect(missing.code).toBe('validation_error');
    expect(missing.details.map((d) => d.path).sort()).toEqual(['events', 'url']);

    const bad = await refused(
      'POST',
      '/v1/webhooks',
      { url: 'ftp://example.com/x', events: ['conv*', 'conversation.update', '*.update'], extra: 1 },
      400,
    );
    expect(bad.details.map((d) => d.path).sort()).toEqual(['$', 'events[0]', 'events[2]', 'url']);
    expect(bad.details.find((d) => d.path === 'url')!.message).toBe('must be an http:// or https:// URL');

    const empty = await refused('POST', '/v1/webhooks', { url: 'https://example.com/x', events: [] }, 400);
    expect(empty.details).toEqual([{ path: 'events', message: 'subscribe to at least one event' }]);
    const credentials = await refused('POST', '/v1/webhooks', { url: 'https://u:p@example.com/', events: ['*'] }, 400);
    expect(credentials.details[0]!.path).toBe('url');
  });

  it('refuses a literal address the outbound policy refuses (only loopback is allowed in tests)', async () => {
    for (const url of ['http://127.0.0.2:9/hook', 'http://10.1.2.3/hook', 'http://[::1]/hook']) {
      const error = await refused('POST', '/v1/webhooks', { url, events: ['*'] }, 422);
      expect(error.code).toBe('destination_refused');
      expect(error.details[0]!.path).toBe('url');
    }
  });

  it('creates, lists, gets, updates and deletes a subscription; the secret shows only on create, sealed at rest', async () => {
    const created = await api.call(
      'POST',
      '/v1/webhooks',
      { url: receiver.url('/crud'), events: ['kustomer.conversation.update', 'hooks.*'], description: 'crm sync' },
      201,
    );
    expect(created).toMatchObject({
      url: receiver.url('/crud'),
      events: ['conversation.update', 'hooks.*'],
      description: 'crm sync',
      disabled: false,
      disabledReason: null,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const stored = await WebhookModel.findById(created.id).lean();
    expect(stored!.secretSealed).toMatch(/^v1:/);
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(6));

    const got = await api.call('GET', `/v1/webhooks/${created.id}`);
    expect(got).not.toHaveProperty('secret');
    const { secret: _secret, ...withoutSecret } = created;
    expect(got).toEqual(withoutSecret);
    expect((await api.call('GET', '/v1/webhooks')).webhooks.map((w: { id: string }) => w.id)).toContain(created.id);

    const patched = await api.call('PATCH', `/v1/webhooks/${created.id}`, { events: ['*'], description: '' });
    expect(patched).toMatchObject({ events: ['*'], description: '', url: receiver.url('/crud') });
    expect((await refused('PATCH', `/v1/webhooks/${created.id}`, {}, 400)).details[0]!.message).toMatch(/at least one/);
    expect((await refused('PATCH', `/v1/webhooks/${created.id}`, { url: 'http://192.168.1.1/' }, 422)).code).toBe(
      'destination_refused',
    );

    // Another org sees none of it.
    for (const [method, path] of [
      ['GET', `/v1/webhooks/${created.id}`],
      ['PATCH', `/v1/webhooks/${created.id}`],
      ['DELETE', `/v1/webhooks/${created.id}`],
      ['POST', `/v1/webhooks/${created.id}/rotate-secret`],
      ['GET', `/v1/webhooks/${created.id}/deliveries`],
    ] as const) {
      const res = await h.request(method, path, {
        key: other.key,
        body: method === 'PATCH' ? { description: 'x' } : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await other.call('GET', '/v1/webhooks')).webhooks).toEqual([]);

    await api.call('DELETE', `/v1/webhooks/${created.id}`, undefined, 204);
    expect((await refused('GET', `/v1/webhooks/${created.id}`, undefined, 404)).code).toBe('not_found');
  });

  it('rotates the secret: deliveries carry signatures by the new and, for the grace period, the old one', async () => {
    const hook = await api.call(
      'POST',
      '/v1/webhooks',
      { url: receiver.url('/rotate'), events: ['acme.rotated'] },
      201,
    );
    const rotated = await api.call('POST', `/v1/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.id).toBe(hook.id);
    await api.call('POST', '/v1/events', { name: 'acme.rotated', data: { n: 1 } }, 202);
    const [delivery] = await deliveredTo('/rotate', 1);
    const headers = delivery!.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [rotated.secret, hook.secret]) {
      expect(new Webhook(secret).verify(delivery!.body, headers)).toMatchObject({
        type: 'acme.rotated',
        data: { n: 1 },
      });
    }
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(delivery!.body, headers),
    ).toThrow();
  });

  it('disables and enables a subscription: events are delivered only while it is enabled', async () => {
    const hook = await api.call('POST', '/v1/webhooks', { url: receiver.url('/toggle'), events: ['acme.toggle'] }, 201);
    const off = await api.call('PATCH', `/v1/webhooks/${hook.id}`, { disabled: true });
    expect(off).toMatchObject({ disabled: true, disabledReason: 'disabled through the API' });
    await api.call('POST', '/v1/events', { name: 'acme.toggle', data: { n: 1 } }, 202);
    expect((await api.call('GET', `/v1/webhooks/${hook.id}/deliveries`)).deliveries).toEqual([]);
    const on = await api.call('PATCH', `/v1/webhooks/${hook.id}`, { disabled: false });
    expect(on).toMatchObject({ disabled: false, disabledReason: null, disabledAt: null });
    await api.call('POST', '/v1/events', { name: 'acme.toggle', data: { n: 2 } }, 202);
    const received = await deliveredTo('/toggle', 1);
    expect(received.map((r) => JSON.parse(r.body).data.n)).toEqual([2]);
  });

  it('lists deliveries with their attempts, filters them by state, and answers 404 for an unknown one', async () => {
    receiver.script('/list', [{ status: 200, body: 'x'.repeat(5000) }]);
    const hook = await api.call('POST', '/v1/webhooks', { url: receiver.url('/list'), events: ['acme.listed'] }, 201);
    const posted = await api.call('POST', '/v1/events', { name: 'acme.listed', data: {} }, 202);
    const delivery = await eventually(async () => {
      const { deliveries } = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?state=succeeded`);
      return deliveries[0];
    });
    expect(delivery).toMatchObject({
      webhook: hook.id,
      event: { id: posted.eventId, name: 'acme.listed' },
      record: null,
      series: 1,
    });
    expect(delivery.attempts).toHaveLength(1);
    // The response is kept as an excerpt.
    expect(delivery.attempts[0].response).toBe('x'.repeat(1024));
    expect(await api.call('GET', `/v1/webhooks/${hook.id}/deliveries/${delivery.id}`)).toEqual(delivery);
    expect((await api.call('GET', `/v1/webhooks/${hook.id}/deliveries?state=failed`)).deliveries).toEqual([]);
    expect(
      (await refused('GET', `/v1/webhooks/${hook.id}/deliveries?state=lost`, undefined, 400)).details[0]!.path,
    ).toBe('query.state');
    expect((await refused('GET', `/v1/webhooks/${hook.id}/deliveries?limit=0`, undefined, 400)).details[0]!.path).toBe(
      'query.limit',
    );
    expect((await refused('GET', `/v1/webhooks/${hook.id}/deliveries/msg_nope`, undefined, 404)).code).toBe(
      'not_found',
    );
    expect((await refused('POST', `/v1/webhooks/${hook.id}/deliveries/msg_nope/retry`, undefined, 404)).code).toBe(
      'not_found',
    );
  });
});
