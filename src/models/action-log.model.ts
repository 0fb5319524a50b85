import { Schema, model } from 'mongoose';

/**
 * One entry per write a workflow step performs, keyed by the step's idempotency key. It holds the
 * write's plan (fixed on the first attempt) and, once applied, its output: a retried or replayed
 * activity re-applies the same plan or returns the stored output, never a second write.
 */
const ActionLogSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    action: { type: String, required: true },
    status: { type: String, enum: ['planned', 'done'] as const, required: true },
    planJson: { type: String, required: true },
    outputJson: { type: String },
  },
  { timestamps: true, versionKey: false },
);

export const ActionLogModel = model('ActionLog', ActionLogSchema, 'action_log');
