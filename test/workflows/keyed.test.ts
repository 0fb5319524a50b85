import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import { ACTION_NAMES, type ActionName } from '../../src/core/action-names';
import { loadDevConfig } from '../../src/config';
import { DefinitionSchema } from '../../src/core/definition.schema';
import type { JsonObject } from '../../src/core/json';
import { keyedRun } from '../../src/workflows';
import { runStateQuery } from '../../src/workflows/interpreter.messages';
import {
  keyedEventSignal,
  keyedStateQuery,
  type KeyedEvent,
  type KeyedMode,
  type KeyedRunInput,
  type KeyedState,
} from '../../src/workflows/keyed.workflow';
import type { RunInput } from '../../src/workflows/run.types';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { RETRY_DEFAULTS, type StepInput } from '../helpers/interpreter';
import { createTimeSkippingEnv, workflowBundle } from '../helpers/servers';

/**
 * `keyedRun` on the time-skipping test server (days pass in milliseconds) with stub activities: a key's
 * events arrive as signals and its runs are child interpreters. Inputs are built by hand, as dispatch
 * builds them (src/services/events.service.ts, `start`).
 */

const TASK_QUEUE = 'keyed-test';
const DAY = 24 * 3600 * 1000;

interface Call {
  run: string;
  action: string;
  params: JsonObject;
  attempt: number;
}

/** Every action call of every run, in the order they happened; `behave` decides what a call does. */
const calls: Call[] = [];
type Behaviour = (call: Call) => JsonObject | Promise<JsonObject>;
const behaviours = new Map<string, Behaviour>();

function stubActivities(): Activities {
  const actions = {} as Record<ActionName, Activities[ActionName]>;
  for (const name of ACTION_NAMES) {
    actions[name] = async ({ action, params }) => {
      const info = Context.current().info;
      const call = { run: info.workflowExecution?.workflowId ?? '', action, params, attempt: info.attempt };
      calls.push(call);
      const behave = behaviours.get(call.run);
      if (!behave) throw ApplicationFailure.nonRetryable(`no behaviour for ${call.run}`, 'no_stub');
      return behave(call);
    };
  }
  // Keyed runs use no built-in step: the wait and call activities refuse to be reached.
  const unused = async (): Promise<never> => {
    throw ApplicationFailure.nonRetryable('not used by keyed runs', 'no_stub');
  };
  return {
    ...actions,
    registerWait: unused,
    removeWait: unused,
    checkOutputs: unused,
    callableRun: unused,
    regexTest: async (pattern, input) => new RegExp(pattern).test(input),
  };
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  env = await createTimeSkippingEnv();
  // Runs carry our search attributes; the test server accepts them once added (it cannot list them, so
  // `ensureSearchAttributes` does not work here). 2: KEYWORD.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, 2])),
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: workflowBundle(),
    activities: stubActivities(),
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
});

let keys = 0;

/**
 * With RECORD_HISTORIES=1, saves a key's history beside the interpreter's (test/workflows/replay.test.ts
 * replays every one against today's code): a key lives as long as its quiet period, so its workflow
 * must stay replayable across deploys.
 */
async function recordHistory(name: string, workflowId: string): Promise<void> {
  if (!loadDevConfig().recordHistories) return;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(path.resolve(__dirname, `../fixtures/histories/${name}.history.json`), `${historyToJSON(history)}\n`);
}

/** One key's `keyedRun`, and a way to send it events built like dispatch builds them. */
function keyFor(mode: KeyedMode, steps: StepInput[], extra: Partial<KeyedRunInput> = {}) {
  const n = ++keys;
  const definition = DefinitionSchema.parse({
    name: `keyed ${mode}`,
    trigger: { eventName: 'message.create', transitions: [{ target: steps[0]!.id }] },
    steps,
  });
  const workflowId = `keyed-${n}`;
  const input: KeyedRunInput = { org: 'org-1', definitionId: `wf-${n}`, key: `conv-${n}`, mode, ...extra };
  const runInput = (eventId: string, data: JsonObject, retry = RETRY_DEFAULTS): RunInput => ({
    org: 'org-1',
    workflow: { id: input.definitionId, name: definition.name, rev: 1, definition },
    event: { id: eventId, name: 'message.create', data, depth: 0 },
    firstStep: steps[0]!.id,
    retry,
  });
  return {
    workflowId,
    handle: env.client.workflow.getHandle<typeof keyedRun>(workflowId),
    runId: (eventId: string) => `run-${n}-${eventId}`,
    /** Signal-with-start, as dispatch does: the first event starts the key's workflow. */
    async send(eventId: string, data: JsonObject, options: { delayMs?: number; retry?: RunInput['retry'] } = {}) {
      const event: KeyedEvent = { runId: `run-${n}-${eventId}`, input: runInput(eventId, data, options.retry) };
      if (options.delayMs !== undefined) event.delayMs = options.delayMs;
      await env.client.workflow.signalWithStart(keyedRun, {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [input],
        signal: keyedEventSignal,
        signalArgs: [event],
      });
    },
  };
}

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('not within 10 s');
}

/** The key's state once the signal sent last is handled (a query before the first workflow task fails). */
function stateWith(key: { handle: { query: (q: typeof keyedStateQuery) => Promise<KeyedState> } }, runId: string) {
  return eventually(async () => {
    const state = await key.handle.query(keyedStateQuery).catch(() => undefined);
    return state?.pending.includes(runId) ? state : undefined;
  });
}

describe('keyedRun: debounce', () => {
  // "Close a conversation a week after the last outbound message": re-read the conversation, close it if still open.
  const steps: StepInput[] = [
    {
      id: 'find',
      action: 'conversation.find-by-id',
      params: { id: '/#steps.1.conversation' },
      transitions: [{ target: 'close', condition: { op: 'eq', values: ['/#steps.find.status', 'open'] } }],
    },
    { id: 'close', action: 'conversation.update', params: { id: '/#steps.1.conversation', status: 'done' } },
  ];

  it('closes a conversation once, a week after the last outbound message (day 4 moves it to day 11)', async () => {
    const key = keyFor('debounce', steps);
    const week = 7 * DAY;
    for (const id of ['m1', 'm2']) {
      behaviours.set(key.runId(id), ({ action }) =>
        action === 'conversation.find-by-id' ? { id: 'conv-a', status: 'open' } : { id: 'conv-a', status: 'done' },
      );
    }
    const t0 = await env.currentTimeMs();
    await key.send('m1', { id: 'm1', conversation: 'conv-a', direction: 'out' }, { delayMs: week });
    const first = await stateWith(key, key.runId('m1'));
    expect(first.pending).toEqual([key.runId('m1')]);
    expect(Date.parse(first.deadline!) - t0).toBeGreaterThanOrEqual(week);
    expect(Date.parse(first.deadline!) - t0).toBeLessThan(week + DAY / 24);

    await env.sleep(4 * DAY);
    expect(calls.filter((c) => c.run.startsWith(key.runId('')))).toEqual([]);
    await key.send('m2', { id: 'm2', conversation: 'conv-a', direction: 'out' }, { delayMs: week });
    // The same event again (a dispatch retried, the sweeper) changes nothing.
    await key.send('m2', { id: 'm2', conversation: 'conv-a', direction: 'out' }, { delayMs: week });
    const second = await stateWith(key, key.runId('m2'));
    expect(second.pending).toEqual([key.runId('m2')]);
    expect(Date.parse(second.deadline!) - t0).toBeGreaterThanOrEqual(11 * DAY);
    expect(Date.parse(second.deadline!) - t0).toBeLessThan(11 * DAY + DAY / 24);

    const final = await key.handle.result();
    expect(final.started).toBe(1);
    const mine = calls.filter((c) => c.run.startsWith(key.runId('')));
    expect(mine.filter((c) => c.action === 'conversation.update')).toEqual([
      { run: key.runId('m2'), action: 'conversation.update', params: { id: 'conv-a', status: 'done' }, attempt: 1 },
    ]);
    // The run is the last event's, on its data; the first event's run never started.
    const run = await env.client.workflow.getHandle(key.runId('m2')).query(runStateQuery);
    expect(run.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'find:completed', 'close:completed']);
    expect(run.steps[0]!.output).toEqual({ id: 'm2', conversation: 'conv-a', direction: 'out' });
    const closedAt = Date.parse(run.steps[2]!.startedAt) - t0;
    expect(closedAt).toBeGreaterThanOrEqual(11 * DAY);
    expect(closedAt).toBeLessThan(11 * DAY + DAY / 24);
    await expect(env.client.workflow.getHandle(key.runId('m1')).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    await recordHistory('keyed-debounce', key.workflowId);
  });

  it('leaves a conversation that is no longer open alone (the steps re-read it)', async () => {
    const key = keyFor('debounce', steps);
    behaviours.set(key.runId('m1'), () => ({ id: 'conv-b', status: 'done' }));
    await key.send('m1', { id: 'm1', conversation: 'conv-b', direction: 'out' }, { delayMs: 7 * DAY });
    await key.handle.result();
    const run = await env.client.workflow.getHandle(key.runId('m1')).query(runStateQuery);
    expect(run.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'find:completed']);
    expect(calls.filter((c) => c.run === key.runId('m1')).map((c) => c.action)).toEqual(['conversation.find-by-id']);
  });
});

describe('keyedRun: debounce while a run is going', () => {
  const steps: StepInput[] = [
    { id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['seen'] } },
  ];

  it('starts the next quiet period at once, and the next run only after the current one', async () => {
    const key = keyFor('debounce', steps);
    // The first run's action fails once and is retried an hour later (a durable timer): still going when
    // the second event arrives, whose quiet period (10 minutes) ends before it.
    behaviours.set(key.runId('e1'), ({ attempt }) => {
      if (attempt === 1) throw ApplicationFailure.retryable('busy', 'busy');
      return { id: 'conv-d', tags: ['seen'] };
    });
    behaviours.set(key.runId('e2'), () => ({ id: 'conv-d', tags: ['seen'] }));
    const hourly = { ...RETRY_DEFAULTS, initialIntervalMs: 3600_000, maximumIntervalMs: 3600_000 };
    await key.send('e1', { id: 'e1', conversation: 'conv-d' }, { delayMs: DAY, retry: hourly });
    await env.sleep(DAY + 60_000);
    await eventually(() => calls.find((c) => c.run === key.runId('e1')));
    await key.send('e2', { id: 'e2', conversation: 'conv-d' }, { delayMs: 10 * 60_000 });
    const final = await key.handle.result();
    expect(final.started).toBe(2);

    const first = await env.client.workflow.getHandle(key.runId('e1')).query(runStateQuery);
    const second = await env.client.workflow.getHandle(key.runId('e2')).query(runStateQuery);
    expect(first.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'tag:completed']);
    expect(second.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'tag:completed']);
    expect(calls.filter((c) => c.run === key.runId('e1')).map((c) => c.attempt)).toEqual([1, 2]);
    // No overlap: the second run starts after the first ended, an hour in, not 10 minutes after its event.
    expect(Date.parse(second.steps[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.steps[1]!.finishedAt!));
  });
});

describe('keyedRun: queue', () => {
  const steps: StepInput[] = [
    { id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['seen'] } },
  ];

  it('runs one at a time in arrival order, an event delivered twice once', async () => {
    // continueAfter 2: the third run starts after a continue-as-new, which carries what is pending.
    const key = keyFor('queue', steps, { continueAfter: 2 });
    let active = 0;
    let mostActive = 0;
    for (const id of ['e1', 'e2', 'e3']) {
      behaviours.set(key.runId(id), async () => {
        active++;
        mostActive = Math.max(mostActive, active);
        // Real time: long enough for runs that overlapped to show it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        active--;
        return { id: 'conv-q', tags: ['seen'] };
      });
    }
    for (const id of ['e1', 'e2', 'e2', 'e3']) await key.send(id, { id, conversation: 'conv-q' });
    await key.handle.result();
    expect(calls.filter((c) => c.run.startsWith(key.runId(''))).map((c) => c.run)).toEqual([
      key.runId('e1'),
      key.runId('e2'),
      key.runId('e3'),
    ]);
    expect(mostActive).toBe(1);
    for (const id of ['e1', 'e2', 'e3']) {
      const run = await env.client.workflow.getHandle(key.runId(id)).query(runStateQuery);
      expect(run.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'tag:completed']);
    }
  });
});

describe('keyedRun: replace', () => {
  const steps: StepInput[] = [
    { id: 'tag', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['seen'] } },
  ];

  it('cancels the run in progress when an event arrives and runs the newest', async () => {
    const key = keyFor('replace', steps);
    // The first run's action fails and backs off for 5 minutes (a durable timer): it is in progress
    // when the second event arrives.
    behaviours.set(key.runId('e1'), () => {
      throw ApplicationFailure.retryable('busy', 'busy');
    });
    behaviours.set(key.runId('e2'), () => ({ id: 'conv-r', tags: ['seen'] }));
    const slow = { ...RETRY_DEFAULTS, initialIntervalMs: 300_000, maximumIntervalMs: 300_000 };
    await key.send('e1', { id: 'e1', conversation: 'conv-r' }, { retry: slow });
    await eventually(() => calls.find((c) => c.run === key.runId('e1')));
    await key.send('e2', { id: 'e2', conversation: 'conv-r' });
    const final = await key.handle.result();
    expect(final.started).toBe(2);

    const first = env.client.workflow.getHandle(key.runId('e1'));
    const failure = await first.result().then(
      () => expect.unreachable('the replaced run completed'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const canceled = await first.query(runStateQuery);
    expect(canceled.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'tag:canceled']);
    const second = await env.client.workflow.getHandle(key.runId('e2')).query(runStateQuery);
    expect(second.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['1:completed', 'tag:completed']);
    expect(calls.filter((c) => c.run === key.runId('e2'))).toHaveLength(1);
    await recordHistory('keyed-replace', key.workflowId);
  });
});
