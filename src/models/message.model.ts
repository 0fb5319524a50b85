import { Schema, model } from 'mongoose';
import { MESSAGE_DIRECTIONS, MESSAGE_DIRECTION_TYPES } from '../core/records.schema';

const MessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    conversation: { type: String, required: true },
    customer: { type: String, required: true },
    channel: { type: String, required: true },
    direction: { type: String, enum: MESSAGE_DIRECTIONS, required: true },
    directionType: { type: String, enum: MESSAGE_DIRECTION_TYPES, required: true },
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

export const MessageModel = model('Message', MessageSchema, 'messages');
