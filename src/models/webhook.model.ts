import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * An outbound webhook subscription: where an org's events are delivered (`url`), which ones (`events`: names
 * and `prefix.*` patterns), and the signing secret, sealed with SecretBox (`secretSealed`; after a rotation the
 * previous one signs too until `previousSecretUntil`). Health: `failingSince` is the first failed attempt since
 * the last success; past WEBHOOK_DISABLE_AFTER_MS, or on a 410, the endpoint is disabled with its reason.
 */
const WebhookSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    url: { type: String, required: true },
    events: { type: [String], required: true },
    description: { type: String, default: '' },
    secretSealed: { type: String, required: true },
    previousSecretSealed: { type: String, required: false },
    previousSecretUntil: { type: Date, required: false },
    disabled: { type: Boolean, required: true, default: false },
    disabledReason: { type: String, required: false },
    disabledAt: { type: Date, required: false },
    failingSince: { type: Date, required: false },
    lastSuccessAt: { type: Date, required: false },
  },
  { timestamps: true, versionKey: false },
);
/** Event dispatch reads an org's enabled subscriptions with this index (and caches them briefly). */
WebhookSchema.index({ org: 1, disabled: 1 });

export type WebhookDoc = InferSchemaType<typeof WebhookSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const WebhookModel = model('Webhook', WebhookSchema, 'webhooks');
