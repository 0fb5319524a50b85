import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { BuiltinStep } from '../core/builtin-names';
import { evaluateCondition } from '../core/conditions';
import type { EvalContext } from '../core/context';
import type { Condition, Step } from '../core/definition.schema';
import { MAX_WAIT_MS, parseDuration } from '../core/durations';
import { isPlainObject, type JsonObject, type JsonValue } from '../core/json';
import { callableEventName, canonicalName } from '../core/names';
import { resolveParams } from '../core/references';
import type { Activities } from '../activities';
import type { RunInput, RunState, StepState, WaitEvent } from './run.types';
import { runVisibility, SA_ORG } from './search-attributes';

/**
 * The steps the interpreter runs itself (core/builtin-names.ts): `delay` and `wait-for-event` wait on
 * Temporal timers and signals (durable, nothing runs while they wait), `workflow.respond` sets the run's
 * outputs, `workflow.call` runs a callable definition as a child run. Their params are resolved like an
 * action's and checked here, without zod (which costs per run in the sandbox); save-time validation
 * checks them with `BUILTIN_STEPS` already.
 */

const { registerWait, removeWait, checkOutputs, callableRun, regexTest } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/** How deep `workflow.call`s nest (counted with the run's event depth, like cascades of events). */
export const MAX_CALL_DEPTH = 8;

/** A step failure detected in workflow code (not in an activity): the interpreter routes it like an activity's. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Events signalled to the run (`eventSignal`): kept only while a `wait-for-event` step listens (events
 * before the wait are history), each event id once (dispatch delivers at least once).
 */
export class EventInbox {
  private readonly seen = new Set<string>();
  private queue: WaitEvent[] = [];
  private listening = false;

  receive(event: WaitEvent): void {
    if (!this.listening || this.seen.has(event.id)) return;
    this.seen.add(event.id);
    this.queue.push(event);
  }

  listen(): void {
    this.listening = true;
    this.queue = [];
  }

  stop(): void {
    this.listening = false;
    this.queue = [];
  }

  get pending(): boolean {
    return this.queue.length > 0;
  }

  take(): WaitEvent | undefined {
    return this.queue.shift();
  }
}

export interface BuiltinRun {
  input: RunInput;
  step: Step;
  record: StepState;
  ctx: EvalContext;
  state: RunState;
  inbox: EventInbox;
}

/** Runs a built-in step and returns its output; a failure is a StepFailure or an activity's failure. */
export async function runBuiltin(kind: BuiltinStep, run: BuiltinRun): Promise<JsonObject> {
  switch (kind) {
    case 'delay':
      return delay(run);
    case 'wait-for-event':
      return waitForEvent(run);
    case 'workflow.respond':
      return respond(run);
    case 'workflow.call':
      return call(run);
  }
}

/** The step's params resolved against the run so far, except `keep` (kept as written: evaluated later). */
function resolved(run: BuiltinRun, keep: string[] = []): JsonObject {
  const raw = run.step.params ?? {};
  const toResolve: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) if (!keep.includes(key)) toResolve[key] = value;
  run.ctx.now = Date.now();
  let params: JsonObject;
  try {
    params = resolveParams(toResolve, run.ctx);
  } catch (error) {
    throw new StepFailure(`params could not be resolved: ${(error as Error).message}`, 'invalid_params');
  }
  for (const key of keep) if (raw[key] !== undefined) params[key] = raw[key];
  run.record.input = params;
  return params;
}

function invalid(message: string): StepFailure {
  return new StepFailure(message, 'invalid_params');
}

function durationParam(value: JsonValue | undefined, name: string): number {
  const parsed = parseDuration(value);
  if ('error' in parsed) throw invalid(`${name}: ${parsed.error}`);
  return parsed.ms;
}

/** Sets `state.waiting` for the duration of `wait`. */
async function waiting<T>(run: BuiltinRun, what: NonNullable<RunState['waiting']>, wait: () => Promise<T>): Promise<T> {
  run.state.waiting = what;
  try {
    return await wait();
  } finally {
    delete run.state.waiting;
  }
}

async function delay(run: BuiltinRun): Promise<JsonObject> {
  const params = resolved(run);
  let untilMs: number;
  if (params.until !== undefined && params.until !== null) {
    if (typeof params.until !== 'string' || Number.isNaN(Date.parse(params.until))) {
      throw invalid(`until: ${JSON.stringify(params.until)} is not an ISO time`);
    }
    untilMs = Date.parse(params.until);
  } else {
    untilMs = Date.now() + durationParam(params.duration, 'duration');
  }
  const until = new Date(untilMs).toISOString();
  const ms = untilMs - Date.now();
  if (ms > MAX_WAIT_MS) throw invalid(`until: ${until} is more than a year away (a longer wait is a schedule)`);
  // A time in the past does not wait.
  if (ms > 0) await waiting(run, { step: run.step.id, kind: 'delay', until }, () => sleep(ms));
  return { until };
}

function conditionParam(value: JsonValue | undefined): Condition | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value) || typeof value.op !== 'string') throw invalid('condition: expected {"op", "values"}');
  return { op: value.op, values: Array.isArray(value.values) ? value.values : [] } as Condition;
}

/** The record ids an event is about: what a wait's key is compared with (as dispatch does). */
function eventKeys(data: JsonObject): string[] {
  return [data.id, data.conversation, data.customer].filter((k): k is string => typeof k === 'string');
}

async function waitForEvent(run: BuiltinRun): Promise<JsonObject> {
  const { step, ctx, inbox } = run;
  const params = resolved(run, ['condition']);
  if (typeof params.eventName !== 'string' || params.eventName === '') throw invalid('eventName: expected a name');
  const eventName = canonicalName(params.eventName);
  const key = params.key ?? (isPlainObject(ctx.steps['1']) ? ctx.steps['1'].id : undefined);
  if (typeof key !== 'string' || key === '') {
    throw invalid("key: expected a record id (by default the trigger record's id, /#steps.1.id)");
  }
  const when = conditionParam(params.condition);
  const timeoutMs = durationParam(params.timeout, 'timeout');
  const deadline = Date.now() + timeoutMs;
  const until = new Date(deadline).toISOString();

  const holds = async (event: WaitEvent): Promise<boolean> => {
    if (canonicalName(event.name) !== eventName || !eventKeys(event.data).includes(key)) return false;
    if (!when) return true;
    // `/#steps.<this step>` is the event's data while its condition is tested.
    const eventCtx: EvalContext = { ...ctx, steps: { ...ctx.steps, [step.id]: event.data }, now: Date.now() };
    try {
      return await evaluateCondition(when, eventCtx, regexTest);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const reason =
        error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : (error as Error).message;
      throw new StepFailure(`the condition could not be evaluated: ${reason}`, 'invalid_condition');
    }
  };

  const wait = { temporalWorkflowId: workflowInfo().workflowId, stepId: step.id };
  // Listening before the wait is stored: dispatch may signal as soon as it is.
  inbox.listen();
  try {
    await registerWait({ org: run.input.org, eventName, key, ...wait });
    const matched = await waiting(run, { step: step.id, kind: 'event', until, eventName, key }, async () => {
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return null;
        if (!(await condition(() => inbox.pending, remaining))) return null;
        const event = inbox.take();
        if (event && (await holds(event))) return event;
      }
    });
    return { timedOut: matched === null, event: matched ? { ...matched } : null };
  } finally {
    inbox.stop();
    // Also when the run is cancelled while it waits: the wait must not outlive the step.
    await CancellationScope.nonCancellable(() => removeWait(wait));
  }
}

async function respond(run: BuiltinRun): Promise<JsonObject> {
  const params = resolved(run);
  const outputs = params.outputs ?? {};
  if (!isPlainObject(outputs)) throw invalid('outputs: expected an object');
  const response = run.input.workflow.definition.response;
  const schema = isPlainObject(response) && isPlainObject(response.schema) ? response.schema : undefined;
  // ajv compiles schemas to functions, which the sandbox cannot do cheaply: an activity checks them.
  if (schema) await checkOutputs({ schema, outputs });
  run.state.outputs = outputs;
  return outputs;
}

async function call(run: BuiltinRun): Promise<JsonObject> {
  const { input, step } = run;
  const params = resolved(run);
  if (typeof params.workflowId !== 'string' || params.workflowId === '') throw invalid('workflowId: expected an id');
  const inputs = params.inputs ?? {};
  if (!isPlainObject(inputs)) throw invalid('inputs: expected an object');
  // A workflow that calls itself (directly or not) stops here instead of nesting forever.
  if (input.event.depth >= MAX_CALL_DEPTH) {
    throw new StepFailure(`calls nest at most ${MAX_CALL_DEPTH} deep`, 'cascade_limit');
  }
  const target = await callableRun({ org: input.org, workflowId: params.workflowId, inputs });
  let firstStep: string | null = null;
  for (const transition of target.definition.trigger.transitions) {
    let holds: boolean;
    try {
      holds = await evaluateCondition(transition.condition, { steps: { '1': inputs }, now: Date.now() }, regexTest);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const reason =
        error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : (error as Error).message;
      throw new StepFailure(`the trigger of workflow ${target.id} could not be evaluated: ${reason}`, 'trigger_error');
    }
    if (holds) {
      firstStep = transition.target;
      break;
    }
  }
  if (firstStep === null) {
    throw new StepFailure(
      `no trigger transition condition of workflow ${target.id} holds for these inputs`,
      'trigger_condition_false',
    );
  }
  // Derived from the run's input (definition, event) and the step, not from the parent's workflow id: a
  // replayed or retried step finds the same child, and a recorded history replays under any id.
  const childId = `${input.workflow.id}-${input.event.id}-call-${step.id}`;
  const eventName = callableEventName(target.id);
  const childInput: RunInput = {
    org: input.org,
    workflow: target,
    event: { id: childId, name: eventName, data: inputs, depth: input.event.depth + 1 },
    firstStep,
    retry: input.retry,
  };
  // Runs started through the API carry the search attributes `GET /v1/runs` filters on; so do their children.
  const searchAttributes: SearchAttributePair[] =
    workflowInfo().typedSearchAttributes.get(SA_ORG) === undefined
      ? []
      : runVisibility(childInput).typedSearchAttributes;
  try {
    const result: RunState = await executeChild('interpreter', {
      workflowId: childId,
      args: [childInput],
      typedSearchAttributes: searchAttributes,
      memo: { rev: target.rev, event: childId, workflowName: target.name, parent: workflowInfo().workflowId },
      staticSummary: `${target.name} (rev ${target.rev}) called by ${step.id}`,
    });
    return result.outputs ?? {};
  } catch (error) {
    if (isCancellation(error)) throw error;
    if (error instanceof ChildWorkflowFailure) {
      const cause = error.cause;
      if (cause instanceof ApplicationFailure) {
        throw new StepFailure(`workflow ${target.id} failed: ${cause.message}`, cause.type ?? 'call_failed');
      }
      throw new StepFailure(`workflow ${target.id} failed: ${cause?.message ?? error.message}`, 'call_failed');
    }
    throw error;
  }
}
