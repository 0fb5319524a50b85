import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json';
import { runStateQuery } from '../../src/workflows/interpreter.messages';
import type { RunState, StepState } from '../../src/workflows/run.types';
import {
  failureCause,
  fails,
  firstOutcome,
  flaky,
  returns,
  startInterpreterEnv,
  type InterpreterEnv,
  type StepInput,
} from '../helpers/interpreter';

/**
 * The interpreter on Temporal's time-skipping test server with stub activities: branching, error
 * cases, retries, conditions that cannot be evaluated and cancellation, without a database. The
 * end-to-end tests (interpreter.e2e.test.ts) run the real actions against the real servers.
 */

let t: InterpreterEnv;
beforeAll(async () => {
  t = await startInterpreterEnv();
});
afterAll(() => t?.close());

/** A step's state without its timestamps (Temporal's clock), which each test checks where it matters. */
const timeless = ({ startedAt: _s, finishedAt: _f, ...rest }: StepState) => rest;
const statuses = (state: RunState) => state.steps.map((s) => `${s.id}:${s.status}`);

const trigger = (data: JsonObject, next: string) => ({
  id: '1',
  action: 'test.event',
  status: 'completed',
  input: null,
  output: data,
  error: null,
  next,
});

describe('interpreter: branching', () => {
  // Transitions are tried in order; several hold for some cases, and the first that holds wins.
  const steps: StepInput[] = [
    {
      id: 'look',
      action: 'customer.find',
      params: { identifier: '/#steps.1.email' },
      transitions: [
        {
          target: 'vip',
          condition: {
            op: 'and',
            values: [
              { op: 'eq', values: ['/#steps.look.tier', 'gold'] },
              { op: 'exists', values: ['/#steps.look.id'] },
            ],
          },
        },
        {
          target: 'plain',
          condition: {
            op: 'or',
            values: [
              { op: 'eq', values: ['/#steps.look.tier', 'silver'] },
              { op: 'eq', values: ['/#steps.look.tier', 'bronze'] },
            ],
          },
        },
        { target: 'other', condition: { op: 'exists', values: ['/#steps.look.tier'] } },
      ],
    },
    { id: 'vip', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['vip'] } },
    { id: 'plain', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['plain'] } },
    { id: 'other', action: 'conversation.append-tags', params: { id: '/#steps.1.conversation', tags: ['other'] } },
  ];

  it.each<{ name: string; found: JsonObject; next: string | null }>([
    { name: 'both parts of an `and` hold', found: { id: 'c1', tier: 'gold' }, next: 'vip' },
    { name: 'one part of an `and` fails', found: { tier: 'gold' }, next: 'other' },
    { name: 'the second part of an `or` holds', found: { id: 'c1', tier: 'bronze' }, next: 'plain' },
    { name: 'only the last transition holds', found: { id: 'c1', tier: 'tin' }, next: 'other' },
    { name: 'no transition holds, ending the branch', found: {}, next: null },
  ])('follows the first transition that holds when $name', async ({ found, next }) => {
    const data = { email: 'ada@example.com', conversation: 'conv-1' };
    const { state, calls } = await t.run(steps, data, {
      'customer.find': returns(found),
      'conversation.append-tags': returns({ id: 'conv-1' }),
    });
    const look = {
      id: 'look',
      action: 'customer.find',
      status: 'completed',
      input: { identifier: 'ada@example.com' },
      output: found,
      error: null,
      next,
    };
    const lookCall = { step: 'look', action: 'customer.find', params: { identifier: 'ada@example.com' }, attempt: 1 };
    if (next === null) {
      expect(state.steps.map(timeless)).toEqual([trigger(data, 'look'), look]);
      expect(calls).toEqual([lookCall]);
      return;
    }
    const tagParams = { id: 'conv-1', tags: [next] };
    expect(state.steps.map(timeless)).toEqual([
      trigger(data, 'look'),
      look,
      {
        id: next,
        action: 'conversation.append-tags',
        status: 'completed',
        input: tagParams,
        output: { id: 'conv-1' },
        error: null,
        next: null,
      },
    ]);
    expect(calls).toEqual([
      lookCall,
      { step: next, action: 'conversation.append-tags', params: tagParams, attempt: 1 },
    ]);
  });

  it('resolves references, functions and templates over earlier outputs into the params an action receives', async () => {
    const data = { conversation: 'conv-1', count: '12' };
    const { state, calls } = await t.run(
      [
        {
          id: 'find',
          action: 'conversation.find-by-id',
          params: { id: '/#steps.1.conversation' },
          transitions: [{ target: 'update' }],
        },
        {
          id: 'update',
          action: 'customer.update',
          params: {
            id: '/#steps.find.customer',
            name: '{{toUpper steps.find.name}} ({{steps.find.tags.[1]}})',
            custom: { ordersNum: '/#fn:parseInt,steps.1.count', lastStr: '/#steps.find.missing' },
          },
        },
      ],
      data,
      {
        'conversation.find-by-id': returns({ id: 'conv-1', customer: 'cus-9', name: 'ada', tags: ['a', 'b'] }),
        'customer.update': returns({ id: 'cus-9', name: 'ADA (b)' }),
      },
    );
    // A reference to a missing value leaves its param out.
    const updateParams = { id: 'cus-9', name: 'ADA (b)', custom: { ordersNum: 12 } };
    expect(calls).toEqual([
      { step: 'find', action: 'conversation.find-by-id', params: { id: 'conv-1' }, attempt: 1 },
      { step: 'update', action: 'customer.update', params: updateParams, attempt: 1 },
    ]);
    expect(state.steps.map(timeless)).toEqual([
      trigger(data, 'find'),
      {
        id: 'find',
        action: 'conversation.find-by-id',
        status: 'completed',
        input: { id: 'conv-1' },
        output: { id: 'conv-1', customer: 'cus-9', name: 'ada', tags: ['a', 'b'] },
        error: null,
        next: 'update',
      },
      {
        id: 'update',
        action: 'customer.update',
        status: 'completed',
        input: updateParams,
        output: { id: 'cus-9', name: 'ADA (b)' },
        error: null,
        next: null,
      },
    ]);
  });

  it('passes through a step without an action (a branch node) without calling anything', async () => {
    const data = { n: 5 };
    const { state, calls } = await t.run(
      [
        {
          id: 'branch',
          transitions: [
            { target: 'small', condition: { op: 'lt', values: ['/#steps.1.n', 3] } },
            { target: 'big', condition: { op: 'gte', values: ['/#steps.1.n', '3'] } },
          ],
        },
        { id: 'small', action: 'note.create', params: { body: 'small' } },
        { id: 'big', action: 'note.create', params: { body: 'big {{steps.1.n}}' } },
      ],
      data,
      { 'note.create': returns({ id: 'note-1' }) },
    );
    expect(state.steps.map(timeless)).toEqual([
      trigger(data, 'branch'),
      { id: 'branch', action: null, status: 'completed', input: null, output: null, error: null, next: 'big' },
      {
        id: 'big',
        action: 'note.create',
        status: 'completed',
        input: { body: 'big 5' },
        output: { id: 'note-1' },
        error: null,
        next: null,
      },
    ]);
    expect(calls).toEqual([{ step: 'big', action: 'note.create', params: { body: 'big 5' }, attempt: 1 }]);
  });

  it('evaluates `regex` conditions through the regexTest activity, numbers stringified', async () => {
    const data = { subject: 'Order #4521', code: 42 };
    const { state, regexCalls } = await t.run(
      [
        {
          id: 'branch',
          transitions: [
            { target: 'never', condition: { op: 'regex', values: ['/#steps.1.code', '^4$'] } },
            { target: 'order', condition: { op: 'regex', values: ['/#steps.1.subject', '^Order #[0-9]+$'] } },
          ],
        },
        { id: 'never', action: 'note.create', params: { body: 'never' } },
        { id: 'order', action: 'note.create', params: { body: 'order' } },
      ],
      data,
      { 'note.create': returns({ id: 'note-1' }) },
    );
    expect(regexCalls).toEqual([
      ['^4$', '42'],
      ['^Order #[0-9]+$', 'Order #4521'],
    ]);
    expect(statuses(state)).toEqual(['1:completed', 'branch:completed', 'order:completed']);
    expect(state.steps[1]?.next).toBe('order');
  });
});

describe('interpreter: errors', () => {
  const notFound = fails('conversation "x" was not found', 'not_found');

  it('follows the first error case that matches, with the error readable in later steps', async () => {
    const data = { conversation: 'x' };
    const { state, calls } = await t.run(
      [
        {
          id: 'bad',
          action: 'conversation.update',
          params: { id: '/#steps.1.conversation', status: 'done' },
          transitions: [{ target: 'never' }],
          errorCases: [
            { target: 'never', condition: { op: 'eq', values: ['/#error.code', 'timeout'] } },
            { target: 'flag', condition: { op: 'eq', values: ['/#error.code', 'not_found'] } },
            { target: 'never' },
          ],
        },
        { id: 'never', action: 'note.create', params: { body: 'never' } },
        { id: 'flag', action: 'note.create', params: { body: '{{error.code}}: {{{error.message}}}' } },
      ],
      data,
      { 'conversation.update': notFound, 'note.create': returns({ id: 'note-1' }) },
    );
    const error = { code: 'not_found', message: 'conversation "x" was not found' };
    expect(state.steps.map(timeless)).toEqual([
      trigger(data, 'bad'),
      {
        id: 'bad',
        action: 'conversation.update',
        status: 'failed',
        input: { id: 'x', status: 'done' },
        output: null,
        error,
        next: 'flag',
      },
      {
        id: 'flag',
        action: 'note.create',
        status: 'completed',
        input: { body: 'not_found: conversation "x" was not found' },
        output: { id: 'note-1' },
        error: null,
        next: null,
      },
    ]);
    // Non-retryable: one attempt.
    expect(calls.map((c) => `${c.step}#${c.attempt}`)).toEqual(['bad#1', 'flag#1']);
  });

  it('fails the run with the step error when no error case matches', async () => {
    const { failure, state, calls } = await t.runFailing(
      [
        {
          id: 'bad',
          action: 'conversation.update',
          params: { id: 'x' },
          errorCases: [{ target: 'other', condition: { op: 'eq', values: ['/#error.code', 'timeout'] } }],
        },
        { id: 'other', action: 'note.create', params: { body: 'never' } },
      ],
      {},
      { 'conversation.update': notFound },
    );
    expect(failure.message).toBe('step "bad" (conversation.update) failed: conversation "x" was not found');
    expect(failure.type).toBe('not_found');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ step: 'bad' }]);
    expect(state.steps.map(timeless)).toEqual([
      trigger({}, 'bad'),
      {
        id: 'bad',
        action: 'conversation.update',
        status: 'failed',
        input: { id: 'x' },
        output: null,
        error: { code: 'not_found', message: 'conversation "x" was not found' },
        next: null,
      },
    ]);
    expect(state.steps[1]?.finishedAt).not.toBeNull();
    expect(calls).toHaveLength(1);
  });

  it.each([
    {
      name: 'an unknown action',
      step: { id: 'bad', action: 'nosuch.action', params: {} },
      error: { code: 'invalid_definition', message: 'unknown action "nosuch.action"' },
    },
    {
      // Save-time checks refuse unknown helpers; a definition that skipped them fails here.
      name: 'params whose template cannot render',
      step: { id: 'bad', action: 'note.create', params: { body: '{{shout steps.1.n}}' } },
      error: {
        code: 'invalid_params',
        message: 'params could not be resolved: template error: Missing helper: "shout"',
      },
    },
  ])('fails a step with $name in workflow code, without calling an activity', async ({ step, error }) => {
    const { failure, state, calls } = await t.runFailing([step], { n: 1 }, { 'note.create': returns({}) });
    expect(failure.type).toBe(error.code);
    expect(state.steps[1]).toMatchObject({ id: 'bad', status: 'failed', input: null, error, next: null });
    expect(calls).toEqual([]);
  });
});

describe('interpreter: retries', () => {
  it('retries a retryable failure per the step `retry`, then continues with the output', async () => {
    const data = { id: 'conv-1' };
    const { state, calls } = await t.run(
      [
        {
          id: 'tag',
          action: 'conversation.append-tags',
          params: { id: '/#steps.1.id', tags: ['x'] },
          retry: { maximumAttempts: 3, initialInterval: 1 },
        },
      ],
      data,
      { 'conversation.append-tags': flaky(2, 'busy', { id: 'conv-1', tags: ['x'] }) },
    );
    const params = { id: 'conv-1', tags: ['x'] };
    expect(calls).toEqual(
      [1, 2, 3].map((attempt) => ({ step: 'tag', action: 'conversation.append-tags', params, attempt })),
    );
    expect(state.steps.map(timeless)).toEqual([
      trigger(data, 'tag'),
      {
        id: 'tag',
        action: 'conversation.append-tags',
        status: 'completed',
        input: params,
        output: { id: 'conv-1', tags: ['x'] },
        error: null,
        next: null,
      },
    ]);
  });

  it('fails the step with the last error once the attempts are spent', async () => {
    const { failure, state, calls } = await t.runFailing(
      [
        {
          id: 'tag',
          action: 'conversation.append-tags',
          params: {},
          retry: { maximumAttempts: 2, initialInterval: 1 },
        },
      ],
      {},
      { 'conversation.append-tags': flaky(5, 'busy', {}) },
    );
    expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(failure.type).toBe('busy');
    expect(state.steps[1]).toMatchObject({ status: 'failed', error: { code: 'busy', message: 'attempt 2 failed' } });
  });

  it('does not retry the error types the retry policy names as final (not_found)', async () => {
    const { calls, state } = await t.runFailing(
      [
        {
          id: 'tag',
          action: 'conversation.append-tags',
          params: {},
          retry: { maximumAttempts: 5, initialInterval: 1 },
        },
      ],
      {},
      { 'conversation.append-tags': flaky(5, 'not_found', {}) },
    );
    expect(calls.map((c) => c.attempt)).toEqual([1]);
    expect(state.steps[1]?.error).toEqual({ code: 'not_found', message: 'attempt 1 failed' });
  });

  it('skips a one-hour retry backoff on the time-skipping server', async () => {
    const realStart = Date.now();
    const { state, calls } = await t.run(
      [
        {
          id: 'tag',
          action: 'conversation.append-tags',
          params: {},
          retry: { maximumAttempts: 2, initialInterval: '1h', maximumInterval: '1h' },
        },
      ],
      {},
      { 'conversation.append-tags': flaky(1, 'busy', { ok: true }) },
    );
    expect(Date.now() - realStart).toBeLessThan(10_000);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
    const step = state.steps[1];
    expect(step?.status).toBe('completed');
    // Workflow time (the step's timestamps) moved on by the backoff.
    expect(Date.parse(step?.finishedAt ?? '') - Date.parse(step?.startedAt ?? '')).toBeGreaterThanOrEqual(3_600_000);
  });

  // Temporal refuses a retry policy whose maximum interval is below its initial interval; a step's
  // initialInterval above the configured maximum (50 ms here) must raise the maximum, not hang the run
  // on a workflow task that fails on every attempt (as it did).
  it('runs a step whose retry.initialInterval is above the configured maximumInterval', async () => {
    const { handle } = await t.start(
      [{ id: 'tag', action: 'conversation.append-tags', params: {}, retry: { initialInterval: '1s' } }],
      {},
      { 'conversation.append-tags': returns({}) },
    );
    try {
      expect(await firstOutcome(handle)).toBe('completed');
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
});

describe('interpreter: conditions that cannot be evaluated', () => {
  it('fails the run with invalid_condition when a regex pattern from the event is invalid', async () => {
    const { failure, state, regexCalls } = await t.runFailing(
      [
        {
          id: 'branch',
          transitions: [
            { target: 'next', condition: { op: 'exists', values: ['/#steps.1.nothing'] } },
            { target: 'next', condition: { op: 'regex', values: ['/#steps.1.subject', '/#steps.1.pattern'] } },
          ],
        },
        { id: 'next', action: 'note.create', params: { body: 'never' } },
      ],
      { subject: 'Order #1', pattern: '(' },
    );
    expect(failure.type).toBe('invalid_condition');
    expect(failure.nonRetryable).toBe(true);
    // The reason is the failure's own message (a local activity's failure reaches workflow code unwrapped).
    expect(failure.message).toBe(
      'condition 1 could not be evaluated: Invalid regular expression: /(/: Unterminated group',
    );
    // invalid_regex is non-retryable: one call, no retries of the local activity.
    expect(regexCalls).toEqual([['(', 'Order #1']]);
    expect(statuses(state)).toEqual(['1:completed', 'branch:completed']);
    expect(state.steps[1]?.next).toBeNull();
  });

  it('fails the run with invalid_condition when a condition template passes a render limit on the data', async () => {
    // Valid at save time; 400 x 400 iterations pass MAX_TEMPLATE_ITERATIONS only on this event.
    const data = { items: Array.from({ length: 400 }, (_, i) => i) };
    const { failure, state, calls } = await t.runFailing(
      [
        {
          id: 'tag',
          action: 'conversation.append-tags',
          params: { id: 'conv-1', tags: ['x'] },
          transitions: [
            {
              target: 'next',
              condition: {
                op: 'eq',
                values: ['{{#each steps.1.items}}{{#each @root.steps.1.items}}{{/each}}{{/each}}', ''],
              },
            },
          ],
        },
        { id: 'next', action: 'note.create', params: { body: 'never' } },
      ],
      data,
      { 'conversation.append-tags': returns({ id: 'conv-1' }) },
    );
    expect(failure.type).toBe('invalid_condition');
    expect(failure.message).toMatch(/^condition 0 could not be evaluated: template error: .*iterations/);
    expect(calls.map((c) => c.step)).toEqual(['tag']);
    expect(state.steps[1]).toMatchObject({ id: 'tag', status: 'completed', output: { id: 'conv-1' }, next: null });
  });

  // A step whose transitions cannot be evaluated ends the run: it gets its `finishedAt` like a step
  // that fails without a matching error case (it kept null before).
  it('sets finishedAt on the step whose condition failed the run', async () => {
    const { state } = await t.runFailing(
      [{ id: 'branch', transitions: [{ target: 'branch', condition: { op: 'regex', values: ['x', '('] } }] }],
      {},
    );
    expect(state.steps[1]?.finishedAt).not.toBeNull();
  });
});

describe('interpreter: cancellation and runState', () => {
  it('shows the running step, then ends canceled when the run is canceled in a slow action', async () => {
    let entered!: () => void;
    const blocked = new Promise<void>((resolve) => (entered = resolve));
    const data = { id: 'conv-1' };
    const { handle, script } = await t.start(
      [
        {
          id: 'slow',
          action: 'conversation.update',
          params: { id: '/#steps.1.id' },
          transitions: [{ target: 'after' }],
        },
        { id: 'after', action: 'note.create', params: { body: 'never' } },
      ],
      data,
      {
        'conversation.update': async () => {
          entered();
          // Waits until the run is canceled (a real action would be waiting on a lock or the database).
          await Context.current().cancelled;
          return {};
        },
      },
      // A local activity holds its workflow task: a query or a cancellation reaches the run when the
      // worker heartbeats the task, at 80% of its timeout (8 s by default, here 0.8 s).
      { workflowTaskTimeout: '1s' },
    );
    await blocked;
    const during = await handle.query(runStateQuery);
    expect(during.steps.map(timeless)).toEqual([
      trigger(data, 'slow'),
      {
        id: 'slow',
        action: 'conversation.update',
        status: 'running',
        input: { id: 'conv-1' },
        output: null,
        error: null,
        next: null,
      },
    ]);
    expect(during.steps[1]?.finishedAt).toBeNull();
    await handle.cancel();
    expect(await failureCause(handle)).toBeInstanceOf(CancelledFailure);
    const after = await handle.query(runStateQuery);
    expect(after.steps.map(timeless)).toEqual([
      trigger(data, 'slow'),
      {
        id: 'slow',
        action: 'conversation.update',
        status: 'canceled',
        input: { id: 'conv-1' },
        output: null,
        error: null,
        next: null,
      },
    ]);
    expect(after.steps[1]?.finishedAt).not.toBeNull();
    expect(script.calls.map((c) => c.step)).toEqual(['slow']);
  });
});
