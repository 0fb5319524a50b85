import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefinitionSchema } from '../../src/core/definition.schema';
import { eventSignal, runStateQuery } from '../../src/workflows/interpreter.messages';
import type { RunState } from '../../src/workflows/run.types';
import {
  failureCause,
  returns,
  startInterpreterEnv,
  type InterpreterEnv,
  type StepInput,
} from '../helpers/interpreter';

/**
 * The built-in steps that wait (`delay`, `wait-for-event`), respond and call, on Temporal's time-skipping
 * test server: days pass in milliseconds. Stub activities stand in for the CRM actions and the `waits`
 * collection (the signal path through it is tested end to end in test/e2e/waits.e2e.test.ts).
 */

let t: InterpreterEnv;
beforeAll(async () => {
  t = await startInterpreterEnv();
});
afterAll(() => t?.close());

const DAY = 24 * 3600 * 1000;
const statuses = (state: RunState) => state.steps.map((s) => `${s.id}:${s.status}`);
const step = (state: RunState, id: string) => state.steps.find((s) => s.id === id)!;

/** Polls the run's state until `check` holds (the time-skipping server is paused while the test waits here). */
async function stateWhen(
  handle: Awaited<ReturnType<InterpreterEnv['start']>>['handle'],
  check: (state: RunState) => boolean,
): Promise<RunState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(runStateQuery);
    if (check(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the run never reached the expected state');
}

describe('delay', () => {
  it('sends a survey two days after the conversation is done, on a timer the test server skips', async () => {
    const steps: StepInput[] = [
      { id: 'wait', action: 'delay', params: { duration: 'P2D' }, transitions: [{ target: 'survey' }] },
      { id: 'survey', action: 'message.create', params: { conversation: '/#steps.1.id', body: 'How did we do?' } },
    ];
    const { state, calls } = await t.run(steps, { id: 'conv-1', status: 'done' }, { 'message.create': returns({}) });

    expect(statuses(state)).toEqual(['1:completed', 'wait:completed', 'survey:completed']);
    const waited = Date.parse(step(state, 'survey').startedAt) - Date.parse(step(state, 'wait').startedAt);
    expect(waited).toBeGreaterThanOrEqual(2 * DAY);
    expect(waited).toBeLessThan(2 * DAY + 60_000);
    expect(step(state, 'wait').output).toEqual({
      until: new Date(Date.parse(step(state, 'wait').startedAt) + 2 * DAY).toISOString(),
    });
    expect(calls.map((c) => c.params)).toEqual([{ conversation: 'conv-1', body: 'How did we do?' }]);
  });

  it('waits until a time read from the event, and not at all for a time in the past', async () => {
    const steps: StepInput[] = [
      { id: 'until', action: 'delay', params: { until: '/#steps.1.snoozedUntil' }, transitions: [{ target: 'past' }] },
      { id: 'past', action: 'delay', params: { until: '2000-01-01T00:00:00Z' } },
    ];
    const snoozedUntil = new Date(Date.now() + 30 * DAY).toISOString();
    const { handle } = await t.start(steps, { snoozedUntil });
    const state = await handle.result();
    expect(statuses(state)).toEqual(['1:completed', 'until:completed', 'past:completed']);
    expect(Date.parse(step(state, 'until').finishedAt!)).toBeGreaterThanOrEqual(Date.parse(snoozedUntil));
    expect(step(state, 'until').output).toEqual({ until: snoozedUntil });
    expect(step(state, 'past').startedAt).toBe(step(state, 'past').finishedAt);
    expect(state.waiting).toBeUndefined();
  });

  it('shows the run waiting, and is cancelled while it waits', async () => {
    const steps: StepInput[] = [
      { id: 'wait', action: 'delay', params: { duration: 'P7D' }, transitions: [{ target: 'after' }] },
      { id: 'after', action: 'message.create', params: { conversation: 'c', body: 'late' } },
    ];
    const { handle, script } = await t.start(steps, {});
    const waiting = await stateWhen(handle, (s) => s.waiting !== undefined);
    expect(waiting.waiting).toMatchObject({ step: 'wait', kind: 'delay' });
    await handle.cancel();
    expect(await failureCause(handle)).toBeInstanceOf(CancelledFailure);
    expect(statuses(await handle.query(runStateQuery))).toEqual(['1:completed', 'wait:canceled']);
    expect(script.calls).toEqual([]);
  });
});

describe('wait-for-event', () => {
  const steps: StepInput[] = [
    {
      id: 'reply',
      action: 'wait-for-event',
      params: {
        eventName: 'kustomer.message.create',
        timeout: 'P3D',
        condition: { op: 'eq', values: ['/#steps.reply.direction', 'in'] },
      },
      transitions: [
        { target: 'thanks', condition: { op: 'eq', values: ['/#steps.reply.timedOut', false] } },
        { target: 'nudge', condition: { op: 'true', values: [true] } },
      ],
    },
    {
      id: 'thanks',
      action: 'conversation.append-tags',
      params: { id: '/#steps.reply.event.data.conversation', tags: ['replied'] },
    },
    { id: 'nudge', action: 'conversation.append-tags', params: { id: '/#steps.1.id', tags: ['silent'] } },
  ];
  const stubs = { 'conversation.append-tags': returns({}) };

  it('is answered by an event signalled to the run whose condition holds on it', async () => {
    const { handle, script } = await t.start(steps, { id: 'conv-9' }, stubs);
    const waiting = await stateWhen(handle, (s) => s.waiting !== undefined);
    expect(waiting.waiting).toMatchObject({ step: 'reply', kind: 'event', eventName: 'message.create', key: 'conv-9' });
    // Another record's message, another event name, then an outbound message: none of them answers.
    await handle.signal(eventSignal, {
      id: 'e1',
      name: 'message.create',
      data: { conversation: 'conv-8', direction: 'in' },
    });
    await handle.signal(eventSignal, { id: 'e2', name: 'conversation.update', data: { id: 'conv-9' } });
    await handle.signal(eventSignal, {
      id: 'e3',
      name: 'message.create',
      data: { conversation: 'conv-9', direction: 'out' },
    });
    await handle.signal(eventSignal, {
      id: 'e4',
      name: 'message.create',
      data: { conversation: 'conv-9', direction: 'in', body: 'hi' },
    });
    const state = await handle.result();

    expect(statuses(state)).toEqual(['1:completed', 'reply:completed', 'thanks:completed']);
    expect(step(state, 'reply').output).toEqual({
      timedOut: false,
      event: { id: 'e4', name: 'message.create', data: { conversation: 'conv-9', direction: 'in', body: 'hi' } },
    });
    expect(script.calls.map((c) => c.params)).toEqual([{ id: 'conv-9', tags: ['replied'] }]);
    expect(script.waits).toEqual([
      { op: 'register', stepId: 'reply', eventName: 'message.create', key: 'conv-9' },
      { op: 'remove', stepId: 'reply' },
    ]);
    expect(state.waiting).toBeUndefined();
  });

  it('times out when no matching event arrives, and removes its wait', async () => {
    const { handle, script } = await t.start(steps, { id: 'conv-7' }, stubs);
    const state = await handle.result();
    expect(statuses(state)).toEqual(['1:completed', 'reply:completed', 'nudge:completed']);
    expect(step(state, 'reply').output).toEqual({ timedOut: true, event: null });
    const waited = Date.parse(step(state, 'reply').finishedAt!) - Date.parse(step(state, 'reply').startedAt);
    expect(waited).toBeGreaterThanOrEqual(3 * DAY);
    expect(script.waits.map((w) => w.op)).toEqual(['register', 'remove']);
  });

  it('removes its wait when the run is cancelled while it waits', async () => {
    const { handle, script } = await t.start(steps, { id: 'conv-6' }, stubs);
    await stateWhen(handle, (s) => s.waiting !== undefined);
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(script.waits.map((w) => w.op)).toEqual(['register', 'remove']);
    expect(statuses(await handle.query(runStateQuery))).toEqual(['1:completed', 'reply:canceled']);
  });
});

describe('workflow.respond', () => {
  const steps: StepInput[] = [
    {
      id: 'answer',
      action: 'responsive-workflow.respond',
      params: { outputs: { total: '/#steps.1.total', who: 'bot' } },
    },
  ];
  const response = { schema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } };

  it('sets the run outputs, which the run result carries', async () => {
    const { handle } = await t.start(steps, { total: 42 }, {}, { response });
    const state = await handle.result();
    expect(state.outputs).toEqual({ total: 42, who: 'bot' });
    expect(step(state, 'answer').output).toEqual({ total: 42, who: 'bot' });
  });

  it('fails the step when the outputs break response.schema', async () => {
    const { handle } = await t.start(steps, { total: 'many' }, {}, { response });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await handle.query(runStateQuery);
    expect(step(state, 'answer').error).toMatchObject({ code: 'invalid_outputs' });
    expect(step(state, 'answer').error?.message).toContain('outputs.total: must be number');
    expect(state.outputs).toBeUndefined();
  });
});

describe('workflow.call', () => {
  const callee = DefinitionSchema.parse({
    name: 'double',
    enabled: true,
    trigger: { eventName: 'workflow.double.call', callable: true, transitions: [{ target: 'wait' }] },
    steps: [
      { id: 'wait', action: 'delay', params: { duration: 'PT1H' }, transitions: [{ target: 'out' }] },
      { id: 'out', action: 'workflow.respond', params: { outputs: { n: '/#steps.1.n', from: 'double' } } },
    ],
  });

  it("outputs the called workflow's outputs", async () => {
    const steps: StepInput[] = [
      { id: 'ask', action: 'workflow.call', params: { workflowId: 'double', inputs: { n: '/#steps.1.n' } } },
    ];
    const { handle } = await t.start(steps, { n: 21 }, {}, { callables: { double: callee } });
    const state = await handle.result();
    expect(statuses(state)).toEqual(['1:completed', 'ask:completed']);
    expect(step(state, 'ask').output).toEqual({ n: 21, from: 'double' });
    // The child waited its hour: the step took as long.
    const took = Date.parse(step(state, 'ask').finishedAt!) - Date.parse(step(state, 'ask').startedAt);
    expect(took).toBeGreaterThanOrEqual(3600_000);
  });

  it('stops a workflow that calls itself at the nesting limit', async () => {
    const steps: StepInput[] = [{ id: 'again', action: 'workflow.call', params: { workflowId: 'self', inputs: {} } }];
    const self = DefinitionSchema.parse({
      name: 'self',
      trigger: { eventName: 'workflow.self.call', callable: true, transitions: [{ target: 'again' }] },
      steps,
    });
    const { handle } = await t.start(steps, {}, {}, { callables: { self } });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const error = step(await handle.query(runStateQuery), 'again').error;
    expect(error?.code).toBe('cascade_limit');
    expect(error?.message).toContain('calls nest at most 8 deep');
  });

  it('fails the step with not_found for a workflow that is not callable', async () => {
    const steps: StepInput[] = [{ id: 'ask', action: 'workflow.call', params: { workflowId: 'nope', inputs: {} } }];
    const { handle } = await t.start(steps, {}, {}, { callables: {} });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(step(await handle.query(runStateQuery), 'ask').error).toMatchObject({ code: 'not_found' });
  });
});
