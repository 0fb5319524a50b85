import type { JsonObject } from '../core/json';

/** The run and step whose write caused an event: used to stop a workflow re-triggering itself. */
export interface Origin {
  run: string;
  workflow: string;
  step: string;
}

/** Who is writing, and under which event id the write's event is published. */
export interface WriteContext {
  org: string;
  /** Deterministic for workflow writes (derived from run and step), random for API writes. */
  eventId: string;
  /** Cascade depth of the event this write will emit: 0 for API writes, run's event depth + 1 for runs. */
  depth: number;
  origin?: Origin;
  source: 'api' | 'workflow';
}

export interface PublishInput {
  org: string;
  id: string;
  name: string;
  data: JsonObject;
  depth: number;
  source: 'api' | 'workflow';
  origin?: Origin;
  idempotencyKey?: string;
}

export interface RunRef {
  id: string;
  workflow: string;
  rev: number;
}

export interface SkippedWorkflow {
  workflow: string;
  rev: number;
  reason: 'disabled' | 'trigger_condition_false' | 'own_write' | 'cascade_limit';
  message: string;
}

export interface PublishedEvent {
  id: string;
  org: string;
  name: string;
  data: JsonObject;
  depth: number;
  source: string;
  origin: Origin | null;
  runs: RunRef[];
  skipped: SkippedWorkflow[];
  createdAt: string;
}

/** Publishes an event and starts the runs it triggers. Idempotent per event id. */
export interface EventPublisher {
  publish(input: PublishInput): Promise<PublishedEvent>;
}
