import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A stored definition, in the `workflows` collection (the API's name for it). The definition itself is JSON
 * text (see json-text.ts) tagged with the format version it was written in; `eventName` (canonical, prefix
 * stripped) and `enabled` are lifted out so that event dispatch can find candidate definitions with an index.
 */
const WorkflowSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    name: { type: String, required: true },
    eventName: { type: String, required: true },
    enabled: { type: Boolean, required: true, default: false },
    rev: { type: Number, required: true, default: 1 },
    formatVersion: { type: Number, required: true },
    definitionJson: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
WorkflowSchema.index({ org: 1, eventName: 1 });
WorkflowSchema.index({ org: 1, enabled: 1 });

export type WorkflowDoc = InferSchemaType<typeof WorkflowSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const WorkflowModel = model('Workflow', WorkflowSchema, 'workflows');
