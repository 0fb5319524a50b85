import { Schema, model } from 'mongoose';

const NoteSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    conversation: { type: String, required: true },
    customer: { type: String, required: true },
    body: { type: String, required: true },
    userMentions: { type: [{ _id: false, user: String }], default: [] },
    createdByRun: { type: String },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
NoteSchema.index({ org: 1, conversation: 1 });

export const NoteModel = model('Note', NoteSchema, 'notes');
