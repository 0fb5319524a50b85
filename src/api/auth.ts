import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import { UnauthorizedError } from '../errors';
import { OrgModel } from '../models/org.model';
import type { OrgLocals } from './http';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Root routes (creating orgs) take the deployment's ROOT_API_KEY, compared in constant time. */
export function requireRoot(rootApiKey: string | undefined): RequestHandler {
  const expected = rootApiKey ? Buffer.from(hashApiKey(rootApiKey)) : undefined;
  return (req, _res, next) => {
    const key = bearer(req.headers.authorization);
    if (!expected || !key || !timingSafeEqual(Buffer.from(hashApiKey(key)), expected)) {
      throw new UnauthorizedError('the root API key is required (Authorization: Bearer <ROOT_API_KEY>)');
    }
    next();
  };
}

/**
 * Orgs by API-key hash, for a minute: every request is authenticated, and keys do not change (an org
 * is never re-keyed or deleted today), so the database is asked once a minute per key, not per request.
 * Unknown keys are not cached, so a key is valid as soon as its org is created.
 */
const orgsByKeyHash = new LRUCache<string, { id: string; name: string }>({ max: 10_000, ttl: 60_000 });

/** Org routes take the org's API key; only its hash is stored. */
export const requireOrg: RequestHandler = async (req, res, next) => {
  const key = bearer(req.headers.authorization);
  if (!key) throw new UnauthorizedError();
  const hash = hashApiKey(key);
  let org = orgsByKeyHash.get(hash);
  if (!org) {
    const doc = await OrgModel.findOne({ apiKeyHash: hash }).lean();
    if (!doc) throw new UnauthorizedError('the API key is not valid');
    org = { id: doc._id, name: doc.name };
    orgsByKeyHash.set(hash, org);
  }
  (res.locals as OrgLocals).org = org;
  next();
};
