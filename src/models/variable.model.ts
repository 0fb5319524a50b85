import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A variable of an org (`{{{variables.<id>}}}` or `{{{variables.<name>}}}` in templates). `_id` is
 * `<org>:<id>`, so two orgs may hold the same id (an exported workflow imported into both keeps working
 * in each). The value is always sealed with SecretBox, secret or not; `secret` only decides whether the
 * API shows it.
 */
const VariableSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    vid: { type: String, required: true },
    name: { type: String, required: true },
    secret: { type: Boolean, required: true },
    sealedValue: { type: String, required: true },
  },
  { timestamps: true, versionKey: false },
);
VariableSchema.index({ org: 1, name: 1 }, { unique: true });

export type VariableDoc = InferSchemaType<typeof VariableSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const VariableModel = model('Variable', VariableSchema, 'variables');

export const variableKey = (org: string, id: string): string => `${org}:${id}`;
