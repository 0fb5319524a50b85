import { Schema, model, type InferSchemaType } from 'mongoose';

export const DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One attempt of a delivery, kept in its delivery (a few per series: reading a page of deliveries is one query).
 * `key` is `<series>:<attempt>`: an activity retried after sending finds its attempt recorded (and its outcome)
 * instead of recording, or sending, a second one.
 */
const AttemptSchema = new Schema(
  {
    key: { type: String, required: true },
    series: { type: Number, required: true },
    attempt: { type: Number, required: true },
    at: { type: Date, required: true },
    /** The endpoint's HTTP status, or null when no answer came (network error, timeout, refused). */
    status: { type: Number, required: false, default: null },
    latencyMs: { type: Number, required: false, default: null },
    /** The first bytes of the answer's body. */
    response: { type: String, required: false, default: null },
    error: { type: String, required: false, default: null },
    outcome: { type: String, enum: ['succeeded', 'retry', 'failed'] as const, required: true },
    retryAfterMs: { type: Number, required: false },
    /** The endpoint was not tried (disabled, throttled by us, the event gone): says nothing of its health. */
    skipped: { type: Boolean, required: true, default: false },
  },
  { _id: false },
);

/**
 * One event delivered to one subscription. `_id` is the delivery id (`msg_` + a hash of subscription and
 * event), sent as `webhook-id` on every attempt, so a dispatch repeated by the outbox sweeper finds the same
 * delivery. `series` counts attempt series: 1 from dispatch, one more per `POST .../retry`.
 */
const DeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    webhook: { type: String, required: true },
    event: { type: String, required: true },
    eventName: { type: String, required: true },
    /** `<kind>:<id>` of the record the event is about (deliveries of one record go in order), or none. */
    record: { type: String, required: false },
    state: { type: String, enum: DELIVERY_STATES, required: true, default: 'pending' },
    series: { type: Number, required: true, default: 1 },
    attempts: { type: [AttemptSchema], default: [] },
  },
  { timestamps: true, versionKey: false },
);
DeliverySchema.index({ webhook: 1, createdAt: -1 });

export type DeliveryDoc = InferSchemaType<typeof DeliverySchema> & { _id: string; createdAt: Date; updatedAt: Date };
export type AttemptDoc = InferSchemaType<typeof AttemptSchema>;
export const DeliveryModel = model('WebhookDelivery', DeliverySchema, 'webhook_deliveries');
