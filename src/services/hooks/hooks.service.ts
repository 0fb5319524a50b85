import { z } from 'zod';
import type { Config } from '../../config';
import { HOOK_TYPES, hookEventName, type HookType } from '../../core/names';
import { ConflictError, NotFoundError } from '../../errors';
import { HookModel, type HookDoc } from '../../models/hook.model';
import { isDuplicateKeyError, newId } from '../../models/ids';
import { withRecordLock } from '../records/lock';
import { newSigningSecret, secretBoxFor } from '../secrets/secret-box';

/** Hook ids: 24 hex characters, like the product's ids (so an exported trigger's hook id can be given). */
export const HOOK_ID_PATTERN = /^[0-9a-f]{24}$/;

export const CreateHookSchema = z.strictObject({
  type: z.enum(HOOK_TYPES),
  name: z.string().trim().min(1).max(200),
  /** The id of the hook an exported workflow's trigger names (`kustomer.hooks.form.<id>.receive`). */
  id: z
    .string()
    .regex(
      HOOK_ID_PATTERN,
      'must be 24 hex characters (lower case), the id in the trigger\'s "hooks.<type>.<id>.receive"',
    )
    .optional(),
});
export type CreateHook = z.infer<typeof CreateHookSchema>;

/** A hook as the API shows it: never its secret, which `create` and `rotateSecret` show once. */
export interface HookJson {
  id: string;
  type: HookType;
  name: string;
  eventName: string;
  url: string;
  /** Email hooks: the address the mail gateway receives for this hook. */
  address?: string;
  /** When the secret was last rotated, and until when the previous one still works. */
  secretCreatedAt: string;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The path of a hook's receiving route (form hooks carry their org: their URL is their credential). */
export function hookPath(hook: { _id: string; org: string; type: HookType }): string {
  return hook.type === 'form' ? `/v1/hooks/form/${hook.org}/${hook._id}` : `/v1/hooks/${hook.type}/${hook._id}`;
}

/** The secrets that authenticate a hook at `now`: the current one first, then previous ones within their grace. */
export function liveSecrets(hook: Pick<HookDoc, 'secrets'>, now: number, open: (sealed: string) => string): string[] {
  return hook.secrets.filter((s) => !s.expiresAt || s.expiresAt.getTime() > now).map((s) => open(s.sealed));
}

/**
 * Hooks of an org: create (with a new `whsec_` secret, sealed at rest), list, get, delete, rotate the secret
 * (the previous one keeps working for `HOOK_SECRET_GRACE_MS`). Another org's hook is a 404.
 */
export function createHookService(config: Pick<Config, 'hooks' | 'secretsKey' | 'env'>) {
  const box = secretBoxFor(config);

  function json(doc: HookDoc, baseUrl: string): HookJson {
    const type = doc.type as HookType;
    const now = Date.now();
    const previous = doc.secrets.slice(1).find((s) => s.expiresAt && s.expiresAt.getTime() > now);
    return {
      id: doc._id,
      type,
      name: doc.name,
      eventName: hookEventName(type, doc._id),
      url: `${baseUrl}${hookPath({ _id: doc._id, org: doc.org, type })}`,
      ...(type === 'email' ? { address: `${doc._id}@${config.hooks.emailDomain}` } : {}),
      secretCreatedAt: (doc.secrets[0]?.createdAt ?? doc.createdAt).toISOString(),
      previousSecretExpiresAt: previous?.expiresAt?.toISOString() ?? null,
      createdAt: doc.createdAt.toISOString(),
      updatedAt: doc.updatedAt.toISOString(),
    };
  }

  async function find(org: string, id: string): Promise<HookDoc> {
    const doc = await HookModel.findOne({ _id: id, org }).lean<HookDoc>();
    if (!doc) throw new NotFoundError('hook', id);
    return doc;
  }

  const service = {
    async create(org: string, input: CreateHook, baseUrl: string): Promise<HookJson & { secret: string }> {
      const id = input.id ?? newId();
      const secret = newSigningSecret();
      const now = new Date();
      try {
        const doc = await HookModel.create({
          _id: id,
          org,
          type: input.type,
          name: input.name,
          secrets: [{ sealed: box.seal(secret), createdAt: now }],
        });
        return { ...json(doc.toObject() as HookDoc, baseUrl), secret };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // Hook ids are global: web and email URLs name no org.
        throw new ConflictError('hook_id_taken', `hook id ${JSON.stringify(id)} is taken`);
      }
    },

    async list(org: string, baseUrl: string): Promise<HookJson[]> {
      const docs = await HookModel.find({ org }).sort({ createdAt: 1 }).lean<HookDoc[]>();
      return docs.map((doc) => json(doc, baseUrl));
    },

    async get(org: string, id: string, baseUrl: string): Promise<HookJson> {
      return json(await find(org, id), baseUrl);
    },

    async remove(org: string, id: string): Promise<void> {
      const { deletedCount } = await HookModel.deleteOne({ _id: id, org });
      if (deletedCount === 0) throw new NotFoundError('hook', id);
    },

    /**
     * A new current secret; the one it replaces works until the grace period ends (so senders can be moved
     * over without losing deliveries). Secrets already past their grace are dropped.
     */
    async rotateSecret(org: string, id: string, baseUrl: string): Promise<HookJson & { secret: string }> {
      // Read-modify-write under the hook's lease: two rotations at once must not drop each other's secret.
      return withRecordLock(`hook:${id}`, () => rotate(org, id, baseUrl));
    },
  };

  return service;

  async function rotate(org: string, id: string, baseUrl: string): Promise<HookJson & { secret: string }> {
    const doc = await find(org, id);
    const secret = newSigningSecret();
    const now = new Date();
    const graceEnd = new Date(now.getTime() + config.hooks.secretGraceMs);
    const previous = doc.secrets
      .map((s, i) => (i === 0 ? { ...s, expiresAt: graceEnd } : s))
      .filter((s) => s.expiresAt && s.expiresAt.getTime() > now.getTime());
    const secrets = [{ sealed: box.seal(secret), createdAt: now }, ...previous];
    const updated = await HookModel.findOneAndUpdate(
      { _id: id, org },
      { $set: { secrets } },
      { returnDocument: 'after' },
    ).lean<HookDoc>();
    if (!updated) throw new NotFoundError('hook', id);
    return { ...json(updated, baseUrl), secret };
  }
}

export type HookService = ReturnType<typeof createHookService>;
