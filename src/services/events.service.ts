import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { evaluateCondition } from '../core/conditions';
import { canonicalName } from '../core/names';
import { NotFoundError } from '../errors';
import { EventModel, type EventDoc } from '../models/event.model';
import { derivedId, isDuplicateKeyError } from '../models/ids';
import { objectFromJsonText } from '../models/json-text';
import { SA_EVENT, SA_ORG, SA_WORKFLOW } from '../workflows/search-attributes';
import type { RetryDefaults, RunInput } from '../workflows/run.types';
import type { EventPublisher, PublishedEvent, PublishInput, RunRef, SkippedWorkflow } from './events.types';
import { CONVERSATION, CUSTOMER, MESSAGE, NOTE } from './record-kinds';
import { re2Test } from './regex';
import { workflowsForEvent, type WorkflowRecord } from './workflows.service';

export interface EventServiceDeps {
  client: Client;
  taskQueue: string;
  retry: RetryDefaults;
  maxEventDepth: number;
  logger: Logger;
}

const RECORD_KINDS = { customer: CUSTOMER, conversation: CONVERSATION, message: MESSAGE, note: NOTE };

/** The run id is derived from (org, workflow, rev, event): a replayed event can never start a second run. */
export function runIdFor(org: string, workflow: string, rev: number, event: string): string {
  return `run-${derivedId(org, workflow, rev, event)}`;
}

export function eventJson(doc: EventDoc): PublishedEvent {
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
      reason: s.reason as SkippedWorkflow['reason'],
      message: s.message ?? '',
    })),
    createdAt: doc.createdAt.toISOString(),
  };
}

/**
 * Publishing stores the event, decides for every workflow listening to its name whether it runs
 * (and records why not), and starts the runs. It is idempotent per event id: the event document's
 * `_id` is the id, and run ids are derived from it, so publishing the same event twice (an
 * idempotency key reused, an activity retried) starts nothing new.
 */
export function createEventService(deps: EventServiceDeps) {
  const { client, logger } = deps;

  async function decide(event: PublishInput, wf: WorkflowRecord): Promise<{ firstStep: string } | SkippedWorkflow> {
    const base = { workflow: wf.id, rev: wf.rev };
    if (!wf.enabled) return { ...base, reason: 'disabled', message: 'the workflow is disabled' };
    if (event.origin?.workflow === wf.id) {
      return { ...base, reason: 'own_write', message: `written by this workflow's own run ${event.origin.run}` };
    }
    if (event.depth > deps.maxEventDepth) {
      return {
        ...base,
        reason: 'cascade_limit',
        message: `cascade depth ${event.depth} exceeds the limit of ${deps.maxEventDepth}`,
      };
    }
    const ctx = { steps: { '1': event.data }, now: Date.now() };
    for (const transition of wf.definition.trigger.transitions) {
      if (await evaluateCondition(transition.condition, ctx, re2Test)) return { firstStep: transition.target };
    }
    return { ...base, reason: 'trigger_condition_false', message: 'no trigger transition condition holds' };
  }

  async function start(event: PublishInput, wf: WorkflowRecord, firstStep: string): Promise<RunRef> {
    const id = runIdFor(event.org, wf.id, wf.rev, event.id);
    const input: RunInput = {
      org: event.org,
      workflow: { id: wf.id, name: wf.definition.name, rev: wf.rev, definition: wf.definition },
      event: { id: event.id, name: canonicalName(event.name), data: event.data, depth: event.depth },
      firstStep,
      retry: deps.retry,
    };
    try {
      await client.workflow.start('interpreter', {
        workflowId: id,
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: SA_ORG, value: event.org },
          { key: SA_WORKFLOW, value: wf.id },
          { key: SA_EVENT, value: canonicalName(event.name) },
        ],
        memo: { rev: wf.rev, event: event.id, workflowName: wf.definition.name },
        staticSummary: `${wf.definition.name} (rev ${wf.rev}) on ${canonicalName(event.name)}`,
        staticDetails: `org ${event.org} · workflow ${wf.id} · event ${event.id}`,
      });
      logger.info({ org: event.org, workflow: wf.id, run: id, event: event.id }, 'run started');
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return { id, workflow: wf.id, rev: wf.rev };
  }

  async function dispatch(event: PublishInput): Promise<{ runs: RunRef[]; skipped: SkippedWorkflow[] }> {
    const runs: RunRef[] = [];
    const skipped: SkippedWorkflow[] = [];
    for (const wf of await workflowsForEvent(event.org, event.name)) {
      const decision = await decide(event, wf);
      if ('firstStep' in decision) runs.push(await start(event, wf, decision.firstStep));
      else skipped.push(decision);
    }
    return { runs, skipped };
  }

  /** Stores the event as pending; true when this call stored it (false: it existed already). */
  async function record(event: PublishInput): Promise<boolean> {
    const fields = {
      name: canonicalName(event.name),
      dataJson: JSON.stringify(event.data),
      source: event.source,
      origin: event.origin,
      write: event.write,
      depth: event.depth,
      status: 'pending',
      updatedAt: new Date(),
    };
    try {
      await EventModel.create({
        _id: event.id,
        org: event.org,
        idempotencyKey: event.idempotencyKey,
        createdAt: new Date(),
        ...fields,
      });
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
  async function markDispatched(event: PublishInput): Promise<PublishedEvent> {
    const { runs, skipped } = await dispatch(event);
    const updated = await EventModel.findOneAndUpdate(
      { _id: event.id, org: event.org },
      { $set: { status: 'dispatched', runs, skipped, updatedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean<EventDoc>();
    if (!updated) throw new NotFoundError('event', event.id);
    return eventJson(updated);
  }

  async function dispatchStored(org: string, id: string): Promise<PublishedEvent> {
    const doc = await EventModel.findOne({ _id: id, org }).lean<EventDoc>();
    if (!doc) throw new NotFoundError('event', id);
    if (doc.status === 'dispatched') return eventJson(doc);
    const stored = eventJson(doc);
    return markDispatched({
      org,
      id,
      name: stored.name,
      data: stored.data,
      depth: stored.depth,
      source: doc.source as PublishInput['source'],
      origin: stored.origin ?? undefined,
    });
  }

  /** Whether the record write a pending event describes happened (custom events describe none). */
  async function writeHappened(doc: EventDoc): Promise<boolean> {
    const write = doc.write;
    if (!write?.kind || !write.id) return true;
    const kind = RECORD_KINDS[write.kind as keyof typeof RECORD_KINDS];
    if (!kind) return false;
    const record = (await kind.model.findOne({ _id: write.id, org: doc.org }).lean()) as {
      lastWrites?: string[];
    } | null;
    if (!record) return false;
    return doc.name.endsWith('.create') || (record.lastWrites ?? []).includes(doc._id);
  }

  const service = {
    record,
    dispatch: dispatchStored,

    async publish(event: PublishInput): Promise<PublishedEvent> {
      // Freshly stored: dispatch what we have. Stored before: dispatch what was stored (an
      // idempotency key repeated, a retried write), or return the outcome already recorded.
      return (await record(event)) ? markDispatched(event) : dispatchStored(event.org, event.id);
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
export function eventServiceFromConfig(config: Config, client: Client, logger: Logger): EventService {
  return createEventService({
    client,
    taskQueue: config.taskQueue,
    retry: config.retry,
    maxEventDepth: config.maxEventDepth,
    logger,
  });
}
