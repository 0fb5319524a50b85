import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { z } from 'zod';
import { expect } from 'vitest';
import { ACTION_NAMES, type ActionName } from '../../src/core/action-names';
import { DefinitionSchema, type Definition } from '../../src/core/definition.schema';
import { waitActivities } from '../../src/activities/waits.activities';
import type { JsonObject } from '../../src/core/json';
import type { Activities } from '../../src/activities';
import { interpreter } from '../../src/workflows';
import { runStateQuery } from '../../src/workflows/interpreter.messages';
import type { RunInput, RunState } from '../../src/workflows/run.types';
import { createTimeSkippingEnv, workflowBundle } from './servers';

/**
 * The interpreter workflow on Temporal's time-skipping test server, with stub activities instead of
 * the CRM actions: no database, one JVM and one workflow bundle per test file.
 */

const TASK_QUEUE = 'interpreter-test';

/** What a stub action does with the resolved params: return an output or throw. */
export type Stub = (params: JsonObject, attempt: number) => JsonObject | Promise<JsonObject>;
export type Stubs = Partial<Record<ActionName, Stub>>;

export interface Call {
  step: string;
  action: string;
  params: JsonObject;
  attempt: number;
}

/** A `registerWait` or `removeWait` call of a `wait-for-event` step. */
export interface WaitCall {
  op: 'register' | 'remove';
  stepId: string;
  eventName?: string;
  key?: string;
}

/** One run's stubs and what its activities were called with. */
export interface Script {
  stubs: Stubs;
  calls: Call[];
  regexCalls: [pattern: string, input: string][];
  waits: WaitCall[];
  /** Callable definitions a `workflow.call` step finds (by id; enabled, at rev 1). */
  callables: Record<string, Definition>;
}

export const returns =
  (output: JsonObject): Stub =>
  () =>
    output;

export const fails =
  (message: string, code: string): Stub =>
  () => {
    throw ApplicationFailure.nonRetryable(message, code);
  };

/** Fails retryably (with `code`) on the first `times` attempts, then returns `output`. */
export const flaky =
  (times: number, code: string, output: JsonObject): Stub =>
  (_params, attempt) => {
    if (attempt <= times) throw ApplicationFailure.retryable(`attempt ${attempt} failed`, code);
    return output;
  };

export type StepInput = NonNullable<z.input<typeof DefinitionSchema>['steps']>[number];

/** Small intervals: local activities back off in the worker, in real time, below one minute. */
export const RETRY_DEFAULTS: RunInput['retry'] = {
  maximumAttempts: 3,
  initialIntervalMs: 10,
  maximumIntervalMs: 50,
  backoffCoefficient: 2,
  startToCloseTimeoutMs: 10_000,
};

export interface InterpreterEnv {
  /** Starts a run of `steps` from the first of them (the trigger's target) on event `data`. */
  start(
    steps: StepInput[],
    data: JsonObject,
    stubs?: Stubs,
    options?: { workflowTaskTimeout?: string; callables?: Record<string, Definition>; response?: JsonObject },
  ): Promise<{ handle: WorkflowHandle<typeof interpreter>; script: Script }>;
  /** Starts a run and waits for it to complete. */
  run(steps: StepInput[], data: JsonObject, stubs?: Stubs): Promise<{ state: RunState } & Script>;
  /** Starts a run that must fail, and returns its failure and its final step states. */
  runFailing(
    steps: StepInput[],
    data: JsonObject,
    stubs?: Stubs,
  ): Promise<{ failure: ApplicationFailure; state: RunState } & Script>;
  close(): Promise<void>;
}

/** Stub activities, found by the run's Temporal workflow id; they read only `stepId`, `action` and `params`. */
function stubActivities(scripts: Map<string, Script>): Activities {
  const scriptOf = (): Script => {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    // A child run of a `workflow.call` step (`<definition>-<event>-call-<step>`) uses its parent's script.
    // Nested calls repeat the pattern: the run whose event the id holds is found by its `<definition>-<event>`.
    const script = scripts.get(workflowId) ?? [...scripts].find(([key]) => workflowId.includes(`${key}-call-`))?.[1];
    if (!script) throw new Error(`no script for ${workflowId}`);
    return script;
  };
  const actions = {} as Record<ActionName, Activities[ActionName]>;
  for (const name of ACTION_NAMES) {
    actions[name] = async ({ stepId, action, params }) => {
      const script = scriptOf();
      const { attempt } = Context.current().info;
      script.calls.push({ step: stepId, action, params, attempt });
      const stub = script.stubs[name];
      if (!stub) throw ApplicationFailure.nonRetryable(`no stub for ${name}`, 'no_stub');
      return stub(params, attempt);
    };
  }
  return {
    ...actions,
    registerWait: async ({ stepId, eventName, key }) => {
      scriptOf().waits.push({ op: 'register', stepId, eventName, key });
    },
    removeWait: async ({ stepId }) => {
      scriptOf().waits.push({ op: 'remove', stepId });
    },
    // The real check (ajv, no database).
    checkOutputs: waitActivities().checkOutputs,
    callableRun: async ({ workflowId }) => {
      const definition = scriptOf().callables[workflowId];
      if (!definition) throw ApplicationFailure.nonRetryable(`workflow "${workflowId}" was not found`, 'not_found');
      return { id: workflowId, name: definition.name, rev: 1, definition };
    },
    // JavaScript's RegExp instead of RE2: the tests' patterns mean the same in both.
    regexTest: async (pattern, input) => {
      scriptOf().regexCalls.push([pattern, input]);
      try {
        return new RegExp(pattern).test(input);
      } catch (error) {
        throw ApplicationFailure.nonRetryable((error as Error).message, 'invalid_regex');
      }
    },
  };
}

/** The test server, the bundle (built in parallel) and one running worker; call once per file. */
export async function startInterpreterEnv(): Promise<InterpreterEnv> {
  // Workflow `log.warn`s for failing steps are expected, and the core warns once about capabilities
  // the test server lacks: keep the SDK to errors.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const env = await createTimeSkippingEnv();
  const scripts = new Map<string, Script>();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: workflowBundle(),
    activities: stubActivities(scripts),
  }).catch(async (error: unknown) => {
    await env.teardown();
    throw error;
  });
  const running = worker.run();
  let runs = 0;

  const start: InterpreterEnv['start'] = async (
    steps,
    data,
    stubs = {},
    { callables = {}, response, ...options } = {},
  ) => {
    const firstStep = steps[0]?.id ?? 'none';
    const definition = DefinitionSchema.parse({
      name: 'test',
      trigger: { eventName: 'test.event', transitions: [{ target: firstStep }] },
      steps,
      response,
    });
    const workflowId = `run-${++runs}`;
    const script: Script = { stubs, calls: [], regexCalls: [], waits: [], callables };
    scripts.set(workflowId, script);
    scripts.set(`wf-1-event-${runs}`, script); // the prefix of its `workflow.call` children's ids
    const input: RunInput = {
      org: 'org-1',
      workflow: { id: 'wf-1', name: definition.name, rev: 1, definition },
      event: { id: `event-${runs}`, name: 'test.event', data, depth: 0 },
      firstStep,
      retry: RETRY_DEFAULTS,
    };
    const handle = await env.client.workflow.start(interpreter, {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [input],
      ...options,
    });
    return { handle, script };
  };

  return {
    start,
    async run(steps, data, stubs) {
      const { handle, script } = await start(steps, data, stubs);
      return { state: await handle.result(), ...script };
    },
    async runFailing(steps, data, stubs) {
      const { handle, script } = await start(steps, data, stubs);
      const cause = await failureCause(handle);
      expect(cause).toBeInstanceOf(ApplicationFailure);
      return { failure: cause as ApplicationFailure, state: await handle.query(runStateQuery), ...script };
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** The cause of the run's failure, once it has ended; a run that completes fails the test. */
export async function failureCause(handle: WorkflowHandle): Promise<unknown> {
  const error = await handle.result().then(
    () => expect.unreachable('the run completed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause;
}

/** 'completed', or the failure of the run's first failed workflow task, read from its history. */
export async function firstOutcome(handle: WorkflowHandle): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { events } = await handle.fetchHistory();
    for (const event of events ?? []) {
      const taskFailure = event.workflowTaskFailedEventAttributes?.failure;
      if (taskFailure) return `workflow task failed: ${taskFailure.message}`;
      if (event.workflowExecutionCompletedEventAttributes) return 'completed';
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return 'neither after 5 s';
}
