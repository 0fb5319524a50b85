import { z } from 'zod';
import type { Config } from '../../config';
import { ConflictError, NotFoundError, UserError } from '../../errors';
import { DeliveryModel } from '../../models/webhook-delivery.model';
import { WebhookModel, type WebhookDoc } from '../../models/webhook.model';
import { newId } from '../../models/ids';
import { DestinationPolicy, isIpLiteral } from '../outbound/policy';
import { newSigningSecret, secretBoxFor, type SecretBox } from '../secrets/secret-box';
import { EventPatternSchema, matchesEvent } from './event-patterns';

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .refine((url) => {
    const { username, password } = new URL(url);
    return username === '' && password === '';
  }, 'must not hold credentials (user:password@); authenticate the sender by its signature');

const Events = z.array(EventPatternSchema).min(1, 'subscribe to at least one event').max(100);
const Description = z.string().max(1000);

/** `POST /v1/webhooks`. */
export const CreateWebhookSchema = z.strictObject({
  url: WebhookUrl,
  events: Events,
  description: Description.default(''),
});
/** `PATCH /v1/webhooks/:id`: any of the fields; `disabled: false` enables a disabled endpoint again. */
export const UpdateWebhookSchema = z
  .strictObject({ url: WebhookUrl, events: Events, description: Description, disabled: z.boolean() })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of url, events, description, disabled');

export type CreateWebhook = z.output<typeof CreateWebhookSchema>;
export type UpdateWebhook = z.output<typeof UpdateWebhookSchema>;

/** A subscription as event dispatch needs it. */
export interface ActiveSubscription {
  id: string;
  events: string[];
}

/**
 * Enabled subscriptions per org, kept `subscriptionCacheMs` by each process, so that dispatching an event of
 * an org with none costs no database round trip (one indexed `find` per org per period). A change made
 * through this process forgets its org at once; other processes see it within the period.
 */
const cache = new Map<string, { at: number; subscriptions: ActiveSubscription[] }>();
const MAX_CACHED_ORGS = 10_000;

export function forgetSubscriptions(org: string): void {
  cache.delete(org);
}

/** The org's enabled subscriptions that the event name matches. */
export async function subscriptionsFor(org: string, eventName: string, ttlMs: number): Promise<ActiveSubscription[]> {
  let entry = cache.get(org);
  if (!entry || Date.now() - entry.at >= ttlMs) {
    const docs = await WebhookModel.find({ org, disabled: false }, { events: 1 }).lean<WebhookDoc[]>();
    entry = { at: Date.now(), subscriptions: docs.map((d) => ({ id: d._id, events: d.events })) };
    if (cache.size >= MAX_CACHED_ORGS) cache.delete(cache.keys().next().value!);
    cache.set(org, entry);
  }
  return entry.subscriptions.filter((s) => matchesEvent(s.events, eventName));
}

/**
 * A URL whose host is an address (or `localhost`) the outbound policy refuses could never be delivered to: it is
 * refused when saved. Names that resolve to such addresses are refused at delivery, when they resolve.
 */
function checkDestination(policy: DestinationPolicy, url: string, path: string): void {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  if (policy.hostAllowed(host)) return;
  const refusal = isIpLiteral(host) ? policy.refusal(host) : host === 'localhost' ? 'localhost is loopback' : undefined;
  if (refusal) {
    throw new UserError(422, 'destination_refused', `webhooks cannot be delivered to ${host}: ${refusal}`, [
      { path, message: `${refusal} (OUTBOUND_ALLOW_HOSTS allows named hosts)` },
    ]);
  }
}

export function webhookJson(doc: WebhookDoc) {
  return {
    id: doc._id,
    url: doc.url,
    events: doc.events,
    description: doc.description,
    disabled: doc.disabled,
    disabledReason: doc.disabledReason ?? null,
    disabledAt: doc.disabledAt?.toISOString() ?? null,
    failingSince: doc.failingSince?.toISOString() ?? null,
    lastSuccessAt: doc.lastSuccessAt?.toISOString() ?? null,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/**
 * Webhook subscriptions of an org: the signing secret (`whsec_`, Standard Webhooks) is sealed at rest with
 * SecretBox and shown only by create and rotate-secret. Another org's subscription is a 404.
 */
export function createSubscriptionService(config: Pick<Config, 'secretsKey' | 'env' | 'webhooks' | 'outbound'>) {
  // Built on first use: the app is also built without configuration, to list its routes.
  let box: SecretBox | undefined;
  let policy: DestinationPolicy | undefined;
  const sealed = (secret: string) => (box ??= secretBoxFor(config)).seal(secret);
  const destinations = () => (policy ??= new DestinationPolicy(config.outbound.allowHosts));

  async function owned(org: string, id: string): Promise<WebhookDoc> {
    const doc = await WebhookModel.findOne({ _id: id, org }).lean<WebhookDoc>();
    if (!doc) throw new NotFoundError('webhook', id);
    return doc;
  }

  return {
    async create(org: string, body: CreateWebhook) {
      checkDestination(destinations(), body.url, 'url');
      const secret = newSigningSecret();
      const doc = await WebhookModel.create({
        _id: `wh_${newId()}`,
        org,
        url: body.url,
        events: [...new Set(body.events)],
        description: body.description,
        secretSealed: sealed(secret),
      });
      forgetSubscriptions(org);
      return { ...webhookJson(doc.toObject() as WebhookDoc), secret };
    },

    async list(org: string) {
      const docs = await WebhookModel.find({ org }).sort({ createdAt: 1 }).lean<WebhookDoc[]>();
      return docs.map(webhookJson);
    },

    async get(org: string, id: string) {
      return webhookJson(await owned(org, id));
    },

    async update(org: string, id: string, body: UpdateWebhook) {
      if (body.url !== undefined) checkDestination(destinations(), body.url, 'url');
      await owned(org, id);
      const set: Record<string, unknown> = {};
      const unset: Record<string, 1> = {};
      if (body.url !== undefined) set.url = body.url;
      if (body.events !== undefined) set.events = [...new Set(body.events)];
      if (body.description !== undefined) set.description = body.description;
      if (body.disabled === true)
        Object.assign(set, { disabled: true, disabledReason: 'disabled through the API', disabledAt: new Date() });
      if (body.disabled === false) {
        // Enabled again: its health starts afresh.
        set.disabled = false;
        Object.assign(unset, { disabledReason: 1, disabledAt: 1, failingSince: 1 });
      }
      await WebhookModel.updateOne(
        { _id: id, org },
        { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) },
      );
      forgetSubscriptions(org);
      return webhookJson(await owned(org, id));
    },

    /** Deletes the subscription and its deliveries; deliveries in flight stop at their next attempt. */
    async remove(org: string, id: string): Promise<void> {
      await owned(org, id);
      await WebhookModel.deleteOne({ _id: id, org });
      forgetSubscriptions(org);
      await DeliveryModel.deleteMany({ webhook: id });
    },

    /**
     * A new secret; deliveries carry a signature with each of the two for WEBHOOK_SECRET_GRACE_MS, so that a
     * receiver can switch to the new one without refusing deliveries meanwhile.
     */
    async rotateSecret(org: string, id: string) {
      const doc = await owned(org, id);
      const secret = newSigningSecret();
      const updated = await WebhookModel.findOneAndUpdate(
        { _id: id, org, secretSealed: doc.secretSealed },
        {
          $set: {
            secretSealed: sealed(secret),
            previousSecretSealed: doc.secretSealed,
            previousSecretUntil: new Date(Date.now() + config.webhooks.secretGraceMs),
          },
        },
        { new: true },
      ).lean<WebhookDoc>();
      if (!updated) throw new ConflictError('rotation_conflict', 'the secret was rotated at the same time; retry');
      return { ...webhookJson(updated), secret };
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
