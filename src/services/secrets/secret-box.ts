import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../config';

/**
 * The development key, used when SECRETS_KEY is unset outside production (`npm run dev`, the tests):
 * public, so anything sealed with it is only obscured. Production refuses to start without a key
 * (requireServiceConfig).
 */
const DEVELOPMENT_KEY = createHash('sha256').update('switchboard development secrets key').digest();

const FORMAT = 'v1';

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * Encrypts secrets at rest (secret variables, hook and webhook signing secrets) with AES-256-GCM under
 * SECRETS_KEY. A sealed value is `v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts); the key id
 * (a hash prefix of the key, not the key) names which key sealed it, so opening with another key fails
 * with a message that says so instead of a bare authentication error.
 */
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError('the secrets key must be 32 bytes');
    this.key = key;
    this.keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT, this.keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join(
      ':',
    );
  }

  open(sealed: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new SecretBoxError('not a sealed secret');
    const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
    if (keyId !== this.keyId) {
      throw new SecretBoxError(`sealed with another key (key id ${keyId}; SECRETS_KEY has key id ${this.keyId})`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed secret is corrupt');
    }
  }
}

/** The process's secret box: SECRETS_KEY, or the development key where the configuration allows it. */
export function secretBoxFor(config: Pick<Config, 'secretsKey' | 'env'>): SecretBox {
  if (config.secretsKey) return new SecretBox(Buffer.from(config.secretsKey, 'base64'));
  if (config.env === 'production') throw new SecretBoxError('SECRETS_KEY is required in production');
  return new SecretBox(DEVELOPMENT_KEY);
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes, base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
