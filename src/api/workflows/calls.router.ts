import { Router } from 'express';
import { z } from 'zod';
import { JsonObjectSchema } from '../../core/json.schema';
import type { CallService } from '../../services/calls.service';
import { orgOf, parse } from '../http';

/**
 * The body of a call, as the product's call requests are shaped: `inputs` become the run's `steps.1`;
 * `responseMeta` is echoed in the answer; `asyncResponse` and `clientContext` (the product's
 * conversational-assistant callers send them) are accepted and not used.
 */
const CallBody = z.strictObject({
  inputs: JsonObjectSchema.default({}),
  responseMeta: JsonObjectSchema.optional(),
  asyncResponse: JsonObjectSchema.optional(),
  clientContext: JsonObjectSchema.optional(),
});
const CallQuery = z.strictObject({ wait: z.coerce.number().min(0).max(60).default(10) });
const IdParams = z.object({ id: z.string().min(1).max(100) });
const IdempotencyKey = z.string().min(1).max(200).optional();

/**
 * `POST /v1/workflows/:id/call`: runs a callable workflow with `inputs` and waits up to `?wait=` seconds
 * (default 10, 0: fire and forget) for it: 200 `{runId, status, outputs}` when it finished, 202
 * `{runId, status: "running"}` otherwise (then `GET /v1/runs/:id`).
 */
export function callsRouter(calls: CallService): Router {
  const router = Router();
  router.post('/:id/call', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    const { wait } = parse(CallQuery, req.query, ['query']);
    const body = parse(CallBody, req.body ?? {});
    const idempotencyKey = parse(IdempotencyKey, req.get('idempotency-key'), ['headers', 'Idempotency-Key']);
    const outcome = await calls.call(orgOf(res), id, { inputs: body.inputs, idempotencyKey, waitMs: wait * 1000 });
    const answer = body.responseMeta ? { ...outcome, responseMeta: body.responseMeta } : outcome;
    res.status(outcome.status === 'running' ? 202 : 200).json(answer);
  });
  return router;
}
