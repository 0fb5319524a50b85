import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A run waiting in a `wait-for-event` step, in the `waits` collection: event dispatch finds the waits of
 * an event's org and (canonical) name whose `key` is the event data's `id`, `conversation` or `customer`,
 * and signals each run. Written by an activity when the step starts waiting and removed when it ends;
 * `_id` is derived from the run and step, so a retried write is the same document.
 */
const WaitSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    eventName: { type: String, required: true },
    key: { type: String, required: true },
    temporalWorkflowId: { type: String, required: true },
    stepId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
WaitSchema.index({ org: 1, eventName: 1, key: 1 });

export type WaitDoc = InferSchemaType<typeof WaitSchema> & { _id: string };
export const WaitModel = model('Wait', WaitSchema, 'waits');
