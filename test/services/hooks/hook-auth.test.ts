import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../../src/errors';
import { authenticateHook } from '../../../src/services/hooks/hook-auth';
import { newSigningSecret } from '../../../src/services/secrets/secret-box';

const current = newSigningSecret();
const previous = newSigningSecret();
const payload = Buffer.from('{"a":1}');

function signature(secret: string, id: string, at = new Date()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload.toString()),
  };
}

describe('authenticateHook', () => {
  it('takes the current or a previous secret, as a bearer token or a signature', () => {
    for (const secret of [current, previous]) {
      expect(authenticateHook({ authorization: `Bearer ${secret}` }, payload, [current, previous], true)).toEqual({
        method: 'bearer',
      });
      expect(authenticateHook(signature(secret, 'msg_1'), payload, [current, previous], true)).toEqual({
        method: 'signature',
        deliveryId: 'msg_1',
      });
    }
  });

  it('refuses a secret no longer live, a forged or stale signature, and nothing at all where required', () => {
    const refused = [
      () => authenticateHook({ authorization: `Bearer ${previous}` }, payload, [current], true),
      () => authenticateHook({ authorization: `Basic ${current}` }, payload, [current], true),
      () => authenticateHook(signature(previous, 'm'), payload, [current], true),
      () => authenticateHook(signature(current, 'm', new Date(Date.now() - 301_000)), payload, [current], true),
      () => authenticateHook({ 'webhook-id': 'm' }, payload, [current], false),
      () => authenticateHook({}, payload, [current], true),
    ];
    for (const attempt of refused) expect(attempt).toThrow(UnauthorizedError);
    expect(authenticateHook({}, payload, [current], false)).toEqual({ method: 'none' });
  });
});
