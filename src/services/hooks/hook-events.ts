import type { IncomingHttpHeaders } from 'node:http';
import { hookEventName, type HookType } from '../../core/names';
import { jsonDifference, jsonProblem, type JsonObject, type JsonValue } from '../../core/json';
import { formatPath } from '../../core/problems';
import { UserError, ValidationError } from '../../errors';
import { EventModel, type EventDoc } from '../../models/event.model';
import type { HookDoc } from '../../models/hook.model';
import { derivedId } from '../../models/ids';
import { objectFromJsonText } from '../../models/json-text';
import type { EventService } from '../events.service';

/** One request a hook received, authenticated and parsed. */
export interface HookDelivery {
  hook: Pick<HookDoc, '_id' | 'org' | 'type' | 'name'>;
  /** `webhook-id`, else the `Idempotency-Key` header, else a new id: one event per delivery id and hook. */
  deliveryId: string;
  /** The body: what a workflow reads at `/#steps.1.attributes.data`. */
  data: JsonValue;
  headers: IncomingHttpHeaders;
  query: Record<string, unknown>;
  /** More attributes of the kind of hook: `files` (multipart forms), `email` and `embedded` (email hooks). */
  extra?: JsonObject;
}

/** What the hook answers: 202 for a new delivery, 200 for a delivery id seen before (nothing new started). */
export interface HookReceipt {
  status: 202 | 200;
  body: { eventId: string; runs: { id: string; workflow: string }[]; duplicate: boolean };
}

/** Request headers that carry credentials are never stored with the event (`steps.1` is shown by `GET /v1/runs/:id`). */
const SECRET_HEADER = /authorization|cookie|signature|secret|token|password|api-?key|session/i;

function visibleHeaders(headers: IncomingHttpHeaders): JsonObject {
  const kept: JsonObject = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADER.test(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

function visibleQuery(query: Record<string, unknown>): JsonObject {
  return Object.fromEntries(Object.entries(query).filter(([key]) => !SECRET_HEADER.test(key))) as JsonObject;
}

/**
 * The event a hook publishes (`hooks.<type>.<id>.receive`), which a run sees as `steps.1`:
 * `{type: "hook", attributes: {data, hook: {id, type, name}, deliveryId, receivedAt, headers, query, ...extra}}`.
 */
export function hookEventData(delivery: HookDelivery, receivedAt: Date): JsonObject {
  const { hook } = delivery;
  const data: JsonObject = {
    type: 'hook',
    attributes: {
      data: delivery.data,
      hook: { id: hook._id, type: hook.type, name: hook.name },
      deliveryId: delivery.deliveryId,
      receivedAt: receivedAt.toISOString(),
      headers: visibleHeaders(delivery.headers),
      query: visibleQuery(delivery.query),
      ...delivery.extra,
    },
  };
  const problem = jsonProblem(data);
  if (problem)
    throw new ValidationError([{ path: formatPath(problem.path), message: problem.message }], 'the body is not valid');
  return data;
}

/**
 * Publishes a delivery through the event service, which stores the event before it answers. The event id is
 * derived from (hook, delivery id), so a delivery sent again collides with its event and starts nothing new: 200
 * with the same event id (its dispatch is finished first if the request that stored it died). The same
 * delivery id with a different body is a 422, as an `Idempotency-Key` reused on `POST /v1/events` is.
 */
export async function publishHookDelivery(events: EventService, delivery: HookDelivery): Promise<HookReceipt> {
  const { hook } = delivery;
  const id = derivedId('hook-delivery', hook._id, delivery.deliveryId);
  // No look-up first: a new delivery (the usual case) costs the insert alone. A repeated one fails it, and the
  // event service refuses it as a reused key (its receivedAt and headers differ); then it is compared here.
  try {
    const event = await events.publish({
      org: hook.org,
      id,
      name: hookEventName(hook.type as HookType, hook._id),
      data: hookEventData(delivery, new Date()),
      depth: 0,
      source: 'hook',
      idempotencyKey: delivery.deliveryId,
    });
    return { status: 202, body: { eventId: event.id, runs: runsOf(event.runs), duplicate: false } };
  } catch (error) {
    // Delivered before, or the same delivery arriving twice at once: the event is stored with another receivedAt.
    if (!(error instanceof UserError && error.code === 'idempotency_key_reused')) throw error;
    const stored = await EventModel.findOne({ _id: id, org: hook.org }).lean<EventDoc>();
    if (!stored) throw error;
    return repeated(events, delivery, stored);
  }
}

function runsOf(runs: { id: string; workflow: string }[]) {
  return runs.map(({ id, workflow }) => ({ id, workflow }));
}

async function repeated(events: EventService, delivery: HookDelivery, doc: EventDoc): Promise<HookReceipt> {
  const stored = objectFromJsonText(doc.dataJson) as { attributes?: { data?: JsonValue } };
  const difference = jsonDifference(stored.attributes?.data ?? null, delivery.data, ['data']);
  if (difference) {
    throw new UserError(
      422,
      'delivery_id_reused',
      `delivery id ${JSON.stringify(delivery.deliveryId)} was used for a different body`,
      [{ path: formatPath(difference), message: 'differs from the body first delivered with this id' }],
    );
  }
  if (doc.status === 'pending') await events.dispatch(doc.org, doc._id);
  const event = await events.get(doc.org, doc._id);
  return { status: 200, body: { eventId: event.id, runs: runsOf(event.runs), duplicate: true } };
}
