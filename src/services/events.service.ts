import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { DEFAULT_RUN_KEY } from '../core/definition.schema';
import { durationMs } from '../core/durations';
import { canonicalName } from '../core/names';
import { jsonDifference, type JsonObject, type JsonValue } from '../core/json';
import { resolveValue } from '../core/references';
import { formatPath } from '../core/problems';
import { NotFoundError, UserError } from '../errors';
import { EventModel, type EventDoc } from '../models/event.model';
import { derivedId, isDuplicateKeyError } from '../models/ids';
import { WaitModel, type WaitDoc } from '../models/wait.model';
import { objectFromJsonText } from '../models/json-text';
import { eventSignal } from '../workflows/interpreter.messages';
import { interpreter } from '../workflows/interpreter.workflow';
import { keyedEventSignal, keyedRun, type KeyedMode } from '../workflows/keyed.workflow';
import { runVisibility, SA_WORKFLOW } from '../workflows/search-attributes';
import type { RetryDefaults, RunInput } from '../workflows/run.types';
import type { EventPublisher, PublishedEvent, PublishInput, RunRef, SkippedWorkflow } from './events.types';
import { recordKindNamed } from './records';
import type { RecordKindName } from './records/kinds';
import { evaluateTransitions, needsEvaluation } from './triggers/trigger-eval';
import { sharedTriggerPool, TriggerEvaluationError, type TriggerEvaluator } from './triggers/trigger-pool';
import { definitionsForEvent, type DefinitionRecord } from './workflows.service';
import { createWebhookDispatch, type WebhookDispatch } from './webhooks/deliveries.service';

export interface EventServiceDeps {
  client: Client;
  taskQueue: string;
  retry: RetryDefaults;
  maxEventDepth: number;
  logger: Logger;
  /** Evaluates trigger conditions that read the event, off the event loop and within a time budget. */
  triggers: TriggerEvaluator;
  /**
   * Ask the server to hand a run's first workflow task straight back to this process (eager workflow
   * start): only for a client built on the worker's NativeConnection, in a process that runs a worker.
   */
  eagerStart?: boolean;
  /** Outbound webhooks: the subscriptions an event matches, and starting their deliveries. */
  webhooks?: WebhookDispatch;
}

/**
 * A run's id, its Temporal workflow id, is derived from (org, definition, rev, event): a replayed event
 * can never start a second run.
 */
export function temporalWorkflowIdFor(org: string, definitionId: string, rev: number, event: string): string {
  return `run-${derivedId(org, definitionId, rev, event)}`;
}

function eventJson(doc: EventDoc): PublishedEvent {
  return {
    id: doc._id,
    org: doc.org,
    name: doc.name,
    data: objectFromJsonText(doc.dataJson),
    depth: doc.depth,
    source: doc.source,
    origin: doc.origin?.run
      ? { run: doc.origin.run, workflow: doc.origin.workflow ?? '', step: doc.origin.step ?? '' }
      : null,
    runs: doc.runs.map((r) => ({ id: r.id ?? '', workflow: r.workflow ?? '', rev: r.rev ?? 0 })),
    skipped: doc.skipped.map((s) => ({
      workflow: s.workflow ?? '',
      rev: s.rev ?? 0,
      reason: s.reason,
      message: s.message ?? '',
    })),
    createdAt: doc.createdAt.toISOString(),
  };
}

/**
 * Publishing stores the event, decides for every definition listening to its name whether it runs
 * (and records why not), and starts the runs. It is idempotent per event id: the event document's
 * `_id` is the id, and run ids are derived from it, so publishing the same event twice (an
 * idempotency key reused, an activity retried) starts nothing new.
 */
export function createEventService(deps: EventServiceDeps) {
  const { client, logger } = deps;

  /**
   * The first step of the trigger transition that holds, or null. Conditions that read the event go to
   * the pool (`needsEvaluation`); only constant ones (`true`, `and`, `or`) are evaluated here.
   * Throws `TriggerEvaluationError` when the trigger cannot be evaluated.
   */
  async function triggerTarget(
    event: PublishInput,
    def: DefinitionRecord,
    dataJson: () => string,
  ): Promise<string | null> {
    const { transitions } = def.definition.trigger;
    if (needsEvaluation(transitions)) {
      return deps.triggers.evaluate(event.org, { transitions, dataJson: dataJson(), now: Date.now() });
    }
    try {
      return await evaluateTransitions(transitions, event.data, Date.now());
    } catch (error) {
      throw new TriggerEvaluationError(error instanceof Error ? error.message : String(error));
    }
  }

  async function decide(
    event: PublishInput,
    def: DefinitionRecord,
    dataJson: () => string,
  ): Promise<{ firstStep: string } | SkippedWorkflow> {
    const base = { workflow: def.id, rev: def.rev };
    if (!def.enabled) return { ...base, reason: 'disabled', message: 'the workflow is disabled' };
    if (event.origin?.workflow === def.id) {
      return { ...base, reason: 'own_write', message: `written by this workflow's own run ${event.origin.run}` };
    }
    if (event.depth > deps.maxEventDepth) {
      return {
        ...base,
        reason: 'cascade_limit',
        message: `cascade depth ${event.depth} exceeds the limit of ${deps.maxEventDepth}`,
      };
    }
    let target: string | null;
    try {
      target = await triggerTarget(event, def, dataJson);
    } catch (error) {
      if (!(error instanceof TriggerEvaluationError)) throw error;
      logger.info(
        { org: event.org, definition: def.id, event: event.id, reason: error.message },
        'trigger not evaluated',
      );
      return { ...base, reason: 'trigger_error', message: error.message };
    }
    if (target !== null) return { firstStep: target };
    return { ...base, reason: 'trigger_condition_false', message: 'no trigger transition condition holds' };
  }

  async function start(event: PublishInput, def: DefinitionRecord, firstStep: string): Promise<RunRef> {
    const id = temporalWorkflowIdFor(event.org, def.id, def.rev, event.id);
    const input: RunInput = {
      org: event.org,
      workflow: { id: def.id, name: def.definition.name, rev: def.rev, definition: def.definition },
      event: { id: event.id, name: canonicalName(event.name), data: event.data, depth: event.depth },
      firstStep,
      retry: deps.retry,
    };
    const keyed = keyedDispatch(def, event.data);
    if (keyed) {
      // Debounce, queue or replace: the run goes through its key's `keyedRun`, which starts it (as a child
      // with this same id) when its turn comes. The event records the run's id either way.
      const keyedId = keyedWorkflowIdFor(event.org, def.id, keyed.mode, keyed.key);
      await client.workflow.signalWithStart(keyedRun, {
        workflowId: keyedId,
        taskQueue: deps.taskQueue,
        args: [{ org: event.org, definitionId: def.id, key: keyed.key, mode: keyed.mode }],
        signal: keyedEventSignal,
        signalArgs: [{ runId: id, input, ...(keyed.delayMs === undefined ? {} : { delayMs: keyed.delayMs }) }],
        // No org attribute: a key is not a run, and `/v1/runs` answers only for runs.
        typedSearchAttributes: [{ key: SA_WORKFLOW, value: def.id }],
        staticSummary: `${def.definition.name}: ${keyed.mode} for key ${keyed.key}`,
        staticDetails: `org ${event.org} · workflow ${def.id} · key ${keyed.key}`,
      });
      logger.info({ org: event.org, definition: def.id, run: id, event: event.id, keyed: keyedId }, 'run keyed');
      return { id, workflow: def.id, rev: def.rev };
    }
    try {
      // By reference: the workflow type is the function's name, and `args` is checked against its parameters.
      await client.workflow.start(interpreter, {
        workflowId: id,
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        requestEagerStart: deps.eagerStart,
        // Search attributes, memo keys and the summary are public (the Temporal UI, `GET /v1/runs`): they say workflow.
        ...runVisibility(input),
        staticSummary: `${def.definition.name} (rev ${def.rev}) on ${canonicalName(event.name)}`,
        staticDetails: `org ${event.org} · workflow ${def.id} · event ${event.id}`,
      });
      logger.info({ org: event.org, definition: def.id, run: id, event: event.id }, 'run started');
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return { id, workflow: def.id, rev: def.rev };
  }

  interface Decisions {
    start: { def: DefinitionRecord; firstStep: string }[];
    skipped: SkippedWorkflow[];
  }

  /**
   * For every definition listening to the event's name: does it run, from which step, or why not (no
   * writes). A trigger that cannot be evaluated skips its definition (`trigger_error`), not the others.
   */
  async function decideAll(event: PublishInput): Promise<Decisions> {
    const decisions: Decisions = { start: [], skipped: [] };
    let json: string | undefined;
    const dataJson = () => (json ??= JSON.stringify(event.data));
    // Callable definitions run only when called (POST /v1/workflows/:id/call, workflow.call), never on events.
    const definitions = (await definitionsForEvent(event.org, event.name)).filter(
      (def) => def.definition.trigger.callable !== true,
    );
    const decided = await Promise.all(definitions.map((def) => decide(event, def, dataJson)));
    definitions.forEach((def, i) => {
      const decision = decided[i]!;
      if ('firstStep' in decision) decisions.start.push({ def, firstStep: decision.firstStep });
      else decisions.skipped.push(decision);
    });
    return decisions;
  }

  /** The runs waiting (`wait-for-event`) for this event's name on the record it is about: its data's `id`, `conversation` or `customer`. */
  async function waitsFor(event: PublishInput): Promise<WaitDoc[]> {
    const keys = [event.data.id, event.data.conversation, event.data.customer].filter(
      (k): k is string => typeof k === 'string' && k !== '',
    );
    if (keys.length === 0) return [];
    return WaitModel.find({ org: event.org, eventName: canonicalName(event.name), key: { $in: keys } }).lean<
      WaitDoc[]
    >();
  }

  /**
   * Signals the waiting runs. At least once (a repeated dispatch signals again): runs ignore an event id
   * they have seen. A wait whose run is gone is removed.
   */
  async function signalWaits(event: PublishInput, waits: WaitDoc[]): Promise<void> {
    for (const wait of waits) {
      try {
        await client.workflow
          .getHandle(wait.temporalWorkflowId)
          .signal(eventSignal, { id: event.id, name: canonicalName(event.name), data: event.data });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        await WaitModel.deleteOne({ _id: wait._id });
      }
    }
  }

  async function startAll(event: PublishInput, decisions: Decisions): Promise<RunRef[]> {
    const runs: RunRef[] = [];
    for (const { def, firstStep } of decisions.start) runs.push(await start(event, def, firstStep));
    return runs;
  }

  /** The stored fields of an event, whatever its status. */
  function eventFields(event: PublishInput, now: Date) {
    return {
      name: canonicalName(event.name),
      dataJson: JSON.stringify(event.data),
      source: event.source,
      origin: event.origin,
      write: event.write,
      depth: event.depth,
      updatedAt: now,
    };
  }

  /** The API form of an event this process has just dispatched, without reading it back. */
  function dispatchedJson(event: PublishInput, runs: RunRef[], skipped: SkippedWorkflow[], createdAt: Date) {
    return {
      id: event.id,
      org: event.org,
      name: canonicalName(event.name),
      data: event.data,
      depth: event.depth,
      source: event.source,
      origin: event.origin ?? null,
      runs,
      skipped,
      createdAt: createdAt.toISOString(),
    } satisfies PublishedEvent;
  }

  /** Inserts the event document; a duplicate-key error means its id is stored already. */
  async function insertEvent(event: PublishInput, now: Date, fields: Record<string, unknown>): Promise<void> {
    await EventModel.create({
      _id: event.id,
      org: event.org,
      idempotencyKey: event.idempotencyKey,
      createdAt: now,
      ...fields,
    });
  }

  /** Stores the event as pending; true when this call stored it (false: it existed already). */
  async function record(event: PublishInput): Promise<boolean> {
    const now = new Date();
    const fields = { ...eventFields(event, now), status: 'pending' };
    try {
      await insertEvent(event, now, fields);
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const doc = await EventModel.findById(event.id).lean<EventDoc>();
      if (!doc || doc.org !== event.org) throw new Error(`event id ${event.id} is taken by another org`);
      // Not dispatched yet: a retried write is describing itself again; its data is the current truth.
      // A custom event (no write) keeps what the first request stored, as an idempotency key promises.
      if (doc.status !== 'dispatched' && event.write) {
        await EventModel.updateOne({ _id: event.id, status: { $ne: 'dispatched' } }, { $set: fields });
      }
      return false;
    }
  }

  /**
   * Starts the event's runs and records the outcome. Run ids derive from the event: a dispatch that
   * is repeated (after a crash, by two sweepers) finds its runs already started and records the same.
   */
  async function markDispatched(event: PublishInput): Promise<{ runs: RunRef[]; skipped: SkippedWorkflow[] }> {
    const decisions = await decideAll(event);
    const runs = await startAll(event, decisions);
    await signalWaits(event, await waitsFor(event));
    await deps.webhooks?.deliver(event, await deps.webhooks.matching(event));
    const { skipped } = decisions;
    await EventModel.updateOne(
      { _id: event.id },
      { $set: { status: 'dispatched', runs, skipped, updatedAt: new Date() } },
    );
    return { runs, skipped };
  }

  async function dispatchStored(org: string, id: string): Promise<PublishedEvent> {
    const doc = await EventModel.findOne({ _id: id, org }).lean<EventDoc>();
    if (!doc) throw new NotFoundError('event', id);
    return dispatchDoc(doc);
  }

  async function dispatchDoc(doc: EventDoc): Promise<PublishedEvent> {
    const { org, _id: id } = doc;
    if (doc.status === 'dispatched') return eventJson(doc);
    const stored = eventJson(doc);
    const input: PublishInput = {
      org,
      id,
      name: stored.name,
      data: stored.data,
      depth: stored.depth,
      source: doc.source,
      origin: stored.origin ?? undefined,
      // The record it describes: webhook deliveries of one record go in order.
      write: doc.write?.kind && doc.write.id ? { kind: doc.write.kind as RecordKindName, id: doc.write.id } : undefined,
    };
    const { runs, skipped } = await markDispatched(input);
    return { ...stored, runs, skipped };
  }

  /**
   * A custom event whose id is stored already: the same `Idempotency-Key` again. With the same name
   * and data it answers what the first request stored (and finishes its dispatch if that request
   * died); with a different one it is refused with 422 naming the difference, as the key promises
   * one event.
   */
  async function repeated(event: PublishInput): Promise<PublishedEvent> {
    const doc = await EventModel.findOne({ _id: event.id, org: event.org }).lean<EventDoc>();
    if (!doc) throw new NotFoundError('event', event.id);
    const stored = eventJson(doc);
    const difference =
      stored.name !== canonicalName(event.name) ? ['name'] : jsonDifference(stored.data, event.data, ['data']);
    if (difference) {
      throw new UserError(
        422,
        'idempotency_key_reused',
        `Idempotency-Key ${JSON.stringify(event.idempotencyKey ?? '')} was used for a different request`,
        [{ path: formatPath(difference), message: 'differs from the request first sent with this key' }],
      );
    }
    return dispatchDoc(doc);
  }

  /** Whether the record write a pending event describes happened (custom events describe none). */
  async function writeHappened(doc: EventDoc): Promise<boolean> {
    const write = doc.write;
    if (!write?.kind || !write.id) return true;
    const kind = recordKindNamed(write.kind);
    if (!kind) return false;
    const record = await kind.findOne({ _id: write.id, org: doc.org });
    if (!record) return false;
    if (doc.name.endsWith('.create')) return true;
    // Only records that change after their create remember their writes.
    return 'lastWrites' in record && (record.lastWrites ?? []).includes(doc._id);
  }

  const service = {
    record,

    /**
     * Dispatches a stored event. `fresh` is the event as this process has just stored it (record()
     * answered true): it is dispatched as it is, without reading it back.
     */
    async dispatch(org: string, id: string, fresh?: PublishInput): Promise<void> {
      try {
        if (fresh) await markDispatched(fresh);
        else await dispatchStored(org, id);
      } catch (error) {
        // The write it describes is done: the event stays pending, and the sweeper starts its runs
        // once whatever failed here (Temporal, the database) answers again. Nothing is lost, and the
        // write is not reported as failed (a client retrying it would write twice).
        logger.warn({ err: error, org, event: id }, 'event dispatch failed; left pending for the sweeper');
      }
    },

    /**
     * A custom event (`POST /v1/events`): no write to wait for, so the runs are decided first. When
     * none starts and no run waits for it, the event is stored already dispatched, in one write; otherwise
     * it is stored pending (the sweeper finishes it if this process dies), its runs start, the waiting
     * runs are signalled, and it is marked
     * dispatched. Stored before (an idempotency key repeated): the outcome recorded then.
     */
    async publish(event: PublishInput): Promise<PublishedEvent> {
      const decisions = await decideAll(event);
      const waits = await waitsFor(event);
      const webhooks = (await deps.webhooks?.matching(event)) ?? [];
      const now = new Date();
      // Nothing to start or signal: stored dispatched at once. Otherwise stored first (an Idempotency-Key
      // reused with other data is refused before anything happens), and pending until done.
      if (decisions.start.length === 0 && waits.length === 0 && webhooks.length === 0) {
        try {
          await insertEvent(event, now, {
            ...eventFields(event, now),
            status: 'dispatched',
            runs: [],
            skipped: decisions.skipped,
          });
          return dispatchedJson(event, [], decisions.skipped, now);
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          return repeated(event);
        }
      }
      if (!(await record(event))) return repeated(event);
      const runs = await startAll(event, decisions);
      await signalWaits(event, waits);
      await deps.webhooks?.deliver(event, webhooks);
      await EventModel.updateOne(
        { _id: event.id },
        { $set: { status: 'dispatched', runs, skipped: decisions.skipped, updatedAt: new Date() } },
      );
      return dispatchedJson(event, runs, decisions.skipped, now);
    },

    async get(org: string, id: string): Promise<PublishedEvent> {
      const doc = await EventModel.findOne({ _id: id, org }).lean<EventDoc>();
      if (!doc) throw new NotFoundError('event', id);
      return eventJson(doc);
    },

    /**
     * Finishes events left pending by a process that died between storing an event and dispatching
     * it: dispatched when the write they describe happened, voided when it did not. Returns how
     * many it handled. Safe to run in several workers at once.
     */
    async sweep(olderThanMs = 30_000, limit = 100): Promise<{ dispatched: number; voided: number }> {
      const stale = await EventModel.find({ status: 'pending', updatedAt: { $lt: new Date(Date.now() - olderThanMs) } })
        .sort({ updatedAt: 1 })
        .limit(limit)
        .lean<EventDoc[]>();
      const counts = { dispatched: 0, voided: 0 };
      for (const doc of stale) {
        if (await writeHappened(doc)) {
          await dispatchStored(doc.org, doc._id);
          counts.dispatched++;
        } else {
          await EventModel.updateOne(
            { _id: doc._id, status: 'pending' },
            { $set: { status: 'void', updatedAt: new Date() } },
          );
          counts.voided++;
        }
      }
      if (stale.length > 0) logger.info(counts, 'swept pending events');
      return counts;
    },
  };
  return service satisfies EventPublisher;
}

export type EventService = ReturnType<typeof createEventService>;

/** The event service as both processes build it: the API and the worker (whose activities publish). */
export function eventServiceFromConfig(
  config: Config,
  client: Client,
  logger: Logger,
  options: { eagerStart?: boolean; triggers?: TriggerEvaluator } = {},
): EventService {
  return createEventService({
    ...options,
    triggers: options.triggers ?? sharedTriggerPool(config.triggerEval),
    client,
    taskQueue: config.taskQueue,
    retry: config.retry,
    maxEventDepth: config.maxEventDepth,
    logger,
    webhooks: createWebhookDispatch({ client, taskQueue: config.taskQueue, settings: config.webhooks, logger }),
  });
}

/** The `keyedRun` workflow of one key: derived, so every event for the key finds the same one. */
export function keyedWorkflowIdFor(org: string, definitionId: string, mode: KeyedMode, key: string): string {
  return `keyed-${derivedId(org, definitionId, mode, key)}`;
}

/**
 * How a definition's run for this event goes through a key, or null to start it directly (`parallel`, no
 * option, or a key that resolves to nothing: such an event runs as if the option were not set). `debounce`
 * wins over `concurrency` (the format refuses both at once). The key (`/#steps.1.conversation`) is resolved
 * against the event by the core's resolver; a string or a number is a key, anything else is nothing.
 */
export function keyedDispatch(
  def: DefinitionRecord,
  data: JsonObject,
): { mode: KeyedMode; key: string; delayMs?: number } | null {
  const { debounce, concurrency } = def.definition.trigger;
  let option: { mode: KeyedMode; key: string; delayMs?: number } | null = null;
  if (debounce) {
    option = { mode: 'debounce', key: debounce.key, delayMs: durationMs(debounce.delay) };
  } else if (concurrency) {
    const { mode, key = DEFAULT_RUN_KEY } = typeof concurrency === 'string' ? { mode: concurrency } : concurrency;
    if (mode === 'queue' || mode === 'replace') option = { mode, key };
  }
  if (!option) return null;
  let key: JsonValue | undefined;
  try {
    key = resolveValue(option.key, { steps: { '1': data }, now: Date.now() });
  } catch {
    return null;
  }
  if (!((typeof key === 'string' && key !== '') || typeof key === 'number')) return null;
  return { ...option, key: String(key) };
}
