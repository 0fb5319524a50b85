import { Schema, model } from 'mongoose';

const CustomerSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    name: { type: String },
    emails: { type: [{ _id: false, email: String, type: { type: String } }], default: [] },
    /** Lower-cased addresses, for lookups by email (scalar array: no dotted queries into objects). */
    emailIndex: { type: [String], default: [] },
    phones: { type: [{ _id: false, phone: String, type: { type: String } }], default: [] },
    externalId: { type: String },
    customJson: { type: String, default: '{}' },
    /** Event ids of the latest writes applied, so a retried write can tell it already happened. */
    lastWrites: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
CustomerSchema.index({ org: 1, emailIndex: 1 });
CustomerSchema.index({ org: 1, externalId: 1 });

export const CustomerModel = model('Customer', CustomerSchema, 'customers');
