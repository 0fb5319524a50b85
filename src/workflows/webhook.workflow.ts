import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  defineSignal,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhook.activities';

/**
 * Outbound webhook deliveries. A wire format (workflow inputs and signals are stored in histories): keys are
 * never renamed.
 */
export interface DeliveryInput {
  org: string;
  webhookId: string;
  /** Sent as `webhook-id` on every attempt. */
  deliveryId: string;
  eventId: string;
  /** 1 for the series dispatch starts, one more for each `POST .../retry`. */
  series: number;
  /** Waits between attempts, ms (WEBHOOK_RETRY_SCHEDULE_MS when dispatched): attempts = length + 1. */
  retryScheduleMs: number[];
  /** Budget of one attempt's HTTP call (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
}

/** What one attempt came to: `retry` (network error, 408, 429, 5xx), or a final outcome. */
export interface AttemptOutcome {
  outcome: 'succeeded' | 'retry' | 'failed';
  /** The endpoint's `Retry-After`, or the throttle's wait, in ms. */
  retryAfterMs?: number;
  /** Held back by our own outbound throttle: nothing was sent, and the endpoint said nothing. */
  throttled?: boolean;
}

export interface AttemptInput extends Omit<DeliveryInput, 'retryScheduleMs'> {
  attempt: number;
  /** The last attempt of the series: a failure fails the delivery. */
  final: boolean;
}

/**
 * Patch id: an attempt our own outbound throttle held back is tried again after the throttle's wait, without
 * taking a step of the retry schedule (before it: it counted as a failed attempt, so a burst of deliveries
 * could push some to the schedule's 5-minute step without the endpoint ever failing).
 */
export const THROTTLED_NOT_COUNTED = 'webhook-throttled-attempt-not-counted';

/** The longest `Retry-After` honoured; an endpoint asking for more is tried after this. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/**
 * One delivery's attempt series: attempt 1 at once, then after each failure that may be retried the next wait
 * of the schedule (longer when the endpoint's `Retry-After` asks for it), as durable timers. Each attempt is one
 * activity that reports what the endpoint answered instead of throwing, so Temporal's own retries never hide an
 * attempt: they only cover an attempt that could not run (the database unreachable), which finds its attempt
 * recorded, by (delivery, series, attempt), if it got that far.
 */
export async function webhookDelivery(input: DeliveryInput): Promise<'succeeded' | 'failed'> {
  const { attemptDelivery } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: input.timeoutMs + 30_000,
    retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2, maximumAttempts: 30 },
    summary: `deliver ${input.deliveryId}`,
  });
  const attempts = input.retryScheduleMs.length + 1;
  const { retryScheduleMs: _schedule, ...ids } = input;
  // Attempts of the schedule so far; `attempt` numbers every call, throttled ones too (each is recorded).
  let counted = 0;
  for (let attempt = 1; ; attempt++) {
    const final = counted + 1 >= attempts;
    const { outcome, retryAfterMs, throttled } = await attemptDelivery({ ...ids, attempt, final });
    if (outcome === 'succeeded') return 'succeeded';
    if (throttled && patched(THROTTLED_NOT_COUNTED)) {
      await sleep(Math.max(retryAfterMs ?? 0, 100));
      continue;
    }
    counted++;
    if (outcome === 'failed' || final) return 'failed';
    const wait = Math.max(input.retryScheduleMs[counted - 1] ?? 0, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
    if (wait > 0) await sleep(wait);
  }
}

/** A delivery for a record's sender: the delivery workflow's id (derived by dispatch) and its input. */
export interface SenderDelivery {
  workflowId: string;
  input: DeliveryInput;
}

export interface WebhookSenderInput {
  org: string;
  webhookId: string;
  /** `<kind>:<id>` of the record. */
  record: string;
  /** Deliveries received and not run yet, oldest first (carried over continue-as-new). */
  pending?: SenderDelivery[];
  /** The most recent delivery ids received, to ignore a dispatch repeated by the sweeper (carried). */
  recent?: string[];
}

export const webhookDeliverySignal = defineSignal<[SenderDelivery]>('webhookDelivery');

const RECENT_DELIVERY_IDS = 200;
const CONTINUE_AFTER_DELIVERIES = 100;
/** A sender with nothing left stays open this long (the sweeper repeats a dispatch within about 45 s). */
export const SENDER_LINGER_MS = 2 * 60_000;

/**
 * The deliveries of one record's events to one subscription, in the order dispatch signalled them: one
 * `webhookSender` per (subscription, record), started with signal-with-start, runs each delivery as a child
 * `webhookDelivery`, one at a time, so a record's events arrive in order even while an earlier one is retried.
 * Child ids derive from (subscription, event) and start with `REJECT_DUPLICATE`: a delivery dispatched twice
 * runs once.
 */
export async function webhookSender(input: WebhookSenderInput): Promise<number> {
  const pending = [...(input.pending ?? [])];
  const recent = [...(input.recent ?? [])];
  let ran = 0;
  setHandler(webhookDeliverySignal, (delivery) => {
    if (recent.includes(delivery.input.deliveryId)) return;
    recent.push(delivery.input.deliveryId);
    if (recent.length > RECENT_DELIVERY_IDS) recent.splice(0, recent.length - RECENT_DELIVERY_IDS);
    pending.push(delivery);
  });
  for (;;) {
    if (pending.length === 0 && !(await condition(() => pending.length > 0, SENDER_LINGER_MS))) return ran;
    if (ran >= CONTINUE_AFTER_DELIVERIES || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof webhookSender>({ ...input, pending, recent });
    }
    const next = pending.shift()!;
    ran++;
    try {
      await executeChild(webhookDelivery, {
        workflowId: next.workflowId,
        args: [next.input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `webhook delivery ${next.input.deliveryId} (record ${input.record})`,
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Delivered before (a repeated dispatch after this sender completed), or failed: the next one goes.
      log.info('webhook delivery ended without success', {
        delivery: next.input.deliveryId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
