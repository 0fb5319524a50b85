import { defineQuery } from '@temporalio/workflow';
import type { RunState } from './run.types';

/** Live step state of a run: every step so far, in execution order, the trigger first. */
export const runStateQuery = defineQuery<RunState>('runState');
