import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { interpreter } from './interpreter.workflow';
import type { RunInput } from './run.types';
import { runVisibility } from './search-attributes';

/**
 * Per-record trigger options (`trigger.debounce`, `trigger.concurrency` other than `parallel`): the runs of
 * one definition for one key (a conversation, a customer) go through one `keyedRun` workflow, which
 * receives the key's events as signals and runs each run as a child `interpreter` workflow.
 * - `debounce`: every event restarts a quiet period; when it passes, one run starts on the last event.
 * - `queue`: one run at a time, in arrival order.
 * - `replace`: an event cancels the run in progress; the newest event runs.
 */
export const KEYED_MODES = ['debounce', 'queue', 'replace'] as const;
export type KeyedMode = (typeof KEYED_MODES)[number];

/**
 * One event for a key, as dispatch built it. A wire format (signals and continue-as-new inputs are
 * stored in histories): keys are never renamed.
 */
export interface KeyedEvent {
  /** The run's id (its Temporal workflow id), derived from (org, definition, rev, event) as for any run. */
  runId: string;
  /** The run's input: the event and the definition revision it was dispatched for. */
  input: RunInput;
  /** Debounce: the quiet period this event starts (its revision's `debounce.delay`), in milliseconds. */
  delayMs?: number;
}

/** What a `keyedRun` starts from, and what it carries over a continue-as-new. */
export interface KeyedRunInput {
  org: string;
  definitionId: string;
  /** The resolved key (`debounce.key` or `concurrency.key` read from the event). */
  key: string;
  mode: KeyedMode;
  /** Events received and not run yet, oldest first (carried over continue-as-new). */
  pending?: KeyedEvent[];
  /** Ids of the most recent events received, to ignore an event delivered twice (carried). */
  recent?: string[];
  /** Debounce: when the quiet period ends, epoch milliseconds (carried). */
  deadline?: number | null;
  /** Runs started before this workflow continues as new (default `CONTINUE_AFTER_RUNS`; tests set it low). */
  continueAfter?: number;
}

/** An event for the key (`KeyedEvent`); the same event id twice is ignored. */
export const keyedEventSignal = defineSignal<[KeyedEvent]>('keyedEvent');

export interface KeyedState {
  key: string;
  mode: KeyedMode;
  /** The run in progress, or null. */
  current: string | null;
  /** Runs waiting for their turn (queue) or for the quiet period to end (debounce), oldest first. */
  pending: string[];
  /** Debounce: when the quiet period ends (ISO time), or null. */
  deadline: string | null;
  /** Runs this execution started (since the last continue-as-new). */
  started: number;
}

/** Live state of a key: the run in progress and what waits. */
export const keyedStateQuery = defineQuery<KeyedState>('keyedState');

/** How many event ids a key remembers to ignore repeats: dispatch retries and the sweeper repeat within a minute. */
export const RECENT_EVENT_IDS = 200;
/** Runs per execution before continuing as new, so that history stays short. */
export const CONTINUE_AFTER_RUNS = 100;
/**
 * How long a key with nothing left to run stays open before it completes: the sweeper re-dispatches an
 * event within about 45 s, and a repeat that arrives while the key is open is recognised by its id.
 */
export const LINGER_MS = 2 * 60_000;

/**
 * The `keyedRun` workflow: one per (org, definition, mode, key), started by signal-with-start from event
 * dispatch. Runs are child `interpreter` workflows with the run id dispatch recorded on the event, started
 * with `REJECT_DUPLICATE` so that an event delivered again after the key completed never runs twice. A run
 * that fails or is canceled (by `replace`, or `POST /v1/runs/:id/cancel`) does not stop the key. Completes
 * when nothing has been left to run for `LINGER_MS`; continues as new after `continueAfter` runs or when
 * Temporal suggests it, between runs, carrying what is pending.
 */
export async function keyedRun(input: KeyedRunInput): Promise<KeyedState> {
  const { mode } = input;
  const continueAfter = input.continueAfter ?? CONTINUE_AFTER_RUNS;
  let pending: KeyedEvent[] = [...(input.pending ?? [])];
  const recent: string[] = [...(input.recent ?? [])];
  let deadline: number | null = input.deadline ?? null;
  let current: { runId: string; scope: CancellationScope } | null = null;
  let received = 0;
  let started = 0;

  const state = (): KeyedState => ({
    key: input.key,
    mode,
    current: current?.runId ?? null,
    pending: pending.map((e) => e.runId),
    deadline: deadline === null ? null : new Date(deadline).toISOString(),
    started,
  });
  setHandler(keyedStateQuery, state);

  setHandler(keyedEventSignal, (event) => {
    const eventId = event.input.event.id;
    if (recent.includes(eventId)) return;
    recent.push(eventId);
    if (recent.length > RECENT_EVENT_IDS) recent.splice(0, recent.length - RECENT_EVENT_IDS);
    received++;
    if (mode === 'queue') {
      pending.push(event);
      return;
    }
    // Debounce and replace run only the newest event: the ones before it are superseded.
    pending = [event];
    if (mode === 'debounce') deadline = Date.now() + (event.delayMs ?? 0);
    if (mode === 'replace') current?.scope.cancel();
  });

  const continueIfLong = async (): Promise<void> => {
    if (started < continueAfter && !workflowInfo().continueAsNewSuggested) return;
    await continueAsNew<typeof keyedRun>({ ...input, pending, recent, deadline });
  };

  const runChild = async (event: KeyedEvent): Promise<void> => {
    const scope = new CancellationScope();
    current = { runId: event.runId, scope };
    started++;
    const run = event.input;
    try {
      // The same search attributes, memo and summary as a run dispatch starts itself: `GET /v1/runs` lists it.
      await scope.run(() =>
        executeChild(interpreter, {
          workflowId: event.runId,
          args: [run],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          ...runVisibility(run),
          staticSummary: `${run.workflow.name} (rev ${run.workflow.rev}) on ${run.event.name} (${mode}, key ${input.key})`,
          staticDetails: `org ${run.org} · workflow ${run.workflow.id} · event ${run.event.id} · ${workflowInfo().workflowId}`,
        }),
      );
    } catch (error) {
      // This workflow canceled: stop. A run that failed, was canceled or had started before: the key goes on.
      if (CancellationScope.current().consideredCancelled) throw error;
      log.info('keyed run ended without completing', {
        run: event.runId,
        reason: error instanceof Error ? error.message : String(error),
      });
    } finally {
      current = null;
    }
  };

  for (;;) {
    if (pending.length === 0) {
      if (!(await condition(() => pending.length > 0, LINGER_MS))) return state();
    }
    await continueIfLong();
    if (mode === 'debounce') {
      // Each event moves the deadline; wake at the deadline or at the next event, whichever comes first.
      while (deadline !== null && Date.now() < deadline) {
        const seen = received;
        await condition(() => received !== seen, deadline - Date.now());
        // A busy key (an event a minute for a week) must not grow one history without bound.
        if (workflowInfo().continueAsNewSuggested) await continueIfLong();
      }
      deadline = null;
    }
    const next = pending.shift();
    if (next) await runChild(next);
  }
}
