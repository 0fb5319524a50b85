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
 * What a run starts from: an immutable snapshot of the workflow revision and the event that
 * triggered it. Editing the workflow afterwards never changes a run in flight.
 */
export interface RunInput {
  org: string;
  workflow: { id: string; name: string; rev: number; definition: Definition };
  event: { id: string; name: string; data: JsonObject; depth: number };
  /** The target of the trigger transition whose condition held (evaluated at dispatch). */
  firstStep: string;
  retry: RetryDefaults;
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

export interface RunState {
  steps: StepState[];
}

/** What an action activity receives: already-resolved params plus what it needs for idempotency. */
export interface ActionInput {
  org: string;
  /** The Temporal workflow id of the run (deterministic per org, workflow, rev and event). */
  runId: string;
  workflowId: string;
  stepId: string;
  action: string;
  params: JsonObject;
  /** Depth of the event that started the run: events this step causes get depth + 1. */
  depth: number;
}

export type { StepRetry };
