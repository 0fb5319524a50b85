import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A recurring schedule of a callable definition: the Temporal Schedule (same id) fires it; this document
 * says which org owns it (listing and access never ask Temporal's eventually consistent visibility) and
 * keeps what the API was given. `pausedByDefinition`: paused because its definition was disabled, so that
 * enabling the definition resumes it (and only it).
 */
const ScheduleSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    workflow: { type: String, required: true },
    cron: { type: String, required: false },
    intervalMs: { type: Number, required: false },
    timezone: { type: String, required: false },
    overlap: { type: String, required: true },
    inputsJson: { type: String, required: true },
    pausedByDefinition: { type: Boolean, required: true, default: false },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
ScheduleSchema.index({ org: 1, workflow: 1 });

export type ScheduleDoc = InferSchemaType<typeof ScheduleSchema> & { _id: string };
export const ScheduleModel = model('Schedule', ScheduleSchema, 'schedules');
