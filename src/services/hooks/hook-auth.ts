import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { UnauthorizedError } from '../../errors';

/** How a hook request proved it knows the hook's secret; a signed one carries its delivery id (`webhook-id`). */
export type HookAuth = { method: 'bearer' } | { method: 'signature'; deliveryId: string } | { method: 'none' };

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Constant time whatever the lengths: both sides are hashed first. */
function sameSecret(given: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * Authenticates a hook request against the hook's live secrets (the current one, and previous ones within
 * their grace): `Authorization: Bearer <secret>`, or a Standard Webhooks signature verified by the
 * `standardwebhooks` package (HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`; a timestamp more than
 * 5 minutes off is refused, so a captured request cannot be replayed later). A request that offers either
 * and fails is a 401; one that offers neither is a 401 when `required` (web and email hooks), else `none`
 * (form hooks, whose URL is their credential).
 */
export function authenticateHook(
  headers: IncomingHttpHeaders,
  payload: Buffer,
  secrets: string[],
  required: boolean,
): HookAuth {
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (token && secrets.some((secret) => sameSecret(token, secret))) return { method: 'bearer' };
    throw new UnauthorizedError('the hook secret is not valid (Authorization: Bearer <hook secret>)');
  }
  if (SIGNATURE_HEADERS.some((name) => headers[name] !== undefined)) {
    const signed = Object.fromEntries(SIGNATURE_HEADERS.map((name) => [name, header(headers, name) ?? '']));
    let reason = 'no secret';
    for (const secret of secrets) {
      try {
        new Webhook(secret).verify(payload, signed, { jsonParse: false });
        return { method: 'signature', deliveryId: signed['webhook-id']! };
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        reason = error.message;
      }
    }
    throw new UnauthorizedError(`the Standard Webhooks signature is not valid: ${reason}`);
  }
  if (required) {
    throw new UnauthorizedError(
      'authenticate with Authorization: Bearer <hook secret>, or sign the request (webhook-id, webhook-timestamp, webhook-signature)',
    );
  }
  return { method: 'none' };
}
