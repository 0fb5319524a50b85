import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One org's 15-minute fire window: how many scheduled runs fired in it, and which (so that a retried
 * reservation finds its own slot instead of taking a second one). `_id` is `<org>:<window start ISO>`.
 */
const FireWindowSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    windowStart: { type: Date, required: true },
    count: { type: Number, required: true, default: 0 },
    runs: { type: [String], required: true, default: [] },
  },
  { versionKey: false },
);

export type FireWindowDoc = InferSchemaType<typeof FireWindowSchema> & { _id: string };
export const FireWindowModel = model('FireWindow', FireWindowSchema, 'fire_windows');
