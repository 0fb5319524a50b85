import { Schema, model, type InferSchemaType } from 'mongoose';

const MessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    conversation: { type: String, required: true },
    customer: { type: String, required: true },
    channel: { type: String, required: true },
    direction: { type: String, required: true },
    directionType: { type: String, required: true },
    subject: { type: String },
    body: { type: String, default: '' },
    /** The run that wrote this message, when a workflow did. */
    createdByRun: { type: String },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
MessageSchema.index({ org: 1, conversation: 1, createdAt: -1 });

export type MessageDoc = InferSchemaType<typeof MessageSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const MessageModel = model('Message', MessageSchema, 'messages');
