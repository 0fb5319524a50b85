import { createHash, randomBytes } from 'node:crypto';

/** Record ids are 24 hex characters, like MongoDB ObjectIds and the product's own ids. */
export function newId(): string {
  return randomBytes(12).toString('hex');
}

/**
 * An id derived from its parts, so a retried or replayed write produces the same id (and so a
 * duplicate-key no-op instead of a second record). Parts are joined with a separator that cannot
 * occur in them ambiguously (length-prefixed).
 */
export function derivedId(...parts: (string | number)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const text = String(part);
    hash.update(`${text.length}:${text}|`);
  }
  return hash.digest('hex').slice(0, 24);
}

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
