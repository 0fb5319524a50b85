import { Router } from 'express';
import { z } from 'zod';
import { JsonObjectSchema } from '../../core/json.schema';
import { EVENT_NAME_PATTERN, isHookEventName, isRecordEventName, MAX_NAME_LENGTH } from '../../core/names';
import { derivedId, newId } from '../../models/ids';
import type { EventService } from '../../services/events.service';
import { orgOf, parse } from '../http';

const EventBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { abort: true })
    .max(MAX_NAME_LENGTH, { abort: true })
    .regex(EVENT_NAME_PATTERN, 'event names hold letters, digits and "." "_" "-" ":" only')
    .refine((name) => !isRecordEventName(name), {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is reserved: customer, conversation, message and note events are published by the writes they describe (write the record instead)`,
    })
    .refine((name) => !isHookEventName(name), {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is reserved: hooks.* events are published by inbound hooks (POST /v1/hooks, then send to the hook's url)`,
    }),
  data: JsonObjectSchema.default({}),
});
const IdempotencyKey = z.string().min(1).max(200).optional();
const IdParams = z.object({ id: z.string().min(1).max(100) });

/**
 * Custom events (webhooks, forms, emails, other systems). With an `Idempotency-Key` the event id is
 * derived from (org, key): the same key again finds the same event and starts nothing new.
 */
export function eventsRouter(events: EventService): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = parse(EventBody, req.body);
    const key = parse(IdempotencyKey, req.get('idempotency-key'), ['headers', 'Idempotency-Key']);
    const org = orgOf(res);
    const event = await events.publish({
      org,
      id: key ? derivedId('idempotency-key', org, key) : newId(),
      name: body.name,
      data: body.data,
      depth: 0,
      source: 'api',
      idempotencyKey: key,
    });
    res.status(202).json({ eventId: event.id, runs: event.runs.map(({ id, workflow }) => ({ id, workflow })) });
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(IdParams, req.params);
    res.json(await events.get(orgOf(res), id));
  });
  return router;
}
