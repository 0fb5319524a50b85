import cors from 'cors';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import type { HookType } from '../../core/names';
import { NotFoundError, UserError } from '../../errors';
import { HookModel, type HookDoc } from '../../models/hook.model';
import { newId } from '../../models/ids';
import type { EventService } from '../../services/events.service';
import { authenticateHook } from '../../services/hooks/hook-auth';
import { bodyKind, bodyText, parseBody, parseJsonText, type BodyKind } from '../../services/hooks/hook-bodies';
import { publishHookDelivery, type HookDelivery } from '../../services/hooks/hook-events';
import { HOOK_ID_PATTERN, liveSecrets } from '../../services/hooks/hooks.service';
import { emailContent, InboundEmailSchema } from '../../services/hooks/email';
import { secretBoxFor } from '../../services/secrets/secret-box';
import { TokenBuckets } from '../../services/token-buckets';
import { parse } from '../http';

/** The product's limit for hook bodies; past it, 413. */
const BODY_LIMIT = '400kb';
const IdempotencyKey = z.string().min(1).max(200).optional();
const WebhookId = z.string().min(1).max(200);

interface HookLocals {
  hook: HookDoc;
}

/** What each kind of hook takes, and whether a request must prove it knows the secret. */
const KINDS: Record<HookType, { accepts: readonly BodyKind[]; secretRequired: boolean }> = {
  web: { accepts: ['json', 'urlencoded'], secretRequired: true },
  // Browsers post forms: the URL (org id and hook id) is the credential; a server may still sign or send the secret.
  form: { accepts: ['json', 'urlencoded', 'multipart'], secretRequired: false },
  email: { accepts: ['json'], secretRequired: true },
};

/** Finds the hook the URL names (before the body is read): an unknown, deleted or mistyped one is a 404. */
function loadHook(type: HookType): RequestHandler {
  return async (req, res, next) => {
    const { id, orgId } = req.params as { id: string; orgId?: string };
    const doc = HOOK_ID_PATTERN.test(id) ? await HookModel.findById(id).lean<HookDoc>() : null;
    if (!doc || doc.type !== type || (orgId !== undefined && doc.org !== orgId)) throw new NotFoundError('hook', id);
    (res.locals as HookLocals).hook = doc;
    next();
  };
}

/**
 * The receiving routes of inbound hooks: `POST /v1/hooks/web/:id`, `/form/:orgId/:id`, `/email/:id`. Mounted
 * before the app's JSON parser, with a raw one of their own (400 KB; gzip, deflate and br inflated; anything
 * else refused as on every route): a signature covers the bytes as sent. They take no org API key.
 */
export function hookReceiversRouter(deps: { events: EventService; config: Config }): Router {
  const { events, config } = deps;
  // Built on the first request, so that building the app needs neither (the route-table test builds it bare).
  let buckets: TokenBuckets | undefined;
  let box: ReturnType<typeof secretBoxFor> | undefined;
  const open = (sealed: string) => (box ??= secretBoxFor(config)).open(sealed);
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });

  async function receive(type: HookType, req: Request, res: Response): Promise<void> {
    const { hook } = res.locals as HookLocals;
    const payload = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const auth = authenticateHook(
      req.headers,
      payload,
      liveSecrets(hook, Date.now(), open),
      KINDS[type].secretRequired,
    );
    buckets ??= new TokenBuckets({ ratePerSecond: config.hooks.ratePerSecond, burst: config.hooks.burst });
    const waitMs = buckets.takeIfAvailable(hook._id);
    if (waitMs > 0) {
      const wait = Math.ceil(waitMs / 1000);
      res.setHeader('Retry-After', String(wait));
      throw new UserError(
        429,
        'rate_limited',
        `hook ${hook._id} takes at most ${config.hooks.burst} requests at once and ${config.hooks.ratePerSecond} per second; retry after ${wait} s`,
      );
    }
    const key = parse(IdempotencyKey, req.get('idempotency-key'), ['headers', 'Idempotency-Key']);
    const deliveryId =
      auth.method === 'signature' ? parse(WebhookId, auth.deliveryId, ['headers', 'webhook-id']) : (key ?? newId());
    const contentType = req.get('content-type');
    const kind = payload.length === 0 ? 'json' : bodyKind(contentType, KINDS[type].accepts);
    const content =
      type === 'email'
        ? emailContent(parse(InboundEmailSchema, parseJsonText(bodyText(payload, contentType))))
        : await parseBody(kind, payload, req.headers);
    const delivery: HookDelivery = {
      hook,
      deliveryId,
      headers: req.headers,
      query: req.query as Record<string, unknown>,
      ...content,
    };
    const receipt = await publishHookDelivery(events, delivery);
    res.status(receipt.status).json(receipt.body);
  }

  // Forms post from pages on other sites: a browser's fetch() of JSON asks first (a CORS preflight), and reads
  // the answer only when it carries Access-Control-Allow-Origin. No cookies are involved, so any origin may.
  // Web and email hooks are called by servers, which need neither.
  const formCors = cors({
    origin: '*',
    methods: ['POST'],
    allowedHeaders: ['content-type', 'idempotency-key'],
    maxAge: 600,
  });

  const router = Router();
  router.options('/v1/hooks/form/:orgId/:id', formCors);
  router.post('/v1/hooks/web/:id', loadHook('web'), raw, (req, res) => receive('web', req, res));
  router.post('/v1/hooks/form/:orgId/:id', formCors, loadHook('form'), raw, (req, res) => receive('form', req, res));
  router.post('/v1/hooks/email/:id', loadHook('email'), raw, (req, res) => receive('email', req, res));
  return router;
}
