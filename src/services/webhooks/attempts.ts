import { Webhook } from 'standardwebhooks';
import type { Logger } from 'pino';
import type { WebhookSettings } from '../../config';
import { EventModel, type EventDoc } from '../../models/event.model';
import { objectFromJsonText } from '../../models/json-text';
import { DeliveryModel, type AttemptDoc, type DeliveryDoc } from '../../models/webhook-delivery.model';
import { WebhookModel, type WebhookDoc } from '../../models/webhook.model';
import type { AttemptInput, AttemptOutcome } from '../../workflows/webhook.workflow';
import { OutboundError, type OutboundClient } from '../outbound/http';
import { SecretBoxError, type SecretBox } from '../secrets/secret-box';
import { forgetSubscriptions } from './subscriptions.service';
import { retryAfterMs } from '../outbound/retry-after';

export interface AttemptDeps {
  outbound: OutboundClient;
  box: SecretBox;
  settings: WebhookSettings;
  logger: Logger;
}

/** How much of an answer's body an attempt keeps. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** What one attempt found, before it is recorded. */
interface Attempted {
  status: number | null;
  latencyMs: number | null;
  response: string | null;
  error: string | null;
  outcome: AttemptOutcome['outcome'];
  retryAfterMs?: number;
  /** The endpoint was not tried (disabled, throttled by us, event gone): says nothing of its health. */
  skipped: boolean;
}

const RETRY_STATUSES = new Set([408, 429]);

/**
 * The body of a delivery: the stored event as `{"type", "timestamp", "data"}` (the Standard Webhooks shape), with
 * the event's id, the same on every attempt.
 */
export function deliveryPayload(event: EventDoc): string {
  return JSON.stringify({
    type: event.name,
    timestamp: event.createdAt.toISOString(),
    id: event._id,
    data: objectFromJsonText(event.dataJson),
  });
}

function skipped(error: string): Attempted {
  return { status: null, latencyMs: null, response: null, error, outcome: 'failed', skipped: true };
}

/** The `webhook-signature` header: one `v1,<sig>` per secret in use (two during a rotation's grace period). */
function signature(deps: AttemptDeps, hook: WebhookDoc, id: string, at: Date, payload: string): string {
  const secrets = [deps.box.open(hook.secretSealed)];
  if (hook.previousSecretSealed && hook.previousSecretUntil && hook.previousSecretUntil > at) {
    secrets.push(deps.box.open(hook.previousSecretSealed));
  }
  return secrets.map((secret) => new Webhook(secret).sign(id, at, payload)).join(' ');
}

/** Sends the delivery once and classifies the answer: 2xx succeeded; 408, 429, 5xx and network errors retry; 410 and other answers fail. */
async function send(deps: AttemptDeps, input: AttemptInput, hook: WebhookDoc): Promise<Attempted> {
  if (hook.disabled) return skipped(`the endpoint is disabled: ${hook.disabledReason ?? ''}`);
  const event = await EventModel.findOne({ _id: input.eventId, org: input.org }).lean<EventDoc>();
  if (!event) return skipped(`event ${input.eventId} is not stored`);
  const payload = deliveryPayload(event);
  const at = new Date();
  let signed: string;
  try {
    signed = signature(deps, hook, input.deliveryId, at, payload);
  } catch (error) {
    // Sealed under another SECRETS_KEY: no retry can open it; rotating the secret can.
    if (!(error instanceof SecretBoxError)) throw error;
    return { ...skipped(`the signing secret cannot be opened: ${error.message}`), skipped: false };
  }
  try {
    const res = await deps.outbound.request({
      org: input.org,
      url: hook.url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Switchboard-Webhooks/1',
        'webhook-id': input.deliveryId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signed,
      },
      body: payload,
      timeoutMs: input.timeoutMs,
    });
    const answered = {
      status: res.status,
      latencyMs: Math.round(res.latencyMs),
      response: res.body.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'),
      skipped: false,
    };
    if (res.status >= 200 && res.status < 300) return { ...answered, error: null, outcome: 'succeeded' };
    const retry = RETRY_STATUSES.has(res.status) || res.status >= 500;
    return {
      ...answered,
      error: `the endpoint answered ${res.status}${res.status === 410 ? ' Gone: the endpoint is disabled' : ''}`,
      outcome: retry ? 'retry' : 'failed',
      ...(retry ? { retryAfterMs: retryAfterMs(res.headers['retry-after']) } : {}),
    };
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    return {
      status: null,
      latencyMs: Date.now() - at.getTime(),
      response: null,
      error: `${error.code}: ${error.message}`,
      outcome: error.retryable ? 'retry' : 'failed',
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      skipped: error.code === 'throttled',
    };
  }
}

/** The attempt recorded under `key` in the delivery, if any. */
async function recorded(deliveryId: string, key: string): Promise<AttemptDoc | undefined> {
  const doc = await DeliveryModel.findById(deliveryId, { attempts: 1 }).lean<DeliveryDoc>();
  return doc?.attempts?.find((a) => a.key === key);
}

/** Records the attempt once: a second recording of the same key (a retried activity) keeps the first. */
async function record(key: string, input: AttemptInput, attempted: Attempted): Promise<AttemptDoc | undefined> {
  const attempt = { key, series: input.series, attempt: input.attempt, at: new Date(), ...attempted };
  await DeliveryModel.updateOne(
    { _id: input.deliveryId, 'attempts.key': { $ne: key } },
    { $push: { attempts: attempt } },
  );
  return recorded(input.deliveryId, key);
}

async function disable(deps: AttemptDeps, input: AttemptInput, reason: string): Promise<void> {
  const done = await WebhookModel.updateOne(
    { _id: input.webhookId, disabled: false },
    { $set: { disabled: true, disabledReason: reason, disabledAt: new Date() } },
  );
  forgetSubscriptions(input.org);
  if (done.modifiedCount > 0)
    deps.logger.warn({ org: input.org, webhook: input.webhookId, reason }, 'webhook disabled');
}

/**
 * What a recorded attempt means for its delivery and its endpoint. Idempotent, so a retried activity applies
 * it again safely: the delivery's state (of this series only), the endpoint's last success or the start of its
 * failing, and disabling it on a 410 or once it has failed for WEBHOOK_DISABLE_AFTER_MS.
 */
async function apply(deps: AttemptDeps, input: AttemptInput, attempt: AttemptDoc): Promise<void> {
  await applyHealth(deps, input, attempt);
  // Last: whoever sees the delivery finished sees its endpoint's state too.
  const finished = attempt.outcome === 'failed' || (attempt.outcome === 'retry' && input.final && !isThrottled(attempt));
  const state = attempt.outcome === 'succeeded' ? 'succeeded' : finished ? 'failed' : 'pending';
  await DeliveryModel.updateOne({ _id: input.deliveryId, series: input.series }, { $set: { state } });
}

async function applyHealth(deps: AttemptDeps, input: AttemptInput, attempt: AttemptDoc): Promise<void> {
  if (attempt.skipped) return;
  if (attempt.outcome === 'succeeded') {
    await WebhookModel.updateOne(
      { _id: input.webhookId },
      { $set: { lastSuccessAt: attempt.at }, $unset: { failingSince: 1 } },
    );
    return;
  }
  if (attempt.status === 410) return disable(deps, input, 'the endpoint answered 410 Gone');
  await WebhookModel.updateOne({ _id: input.webhookId, failingSince: null }, { $set: { failingSince: attempt.at } });
  const hook = await WebhookModel.findById(input.webhookId).lean<WebhookDoc>();
  if (hook?.failingSince && attempt.at.getTime() - hook.failingSince.getTime() >= deps.settings.disableAfterMs) {
    await disable(deps, input, `no successful delivery since ${hook.failingSince.toISOString()}`);
  }
}

/**
 * One attempt of a delivery: recorded in the delivery under (series, attempt), so an activity retried after it sent
 * finds the attempt and its outcome instead of sending again. A subscription deleted meanwhile ends the delivery.
 */
export async function attemptDelivery(deps: AttemptDeps, input: AttemptInput): Promise<AttemptOutcome> {
  const key = `${input.series}:${input.attempt}`;
  let attempt = await recorded(input.deliveryId, key);
  if (!attempt) {
    const hook = await WebhookModel.findOne({ _id: input.webhookId, org: input.org }).lean<WebhookDoc>();
    if (!hook) return { outcome: 'failed' };
    attempt = await record(key, input, await send(deps, input, hook));
    // The delivery is gone: its subscription was deleted meanwhile.
    if (!attempt) return { outcome: 'failed' };
  }
  await apply(deps, input, attempt);
  deps.logger.info(
    {
      org: input.org,
      webhook: input.webhookId,
      delivery: input.deliveryId,
      attempt: input.attempt,
      outcome: attempt.outcome,
      status: attempt.status,
    },
    'webhook attempt',
  );
  return {
    outcome: attempt.outcome,
    ...(typeof attempt.retryAfterMs === 'number' ? { retryAfterMs: attempt.retryAfterMs } : {}),
    ...(isThrottled(attempt) ? { throttled: true } : {}),
  };
}

/** Held back by our outbound throttle (the only skipped attempt that may be retried): the endpoint was not tried. */
function isThrottled(attempt: Pick<AttemptDoc, 'skipped' | 'outcome'>): boolean {
  return attempt.skipped === true && attempt.outcome === 'retry';
}
