import type { Definition, StepRetry } from '../core/definition.schema';
import type { JsonObject, JsonValue } from '../core/json';

/** Defaults for activity retries, from configuration; a step's `retry` overrides them field by field. */
export interface RetryDefaults {
  maximumAttempts: number;
  initialIntervalMs: number;
  maximumIntervalMs: number;
  backoffCoefficient: number;
  startToCloseTimeoutMs: number;
}

/**
 * What a run starts from: an immutable snapshot of the definition revision and the event that
 * triggered it. Editing the definition afterwards never changes a run in flight.
 *
 * A wire format: it is stored in the Temporal history of every run and read again on replay, so its
 * keys are never renamed. `workflow` (the public API's name for a definition) stays as it is: renaming
 * it would need a reader that accepts both shapes for as long as any old run can replay, for no gain.
 */
export interface RunInput {
  org: string;
  /** The definition revision the run executes (`id` is the definition id; the key keeps its public name). */
  workflow: { id: string; name: string; rev: number; definition: Definition };
  event: { id: string; name: string; data: JsonObject; depth: number };
  /** The target of the trigger transition whose condition held (evaluated at dispatch). */
  firstStep: string;
  retry: RetryDefaults;
  /**
   * Runs started by `app.scheduler.schedule-workflow`: the chain's first run (`root`), how many scheduled
   * runs led here (`depth`), and the `run:step` that scheduled this one. Optional: older histories lack it.
   */
  chain?: RunChain;
}

export interface RunChain {
  root: string;
  depth: number;
  scheduledBy?: string;
}

export const STEP_STATUSES = ['running', 'completed', 'failed', 'canceled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepError {
  message: string;
  code: string;
}

export interface StepState {
  id: string;
  action: string | null;
  status: StepStatus;
  input: JsonValue | null;
  output: JsonValue | null;
  error: StepError | null;
  /** The step the run went to next (through a transition or an error case), or null when the branch ended here. */
  next: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** What a run is waiting for (a `delay` or `wait-for-event` step), while it waits. */
export interface RunWaiting {
  step: string;
  kind: 'delay' | 'event';
  /** When the wait ends at the latest (ISO time, Temporal's clock). */
  until: string;
  /** `event` waits: the canonical event name and the record key it waits for. */
  eventName?: string;
  key?: string;
}

export interface RunState {
  steps: StepState[];
  /** Set by `workflow.respond` steps: the run's outputs (what a call of a callable workflow answers). */
  outputs?: JsonObject;
  /** Present only while the run waits in a `delay` or `wait-for-event` step. */
  waiting?: RunWaiting;
}

/** The definition revision a `workflow.call` step runs as a child run (see RunInput.workflow). */
export type CallableRun = RunInput['workflow'];

/** An event delivered to a waiting run (the `event` signal): the event's id, canonical name and data. */
export interface WaitEvent {
  id: string;
  name: string;
  data: JsonObject;
}

/**
 * What an action activity receives: already-resolved params plus what it needs for idempotency.
 * A wire format (stored in histories, in flight across deploys): the activity boundary also accepts
 * `LegacyActionInput`, the shape workers scheduled before these fields were renamed.
 */
export interface ActionInput {
  org: string;
  /** The run's Temporal workflow id (deterministic per org, definition, rev and event): the run's id. */
  temporalWorkflowId: string;
  /** The id of the definition the run executes. */
  definitionId: string;
  stepId: string;
  action: string;
  params: JsonObject;
  /** Depth of the event that started the run: events this step causes get depth + 1. */
  depth: number;
  /** The run's chain of scheduled runs (see RunInput.chain); absent for a run no schedule started. */
  chain?: RunChain;
  /**
   * The variables the params name (`{{{variables.<id or name>}}}`), each with the marker it rendered as in
   * `params`; the activity puts the values in (src/activities/variables.ts). Absent when none is named.
   */
  variables?: Record<string, string>;
}

/**
 * `ActionInput` as workers before the rename scheduled it: `runId` was the Temporal workflow id, `workflowId`
 * the definition id.
 */
export type LegacyActionInput = Omit<ActionInput, 'temporalWorkflowId' | 'definitionId'> & {
  runId: string;
  workflowId: string;
};

export type { StepRetry };
