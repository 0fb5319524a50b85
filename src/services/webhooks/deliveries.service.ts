import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { WebhookSettings } from '../../config';
import { canonicalName } from '../../core/names';
import { ConflictError, NotFoundError } from '../../errors';
import { derivedId, isDuplicateKeyError } from '../../models/ids';
import { DELIVERY_STATES, DeliveryModel, type DeliveryDoc } from '../../models/webhook-delivery.model';
import { WebhookModel, type WebhookDoc } from '../../models/webhook.model';
import {
  webhookDelivery,
  webhookDeliverySignal,
  webhookSender,
  type DeliveryInput,
} from '../../workflows/webhook.workflow';
import type { PublishInput } from '../events.types';
import { subscriptionsFor, type ActiveSubscription } from './subscriptions.service';

export interface WebhookDeps {
  client: Client;
  taskQueue: string;
  settings: WebhookSettings;
  logger: Logger;
}

/** The delivery of an event to a subscription: the same for every dispatch of the event, sent as `webhook-id`. */
export function deliveryIdFor(webhookId: string, eventId: string): string {
  return `msg_${derivedId('webhook-delivery', webhookId, eventId)}`;
}

/** The workflow of one attempt series of a delivery: series 1 from dispatch, 2... from `POST .../retry`. */
export function deliveryWorkflowIdFor(deliveryId: string, series: number): string {
  return series === 1 ? `webhook-${deliveryId}` : `webhook-${deliveryId}-retry-${series}`;
}

/** The sender that orders one record's deliveries to one subscription. */
export function senderWorkflowIdFor(org: string, webhookId: string, record: string): string {
  return `webhook-sender-${derivedId(org, webhookId, record)}`;
}

/** The record an event describes (`<kind>:<id>`), whose deliveries go in order; custom and hook events have none. */
function recordOf(event: PublishInput): string | undefined {
  return event.write ? `${event.write.kind}:${event.write.id}` : undefined;
}

/**
 * What event dispatch calls: `matching` finds the subscriptions an event goes to (cached per org, see
 * subscriptionsFor), `deliver` stores a pending delivery per subscription and starts it. Everything derives
 * from (subscription, event), so a dispatch repeated by the outbox sweeper starts nothing new.
 */
export function createWebhookDispatch(deps: WebhookDeps) {
  const { client, settings } = deps;

  async function store(event: PublishInput, webhookId: string, deliveryId: string, record?: string): Promise<void> {
    try {
      await DeliveryModel.updateOne(
        { _id: deliveryId },
        {
          $setOnInsert: {
            org: event.org,
            webhook: webhookId,
            event: event.id,
            eventName: canonicalName(event.name),
            ...(record ? { record } : {}),
            state: 'pending',
            series: 1,
          },
        },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error; // two dispatches upserting at once
    }
  }

  async function startOne(event: PublishInput, subscription: ActiveSubscription): Promise<void> {
    const deliveryId = deliveryIdFor(subscription.id, event.id);
    const record = recordOf(event);
    await store(event, subscription.id, deliveryId, record);
    const input: DeliveryInput = {
      org: event.org,
      webhookId: subscription.id,
      deliveryId,
      eventId: event.id,
      series: 1,
      retryScheduleMs: settings.retryScheduleMs,
      timeoutMs: settings.timeoutMs,
    };
    const workflowId = deliveryWorkflowIdFor(deliveryId, 1);
    if (record) {
      await client.workflow.signalWithStart(webhookSender, {
        workflowId: senderWorkflowIdFor(event.org, subscription.id, record),
        taskQueue: deps.taskQueue,
        args: [{ org: event.org, webhookId: subscription.id, record }],
        signal: webhookDeliverySignal,
        signalArgs: [{ workflowId, input }],
        staticSummary: `webhook ${subscription.id}: deliveries of ${record}, in order`,
      });
      return;
    }
    try {
      await client.workflow.start(webhookDelivery, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `webhook delivery ${deliveryId} of ${event.name}`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  return {
    matching(event: PublishInput): Promise<ActiveSubscription[]> {
      return subscriptionsFor(event.org, event.name, settings.subscriptionCacheMs);
    },

    /** Starts the event's deliveries; throws when one could not start (the event stays pending for the sweeper). */
    async deliver(event: PublishInput, subscriptions: ActiveSubscription[]): Promise<void> {
      for (const subscription of subscriptions) await startOne(event, subscription);
      if (subscriptions.length > 0) {
        deps.logger.info(
          { org: event.org, event: event.id, webhooks: subscriptions.length },
          'webhook deliveries started',
        );
      }
    },
  };
}

export type WebhookDispatch = ReturnType<typeof createWebhookDispatch>;

export const DeliveriesQuery = z.strictObject({
  state: z.enum(DELIVERY_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function deliveryJson(doc: DeliveryDoc) {
  return {
    id: doc._id,
    webhook: doc.webhook,
    event: { id: doc.event, name: doc.eventName },
    record: doc.record ?? null,
    state: doc.state,
    series: doc.series,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    attempts: [...(doc.attempts ?? [])]
      .sort((a, b) => a.series - b.series || a.attempt - b.attempt)
      .map((a) => ({
        series: a.series,
        attempt: a.attempt,
        at: a.at.toISOString(),
        status: a.status ?? null,
        latencyMs: a.latencyMs ?? null,
        response: a.response ?? null,
        error: a.error ?? null,
        outcome: a.outcome,
      })),
  };
}

/** Deliveries of a subscription with their attempts, and `POST .../retry`. */
export function createDeliveryService(deps: Omit<WebhookDeps, 'logger'>) {
  async function subscription(org: string, webhookId: string): Promise<WebhookDoc> {
    const doc = await WebhookModel.findOne({ _id: webhookId, org }).lean<WebhookDoc>();
    if (!doc) throw new NotFoundError('webhook', webhookId);
    return doc;
  }

  async function delivery(org: string, webhookId: string, id: string): Promise<DeliveryDoc> {
    await subscription(org, webhookId);
    const doc = await DeliveryModel.findOne({ _id: id, org, webhook: webhookId }).lean<DeliveryDoc>();
    if (!doc) throw new NotFoundError('delivery', id);
    return doc;
  }

  /**
   * Whether a pending delivery's attempt series ended without an outcome: its workflow failed, timed out, or was
   * terminated or cancelled (an attempt that could not run through all of its activity retries, an operator's
   * terminate). Nothing would ever finish such a delivery, so it may be retried like a failed one.
   */
  async function seriesAbandoned(id: string, series: number): Promise<boolean> {
    try {
      const { status } = await deps.client.workflow.getHandle(deliveryWorkflowIdFor(id, series)).describe();
      return ['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED'].includes(status.name);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false; // not started yet: its sender will start it
      throw error;
    }
  }

  return {
    /** Newest first. */
    async list(org: string, webhookId: string, query: z.output<typeof DeliveriesQuery>) {
      await subscription(org, webhookId);
      const docs = await DeliveryModel.find({ webhook: webhookId, ...(query.state ? { state: query.state } : {}) })
        .sort({ createdAt: -1, _id: 1 })
        .limit(query.limit)
        .lean<DeliveryDoc[]>();
      return docs.map(deliveryJson);
    },

    async get(org: string, webhookId: string, id: string) {
      return deliveryJson(await delivery(org, webhookId, id));
    },

    /**
     * A new attempt series for a failed delivery, at once, with the same `webhook-id` (outside the record's
     * order: the events after it went on when it failed). A succeeded delivery is not sent again (409: its
     * receiver has it, and would drop the same `webhook-id` as a duplicate); a pending one is still going (409),
     * unless its series ended without an outcome (`seriesAbandoned`).
     */
    async retry(org: string, webhookId: string, id: string) {
      const hook = await subscription(org, webhookId);
      const doc = await delivery(org, webhookId, id);
      const retryable = doc.state === 'failed' || (doc.state === 'pending' && (await seriesAbandoned(id, doc.series)));
      if (!retryable) {
        throw new ConflictError(
          `delivery_${doc.state}`,
          doc.state === 'succeeded'
            ? `delivery ${id} succeeded: its receiver has it`
            : `delivery ${id} is still being attempted`,
        );
      }
      if (hook.disabled) {
        throw new ConflictError(
          'webhook_disabled',
          `webhook ${webhookId} is disabled (${hook.disabledReason ?? ''}); enable it first`,
        );
      }
      const series = doc.series + 1;
      const claimed = await DeliveryModel.updateOne(
        { _id: id, state: doc.state, series: doc.series },
        { $set: { state: 'pending', series } },
      );
      if (claimed.modifiedCount === 0)
        throw new ConflictError('delivery_pending', `delivery ${id} is being retried already`);
      const input: DeliveryInput = {
        org,
        webhookId,
        deliveryId: id,
        eventId: doc.event,
        series,
        retryScheduleMs: deps.settings.retryScheduleMs,
        timeoutMs: deps.settings.timeoutMs,
      };
      try {
        await deps.client.workflow.start(webhookDelivery, {
          workflowId: deliveryWorkflowIdFor(id, series),
          taskQueue: deps.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: `webhook delivery ${id}, retry ${series - 1}`,
        });
      } catch (error) {
        // Not started: the delivery is as it was, and the retry can be asked for again.
        await DeliveryModel.updateOne({ _id: id, series }, { $set: { state: doc.state, series: doc.series } });
        throw error;
      }
      return this.get(org, webhookId, id);
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
