import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * An event and what it caused. `_id` is derived from the idempotency key when one is given (so the
 * same key finds the same event) and from the run and step when a workflow wrote the record (so a
 * retried activity re-publishes the same event, never a second one).
 */
const EventSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    name: { type: String, required: true },
    dataJson: { type: String, required: true },
    idempotencyKey: { type: String },
    source: { type: String, required: true },
    origin: {
      type: { _id: false, run: String, workflow: String, step: String },
      default: undefined,
    },
    depth: { type: Number, required: true, default: 0 },
    status: { type: String, required: true, default: 'pending' },
    runs: { type: [{ _id: false, id: String, workflow: String, rev: Number }], default: [] },
    skipped: { type: [{ _id: false, workflow: String, rev: Number, reason: String, message: String }], default: [] },
  },
  { timestamps: true, versionKey: false },
);
EventSchema.index({ org: 1, createdAt: -1 });

export type EventDoc = InferSchemaType<typeof EventSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const EventModel = model('Event', EventSchema, 'events');
