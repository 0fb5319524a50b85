import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crm } from '../helpers/crm';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

/**
 * A burst of deliveries to one host, past the outbound throttle (2 calls a second, at most 300 ms waited for a
 * token): the attempts our own throttle holds back are tried again after its wait, without taking a step of the
 * retry schedule, whose first step here is a minute. Every delivery arrives within seconds, after one attempt
 * that reached the endpoint.
 */
let h: Harness;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness('webhook-throttle', {
    OUTBOUND_RATE_PER_HOST: '2',
    OUTBOUND_BURST_PER_HOST: '1',
    OUTBOUND_THROTTLE_MAX_WAIT_MS: '300',
    WEBHOOK_RETRY_SCHEDULE_MS: '60000,60000',
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

interface Attempt {
  attempt: number;
  status: number | null;
  outcome: string;
  error: string | null;
}

describe('webhook deliveries held back by the outbound throttle', () => {
  it('retries them after the throttle wait, not on the retry schedule', async () => {
    const api = crm(h, (await h.createOrg()).apiKey);
    receiver.script('/burst', [{ status: 204 }]);
    const hook = await api.call('POST', '/v1/webhooks', { url: receiver.url('/burst'), events: ['acme.*'] }, 201);
    const events = 5;
    await Promise.all(
      Array.from({ length: events }, (_, i) =>
        api.call('POST', '/v1/events', { name: 'acme.burst', data: { i } }, 202),
      ),
    );
    const deliveries = await eventually(async () => {
      const { deliveries } = await api.call('GET', `/v1/webhooks/${hook.id}/deliveries`);
      const done = (deliveries as { state: string }[]).filter((d) => d.state === 'succeeded');
      return done.length === events ? (deliveries as { state: string; attempts: Attempt[] }[]) : undefined;
    }, 20_000);
    expect(receiver.received('/burst')).toHaveLength(events);
    const throttled = deliveries.flatMap((d) => d.attempts).filter((a) => a.error?.startsWith('throttled'));
    // The burst met the throttle (2 a second, 300 ms of waiting), and no delivery needed a scheduled retry.
    expect(throttled.length).toBeGreaterThan(0);
    for (const d of deliveries) {
      expect(d.attempts.filter((a) => a.status !== null).map((a) => [a.status, a.outcome])).toEqual([
        [204, 'succeeded'],
      ]);
    }
  });
});
