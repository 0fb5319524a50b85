import { Schema, model } from 'mongoose';

const OrgSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    apiKeyHash: { type: String, required: true, unique: true },
  },
  { timestamps: true, versionKey: false },
);

export const OrgModel = model('Org', OrgSchema, 'orgs');
