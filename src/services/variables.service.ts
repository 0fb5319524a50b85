import { z } from 'zod';
import type { JsonObject } from '../core/json';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { isDuplicateKeyError, newId } from '../models/ids';
import { VariableModel, variableKey, type VariableDoc } from '../models/variable.model';
import type { SecretBox } from './secrets/secret-box';

/** An id as the product exports it (24 hex), so `{{{variables.<id>}}}` of an imported workflow finds it. */
export const VARIABLE_ID = /^[0-9a-f]{24}$/;

/** A name is a template path segment (`{{{variables.apiToken}}}`), and never looks like an id. */
const name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'letters, digits and _, starting with a letter or _ (at most 100)')
  .refine((n) => !VARIABLE_ID.test(n), 'must not look like a variable id (24 hex characters)');
const value = z.string().max(10_000);

export const CreateVariableSchema = z.strictObject({
  name,
  value,
  /** Secret unless said otherwise: a secret's value is never shown again. */
  secret: z.boolean().default(true),
  id: z.string().regex(VARIABLE_ID, 'must be 24 hex characters (lower case)').optional(),
});
export const UpdateVariableSchema = z
  .strictObject({ name: name.optional(), value: value.optional(), secret: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of "name", "value", "secret"');

export type CreateVariable = z.output<typeof CreateVariableSchema>;
export type UpdateVariable = z.output<typeof UpdateVariableSchema>;

/** A variable's value and whether it is secret, as the activity that uses it needs them. */
export interface ResolvedVariable {
  value: string;
  secret: boolean;
}

/** Variables of an org: values sealed at rest, secret values never answered. */
export function createVariableService(box: SecretBox) {
  // The unique index on (org, name) must exist before the first insert relies on it.
  let indexes: Promise<unknown> | undefined;
  const ready = () => (indexes ??= VariableModel.init());

  function toJson(doc: VariableDoc): JsonObject {
    return {
      id: doc.vid,
      name: doc.name,
      secret: doc.secret,
      ...(doc.secret ? {} : { value: box.open(doc.sealedValue) }),
      createdAt: doc.createdAt.toISOString(),
      updatedAt: doc.updatedAt.toISOString(),
    };
  }

  async function owned(org: string, id: string): Promise<VariableDoc> {
    const doc = await VariableModel.findById(variableKey(org, id)).lean<VariableDoc>();
    if (!doc) throw new NotFoundError('variable', id);
    return doc;
  }

  /** A duplicate key on insert or rename: the id (the document key) or the name was taken. */
  async function conflict(org: string, id: string, wanted: string): Promise<ConflictError> {
    const byName = await VariableModel.findOne({ org, name: wanted }, { _id: 1 }).lean();
    if (byName && byName._id !== variableKey(org, id)) {
      return new ConflictError('variable_name_taken', `a variable named "${wanted}" exists already`);
    }
    return new ConflictError('variable_id_taken', `a variable with id "${id}" exists already`);
  }

  return {
    async create(org: string, body: CreateVariable): Promise<JsonObject> {
      await ready();
      const id = body.id ?? newId();
      try {
        const doc = await VariableModel.create({
          _id: variableKey(org, id),
          org,
          vid: id,
          name: body.name,
          secret: body.secret,
          sealedValue: box.seal(body.value),
        });
        return toJson(doc.toObject() as VariableDoc);
      } catch (error) {
        if (isDuplicateKeyError(error)) throw await conflict(org, id, body.name);
        throw error;
      }
    },

    async list(org: string): Promise<JsonObject[]> {
      const docs = await VariableModel.find({ org }).sort({ name: 1 }).lean<VariableDoc[]>();
      return docs.map(toJson);
    },

    async get(org: string, id: string): Promise<JsonObject> {
      return toJson(await owned(org, id));
    },

    async update(org: string, id: string, body: UpdateVariable): Promise<JsonObject> {
      await ready();
      const doc = await owned(org, id);
      // Unmarking a secret would show its value: only with a new value, so the old one stays unseen.
      if (doc.secret && body.secret === false && body.value === undefined) {
        throw new ValidationError([
          {
            path: 'value',
            message: 'a secret becomes a plain variable only with a new value (the secret stays hidden)',
          },
        ]);
      }
      const set: Record<string, unknown> = {};
      if (body.name !== undefined) set.name = body.name;
      if (body.secret !== undefined) set.secret = body.secret;
      if (body.value !== undefined) set.sealedValue = box.seal(body.value);
      try {
        const updated = await VariableModel.findOneAndUpdate(
          { _id: doc._id },
          { $set: set },
          { new: true },
        ).lean<VariableDoc>();
        if (!updated) throw new NotFoundError('variable', id);
        return toJson(updated);
      } catch (error) {
        if (isDuplicateKeyError(error)) throw await conflict(org, id, body.name ?? doc.name);
        throw error;
      }
    },

    async remove(org: string, id: string): Promise<void> {
      const { deletedCount } = await VariableModel.deleteOne({ _id: variableKey(org, id) });
      if (deletedCount === 0) throw new NotFoundError('variable', id);
    },

    /**
     * The variables `refs` name (ids or names), in one query; a ref that names none is absent from the
     * map. An id wins over a name (names never look like ids).
     */
    async resolve(org: string, refs: readonly string[]): Promise<Map<string, ResolvedVariable>> {
      const ids = refs.filter((ref) => VARIABLE_ID.test(ref));
      const names = refs.filter((ref) => !VARIABLE_ID.test(ref));
      const docs = await VariableModel.find({
        org,
        $or: [{ _id: { $in: ids.map((id) => variableKey(org, id)) } }, { name: { $in: names } }],
      }).lean<VariableDoc[]>();
      const found = new Map<string, ResolvedVariable>();
      for (const doc of docs) {
        const resolved = { value: box.open(doc.sealedValue), secret: doc.secret };
        if (ids.includes(doc.vid)) found.set(doc.vid, resolved);
        if (names.includes(doc.name)) found.set(doc.name, resolved);
      }
      return found;
    },
  };
}

export type VariableService = ReturnType<typeof createVariableService>;
