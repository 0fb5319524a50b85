import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox, SecretBoxError, newSigningSecret, secretBoxFor } from '../../../src/services/secrets/secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, and seals the same text differently each time', () => {
    const a = box.seal('hunter2 ✓');
    const b = box.seal('hunter2 ✓');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(box.open(a)).toBe('hunter2 ✓');
    expect(box.open(b)).toBe('hunter2 ✓');
  });

  it('says when a value was sealed with another key', () => {
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(box.seal('x'))).toThrow(/sealed with another key/);
  });

  it('refuses a tampered or malformed value', () => {
    const parts = box.seal('secret').split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow(SecretBoxError);
    expect(() => box.open('plain text')).toThrow(/not a sealed secret/);
  });

  it('requires a key in production and uses the development key elsewhere', () => {
    expect(() => secretBoxFor({ env: 'production', secretsKey: undefined })).toThrow(/SECRETS_KEY is required/);
    const dev = secretBoxFor({ env: 'development', secretsKey: undefined });
    expect(secretBoxFor({ env: 'test', secretsKey: undefined }).open(dev.seal('v'))).toBe('v');
    const key = randomBytes(32).toString('base64');
    expect(secretBoxFor({ env: 'production', secretsKey: key }).keyId).not.toBe(dev.keyId);
  });

  it('makes Standard Webhooks secrets', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
  });
});
