import { Schema, model, type InferSchemaType } from 'mongoose';
import { HOOK_TYPES } from '../core/names';

/**
 * An inbound hook. `_id` is the hook's id, global (web and email URLs carry no org), 24 hex characters:
 * generated, or the exported id of a workflow's trigger (`kustomer.hooks.form.<id>.receive`). `secrets`
 * are sealed with SecretBox, newest first: the current one (`expiresAt` null) and, after a rotation, the
 * previous ones until their grace period ends. A deleted hook is removed.
 */
const HookSchema = new Schema(
  {
    _id: { type: String, required: true },
    org: { type: String, required: true },
    type: { type: String, enum: HOOK_TYPES, required: true },
    name: { type: String, required: true },
    secrets: {
      type: [{ _id: false, sealed: { type: String, required: true }, createdAt: Date, expiresAt: Date }],
      default: [],
    },
  },
  { timestamps: true, versionKey: false },
);
HookSchema.index({ org: 1, createdAt: 1 });

export type HookDoc = InferSchemaType<typeof HookSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export const HookModel = model('Hook', HookSchema, 'hooks');
