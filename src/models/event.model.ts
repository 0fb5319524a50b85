import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * An event and what it caused. `_id` is derived from the idempotency key when one is given (so the
 * same key finds the same event) and from the run and step when a workflow wrote the record (so a
 * retried activity re-publishes the same event, never a second one). `status` is `pending` until
 * dispatched, then `dispatched`, or `void` when the write it described never happened.
 */
export const EVENT_SOURCES = ['api', 'workflow', 'hook'] as const;
/** Why a definition listening to an event did not run (`trigger_error`: its trigger could not be evaluated). */
export const SKIP_REASONS = [
  'disabled',
  'trigger_condition_false',
  'trigger_error',
  'own_write',
  'cascade_limit',
] as const;

const EventSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    name: { type: String, required: true },
    dataJson: { type: String, required: true },
    idempotencyKey: { type: String },
    source: { type: String, enum: EVENT_SOURCES, required: true },
    origin: {
      type: { _id: false, run: String, workflow: String, step: String },
      default: undefined,
    },
    depth: { type: Number, required: true, default: 0 },
    /** The record write this event describes (none for custom events). */
    write: { type: { _id: false, kind: String, id: String }, default: undefined },
    status: { type: String, enum: ['pending', 'dispatched', 'void'] as const, required: true, default: 'pending' },
    runs: { type: [{ _id: false, id: String, workflow: String, rev: Number }], default: [] },
    skipped: {
      type: [
        {
          _id: false,
          workflow: String,
          rev: Number,
          reason: { type: String, enum: SKIP_REASONS, required: true },
          message: String,
        },
      ],
      default: [],
    },
  },
  { timestamps: true, versionKey: false },
);
EventSchema.index({ org: 1, createdAt: -1 });
EventSchema.index({ status: 1, updatedAt: 1 });

export type EventDoc = InferSchemaType<typeof EventSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const EventModel = model('Event', EventSchema, 'events');
