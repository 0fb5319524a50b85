import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunState, WaitEvent } from './run.types';

/** Live step state of a run: every step so far, in execution order, the trigger first. */
export const runStateQuery = defineQuery<RunState>('runState');

/**
 * An event for a run waiting in a `wait-for-event` step, sent by event dispatch to every run whose
 * wait matches the event's name and record (the `waits` collection). At least once: a run ignores an
 * event id it has seen, and events arriving while it does not wait.
 */
export const eventSignal = defineSignal<[WaitEvent]>('event');
