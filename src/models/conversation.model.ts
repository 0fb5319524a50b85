import { Schema, model } from 'mongoose';
import { CONVERSATION_STATUSES } from '../core/records.schema';

const ConversationSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    customer: { type: String, required: true },
    name: { type: String },
    channels: { type: [String], default: [] },
    status: { type: String, enum: CONVERSATION_STATUSES, required: true, default: 'open' },
    priority: { type: Number, required: true, default: 1 },
    tags: { type: [String], default: [] },
    assignedUsers: { type: [String], default: [] },
    snoozedUntil: { type: Date },
    customJson: { type: String, default: '{}' },
    messageCount: { type: Number, default: 0 },
    lastMessageAt: { type: Date },
    lastMessageInAt: { type: Date },
    lastMessageOutAt: { type: Date },
    /** Event ids of the latest writes applied, so a retried write can tell it already happened. */
    lastWrites: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
ConversationSchema.index({ org: 1, customer: 1 });

export const ConversationModel = model('Conversation', ConversationSchema, 'conversations');
