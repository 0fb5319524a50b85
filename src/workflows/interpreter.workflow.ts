import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { lookupAction, NETWORK_ACTIONS, type ActionName } from '../core/action-names';
import { lookupBuiltin } from '../core/builtin-names';
import { evaluateCondition } from '../core/conditions';
import type { EvalContext } from '../core/context';
import type { Step, Transition } from '../core/definition.schema';
import type { JsonObject } from '../core/json';
import { referencedVariables, resolveParams } from '../core/references';
import type { Activities } from '../activities';
import { EventInbox, runBuiltin, StepFailure, type BuiltinRun } from './builtins';
import { eventSignal, runStateQuery } from './interpreter.messages';
import { actionOptions } from './retry';
import type { ActionInput, LegacyActionInput, RunInput, RunState, StepError, StepState } from './run.types';

const { regexTest } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/** Patch id: CRM actions run as local activities (before it: regular activities). */
export const LOCAL_CRM_ACTIONS = 'crm-actions-as-local-activities';

/** Patch id: `variables.<ref>` in action params renders a marker the activity resolves (before it: empty). */
export const VARIABLE_MARKERS = 'variables-as-markers';

const nowIso = (): string => new Date().toISOString();

/**
 * The one interpreter (the Temporal workflow type `interpreter`; one Temporal workflow per run): walks the
 * step graph of the run's definition revision from the trigger's chosen target.
 * Conditions, references and templates are evaluated here (pure and deterministic: the clock is
 * Temporal's); each action runs as an activity; `regex` conditions run in a local activity because
 * RE2 is native. Transitions are tried in order and the first that holds is followed; none ends the
 * branch. A failed step follows its first matching error case, or fails the run. Built-in steps (delay,
 * wait-for-event, workflow.respond, workflow.call: builtins.ts) run here on timers, signals and child runs.
 */
export async function interpreter(input: RunInput): Promise<RunState> {
  const { definition } = input.workflow;
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  const state: RunState = { steps: [] };
  setHandler(runStateQuery, () => state);
  // Events for `wait-for-event` steps; kept only while one waits. Installing a handler adds no command:
  // runs recorded before it replay unchanged.
  const inbox = new EventInbox();
  setHandler(eventSignal, (event) => inbox.receive(event));

  const started = nowIso();
  state.steps.push({
    id: '1',
    action: definition.trigger.eventName,
    status: 'completed',
    input: null,
    output: input.event.data,
    error: null,
    next: input.firstStep,
    startedAt: started,
    finishedAt: started,
  });
  const ctx: EvalContext = { steps: { '1': input.event.data }, now: Date.now() };

  const choose = async (transitions: Transition[]): Promise<string | null> => {
    ctx.now = Date.now();
    for (const [i, transition] of transitions.entries()) {
      let holds: boolean;
      try {
        holds = await evaluateCondition(transition.condition, ctx, regexTest);
      } catch (error) {
        if (isCancellation(error)) throw error;
        // A condition that cannot be evaluated (bad regex, broken template) is the author's error:
        // fail the run with a reason instead of retrying the workflow task forever.
        // A regexTest failure arrives as the local activity's ApplicationFailure (or, from a regular
        // activity, wrapped in an ActivityFailure); a template error is a plain Error.
        const reason =
          error instanceof ActivityFailure
            ? (error.cause?.message ?? error.message)
            : error instanceof Error
              ? error.message
              : String(error);
        throw ApplicationFailure.nonRetryable(`condition ${i} could not be evaluated: ${reason}`, 'invalid_condition');
      }
      if (holds) return transition.target;
    }
    return null;
  };

  let current: string | null = input.firstStep;
  while (current !== null) {
    const step = steps.get(current);
    if (!step) throw ApplicationFailure.nonRetryable(`step "${current}" does not exist`, 'invalid_definition');
    const record: StepState = {
      id: step.id,
      action: step.action ?? null,
      status: 'running',
      input: null,
      output: null,
      error: null,
      next: null,
      startedAt: nowIso(),
      finishedAt: null,
    };
    state.steps.push(record);
    try {
      current = await runStep({ input, step, record, ctx, state, inbox }, choose);
    } finally {
      // Also when the step ends the run (a condition that cannot be evaluated, no matching error case).
      record.finishedAt ??= nowIso();
    }
    record.next = current;
  }
  return state;
}

async function runStep(
  run: BuiltinRun,
  choose: (transitions: Transition[]) => Promise<string | null>,
): Promise<string | null> {
  const { input, step, record, ctx } = run;
  if (step.action === undefined) {
    record.status = 'completed';
    return choose(step.transitions);
  }
  try {
    // Built-in steps (delay, wait-for-event, workflow.respond, workflow.call) are new step kinds: no
    // recorded run has one, so this path needs no patch.
    const builtin = lookupBuiltin(step.action);
    const output = builtin ? await runBuiltin(builtin, run) : await runAction(input, step, record, ctx);
    record.output = output;
    record.status = 'completed';
    ctx.steps[step.id] = output;
  } catch (error) {
    if (isCancellation(error)) {
      record.status = 'canceled';
      record.finishedAt = nowIso();
      throw error;
    }
    const stepError = toStepError(error);
    record.status = 'failed';
    record.error = stepError;
    ctx.error = stepError;
    log.warn('step failed', { stepId: step.id, action: step.action, code: stepError.code });
    const next = await choose(step.errorCases);
    if (next === null) {
      record.finishedAt = nowIso();
      throw ApplicationFailure.nonRetryable(
        `step "${step.id}" (${step.action}) failed: ${stepError.message}`,
        stepError.code,
        { step: step.id },
      );
    }
    return next;
  }
  return choose(step.transitions);
}

async function runAction(input: RunInput, step: Step, record: StepState, ctx: EvalContext): Promise<JsonObject> {
  const action = lookupAction(step.action ?? '');
  if (!action) throw new StepFailure(`unknown action "${step.action}"`, 'invalid_definition');
  ctx.now = Date.now();
  const variables = variableMarkers(step);
  let params: JsonObject;
  try {
    params = resolveParams(step.params ?? {}, variables ? { ...ctx, variables } : ctx);
  } catch (error) {
    throw new StepFailure(`params could not be resolved: ${(error as Error).message}`, 'invalid_params');
  }
  record.input = params;
  const options = actionOptions(input.retry, step.retry, stepSummary(step, action));
  // CRM actions are short reads and writes against the local database, idempotent through their stored
  // plans: as local activities they run inside the workflow task, without a round trip through the
  // server's task queues per step (see README, "Performance"). Runs started before this change keep the
  // activities they were recorded with.
  // Actions that call other servers (REST steps) run as regular activities: no recorded run has one, so
  // choosing by action changes nothing for histories recorded before they existed.
  const local = !NETWORK_ACTIONS.has(action) && patched(LOCAL_CRM_ACTIONS);
  const activities = local ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>(options);
  const actionInput: ActionInput = {
    org: input.org,
    // The run's Temporal workflow id: derived from (org, definition, rev, event), never random.
    // These two keys were `runId` and `workflowId`: replay compares an activity's type, not its input,
    // so recorded runs replay unpatched; activities scheduled in the old shape are read by
    // `currentActionInput` in the worker.
    temporalWorkflowId: workflowInfo().workflowId,
    definitionId: input.workflow.id,
    stepId: step.id,
    action,
    params,
    depth: input.event.depth,
    ...(input.chain ? { chain: input.chain } : {}),
    ...(variables ? { variables } : {}),
  };
  if (local || NETWORK_ACTIONS.has(action)) return activities[action](actionInput);
  // A regular activity (a run from before the local-activity patch) may be picked up by any worker of the
  // task queue, during a rolling deploy one from before the rename too: it carries the old keys as well.
  const withLegacyKeys: ActionInput & Pick<LegacyActionInput, 'runId' | 'workflowId'> = {
    ...actionInput,
    runId: actionInput.temporalWorkflowId,
    workflowId: actionInput.definitionId,
  };
  return activities[action](withLegacyKeys);
}

/**
 * The markers `variables.<ref>` renders as in this step's params, or undefined when the params name no
 * variable (or the run was recorded before variables rendered as markers: they rendered empty then, and a
 * replay must resolve the same params). A marker carries a random part from the workflow's seeded random
 * (the same on replay), so no text from an event or an earlier step can pass for one; the activity puts the
 * values in, so they never enter the history.
 */
function variableMarkers(step: Step): Record<string, string> | undefined {
  const refs = referencedVariables(step.params ?? {});
  if (refs.length === 0 || !patched(VARIABLE_MARKERS)) return undefined;
  const nonce = uuid4().replaceAll('-', '').slice(0, 16);
  return Object.fromEntries(refs.map((ref) => [ref, `⟨variables.${ref}:${nonce}⟩`]));
}

function toStepError(error: unknown): StepError {
  if (error instanceof StepFailure) return { message: error.message, code: error.code };
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) return { message: cause.message, code: cause.type ?? 'error' };
    if (cause instanceof TimeoutFailure) return { message: `timed out (${cause.timeoutType})`, code: 'timeout' };
    return { message: cause?.message ?? error.message, code: 'error' };
  }
  if (error instanceof ApplicationFailure) return { message: error.message, code: error.type ?? 'error' };
  // Anything else is a bug in workflow code: rethrow so Temporal retries the task instead of
  // recording a wrong outcome.
  throw error;
}

function stepSummary(step: Step, action: ActionName): string {
  const name = step.meta?.displayName;
  return typeof name === 'string' && name !== '' ? `${step.id}: ${name}` : `${step.id}: ${action}`;
}
