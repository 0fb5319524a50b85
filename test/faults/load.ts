/**
 * The load of a fault scenario: an org, the workflows listening to its event, and senders that each
 * open a conversation and publish one event about it (`POST /v1/events` with an `Idempotency-Key`), then,
 * in a closed loop, wait for the event's runs to complete before sending the next.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { sleep } from '../../scripts/dev/process-utils';
import { closedLoop, type Outcome } from '../../bench/load/pool';
import type { ApiClient } from './client';

/** The name of the handler's tag, note and custom attribute: one per workflow listening to the event. */
export interface Handler {
  tag: string;
  /** Workflow id and revision, once created. */
  id: string;
  rev: number;
}

/**
 * A 5-step run per event: read the conversation, reply (a message: its counter moves too), tag it,
 * set a custom attribute, add a note. Each side effect can be counted afterwards in the database.
 * With `delay` (an ISO-8601 duration), a `delay` step waits that long between reading and replying.
 */
export function handlerDefinition(tag: string, eventName: string, opts: { delay?: string } = {}): unknown {
  const always = { op: 'true', values: [true] };
  const conversation = '/#steps.1.conversation';
  const then = (target: string) => [{ target, condition: always }];
  const wait = opts.delay
    ? [{ id: DELAY_STEP, action: 'delay', params: { duration: opts.delay }, transitions: then('reply') }]
    : [];
  return {
    name: `fault handler ${tag}`,
    enabled: true,
    trigger: { eventName, transitions: then('find') },
    steps: [
      {
        id: 'find',
        action: 'conversation.find-by-id',
        params: { id: conversation },
        transitions: then(opts.delay ? DELAY_STEP : 'reply'),
      },
      ...wait,
      {
        id: 'reply',
        action: 'message.create',
        params: { conversation, body: `${tag}: we have your request {{steps.1.key}}` },
        transitions: then('tag'),
      },
      {
        id: 'tag',
        action: 'conversation.append-tags',
        params: { id: conversation, tags: [tag] },
        transitions: then('mark'),
      },
      {
        id: 'mark',
        action: 'conversation.update',
        params: { id: conversation, custom: { [`${tag}Key`]: '/#steps.1.key' } },
        transitions: then('note'),
      },
      { id: 'note', action: 'note.create', params: { conversation, body: noteBody(tag, '{{steps.1.key}}') } },
    ],
  };
}

/** The id of the handler's `delay` step, when it has one. */
const DELAY_STEP = 'wait';

export const noteBody = (tag: string, key: string): string => `${tag} handled ${key}`;

export interface SentEvent {
  key: string;
  conversation: string;
  /** Set once the event was accepted (202). */
  eventId?: string;
  /** The runs the 202 named: one per listening workflow. */
  runs: { id: string; workflow: string }[];
  sentAt: number;
  acceptedAt?: number;
  /** When the last of its runs was seen completed (by this process). */
  completedAt?: number;
  /** A run that failed, or was not seen completing in time. */
  problem?: string;
}

export interface Load {
  org: string;
  orgKey: string;
  eventName: string;
  handlers: Handler[];
  events: SentEvent[];
  /** Customers the conversations belong to (made by the first sendEvents). */
  customers: string[];
  /** The index of the next event's key (events may be sent in several waves). */
  nextIndex: number;
  accepted(): number;
  completed(): number;
}

/** Creates the org and one workflow per handler tag, all listening to `eventName` (each with `delay`, if given). */
export async function setupLoad(
  api: ApiClient,
  rootKey: string,
  scenario: string,
  eventName: string,
  tags: string[],
  delay?: string,
): Promise<Load> {
  const org = await api.call('POST', '/v1/orgs', { key: rootKey, body: { name: `faults ${scenario}` } });
  const orgKey = String(org.body.apiKey);
  const handlers: Handler[] = [];
  for (const tag of tags) {
    const wf = await api.call('POST', '/v1/workflows', {
      key: orgKey,
      body: handlerDefinition(tag, eventName, { delay }),
    });
    handlers.push({ tag, id: String(wf.body.id), rev: Number(wf.body.rev) });
  }
  const events: SentEvent[] = [];
  return {
    org: String(org.body.id),
    orgKey,
    eventName,
    handlers,
    events,
    customers: [],
    nextIndex: 0,
    accepted: () => events.filter((e) => e.acceptedAt !== undefined).length,
    completed: () => events.filter((e) => e.completedAt !== undefined).length,
  };
}

/** Waits for one run to close: the result, or why not. Rides out Temporal restarts until `deadline`. */
async function waitRun(client: Client, temporalWorkflowId: string, deadline: number): Promise<string | undefined> {
  for (;;) {
    try {
      await client.workflow.getHandle(temporalWorkflowId).result();
      return undefined;
    } catch (error) {
      if (error instanceof WorkflowFailedError) {
        return `run ${temporalWorkflowId} failed: ${error.cause?.message ?? error.message}`;
      }
      if (Date.now() > deadline) return `run ${temporalWorkflowId} not completed in time (${(error as Error).message})`;
      await sleep(1_000);
    }
  }
}

/** Waits for every run of an accepted event, and stamps its completion. */
export async function waitEvent(client: Client, event: SentEvent, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const problems = await Promise.all(event.runs.map((run) => waitRun(client, run.id, deadline)));
  const problem = problems.find((p) => p !== undefined);
  if (problem) event.problem = problem;
  else event.completedAt = Date.now();
}

export interface SendOptions {
  senders: number;
  count: number;
  /** No new event after this long. */
  durationMs: number;
  /** Closed loop: a sender waits for the runs of its event before sending the next. */
  waitForRuns: boolean;
  /** How long an event's runs may take (faults included). */
  runTimeoutMs: number;
  /** Which API a sender tries first (default: alternate). */
  prefer?: (i: number) => number;
  /** No new event once this returns true. */
  stop?: () => boolean;
}

/**
 * Sends `count` events (or for `durationMs`), each about a conversation of its own. Returns once every
 * sender stopped and every accepted event's runs were waited for.
 */
export async function sendEvents(load: Load, api: ApiClient, client: Client, opts: SendOptions): Promise<void> {
  const customers = load.customers;
  while (customers.length < Math.min(opts.senders, 20)) {
    const name = `Sender ${customers.length}`;
    const customer = await api.call('POST', '/v1/customers', { key: load.orgKey, body: { name } });
    customers.push(String(customer.body.id));
  }
  const watchers: Promise<void>[] = [];
  const first = load.nextIndex;
  load.nextIndex += opts.count;
  const op = async (n: number): Promise<Outcome> => {
    const i = first + n;
    const prefer = opts.prefer?.(i);
    const key = `${load.eventName}-${i}`;
    const conversation = await api.call('POST', '/v1/conversations', {
      key: load.orgKey,
      body: { customer: customers[i % customers.length], name: `request ${key}`, channels: ['email'] },
      prefer,
    });
    const event: SentEvent = { key, conversation: String(conversation.body.id), runs: [], sentAt: Date.now() };
    load.events.push(event);
    const answer = await api.call('POST', '/v1/events', {
      key: load.orgKey,
      headers: { 'idempotency-key': key },
      body: { name: load.eventName, data: { conversation: event.conversation, key } },
      prefer,
    });
    event.eventId = String(answer.body.eventId);
    event.runs = (answer.body.runs as { id: string; workflow: string }[]).map(({ id, workflow }) => ({ id, workflow }));
    event.acceptedAt = Date.now();
    const watch = waitEvent(client, event, opts.runTimeoutMs);
    if (opts.waitForRuns) await watch;
    else watchers.push(watch);
    return event.problem ? { kind: 'lost', reason: event.problem } : { kind: 'ok' };
  };
  await closedLoop({ senders: opts.senders, count: opts.count, deadlineMs: opts.durationMs, op, stop: opts.stop });
  await Promise.all(watchers);
}
