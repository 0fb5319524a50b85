import type { SKIP_REASONS, EVENT_SOURCES } from '../models/event.model';
import type { JsonObject } from '../core/json';
import type { RecordKindName } from './records/kinds';

/**
 * The run and step whose write caused an event: used to stop a definition re-triggering itself. Stored and
 * public JSON: `run` is the run's (Temporal workflow) id, `workflow` the definition id.
 */
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
  source: (typeof EVENT_SOURCES)[number];
}

/** The record write an event describes, so a sweeper can tell whether that write happened. */
export interface WrittenRecord {
  kind: RecordKindName;
  id: string;
}

export interface PublishInput {
  org: string;
  write?: WrittenRecord;
  id: string;
  name: string;
  data: JsonObject;
  depth: number;
  source: (typeof EVENT_SOURCES)[number];
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
  /** `trigger_error`: the trigger could not be evaluated (it threw, or ran past its time budget). */
  reason: (typeof SKIP_REASONS)[number];
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

/**
 * Events are stored before the write they describe and dispatched after it (an outbox without
 * transactions): a process that dies in between leaves a pending event, which the worker's sweeper
 * dispatches once it sees the write happened (or voids when it did not). Everything is idempotent
 * per event id.
 */
export interface EventPublisher {
  /**
   * Stores the event as pending (true); again with the same id, refreshes a not yet dispatched one
   * that describes a write (false).
   */
  record(input: PublishInput): Promise<boolean>;
  /**
   * Starts the runs of a stored event and marks it dispatched (a dispatched one is left as it is).
   * `fresh`: the event exactly as this process has just stored it, dispatched without reading it back.
   */
  dispatch(org: string, id: string, fresh?: PublishInput): Promise<void>;
  /** record + dispatch, for events that describe no record write (`POST /v1/events`). */
  publish(input: PublishInput): Promise<PublishedEvent>;
}
