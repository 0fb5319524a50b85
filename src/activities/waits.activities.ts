import { ApplicationFailure } from '@temporalio/common';
import type { JsonObject } from '../core/json';
import { UserError } from '../errors';
import { derivedId } from '../models/ids';
import { WaitModel } from '../models/wait.model';
import { checkInputs } from '../services/calls.service';
import { getCallable } from '../services/workflows.service';
import { jsonSchemaProblems } from '../services/json-schemas';
import type { CallableRun } from '../workflows/run.types';

/** A `wait-for-event` step's registration: what event dispatch looks up (see wait.model.ts). */
export interface WaitRef {
  org: string;
  /** Canonical (no `kustomer.` prefix). */
  eventName: string;
  key: string;
  temporalWorkflowId: string;
  stepId: string;
}

export interface WaitActivities {
  /** Stores the wait (idempotent: its id derives from run and step). */
  registerWait(wait: WaitRef): Promise<void>;
  /** Removes the wait of a run's step (nothing to remove is fine). */
  removeWait(wait: Pick<WaitRef, 'temporalWorkflowId' | 'stepId'>): Promise<void>;
  /** Fails with `invalid_outputs` (not retried) when `outputs` break `schema`. */
  checkOutputs(input: { schema: JsonObject; outputs: JsonObject }): Promise<void>;
  /**
   * The callable definition `workflowId` of the org at its current revision, with the inputs checked
   * against its schema: what a `workflow.call` step starts as a child run. Not found, not callable,
   * disabled, invalid inputs: non-retryable failures with those codes.
   */
  callableRun(input: { org: string; workflowId: string; inputs: JsonObject }): Promise<CallableRun>;
}

const waitId = (temporalWorkflowId: string, stepId: string): string => derivedId('wait', temporalWorkflowId, stepId);

/** A user error as the failure the interpreter routes through error cases; anything else is retried. */
function asFailure(error: unknown): unknown {
  if (error instanceof UserError) return ApplicationFailure.nonRetryable(error.message, error.code, error.details);
  return error;
}

export function waitActivities(): WaitActivities {
  return {
    async registerWait(wait) {
      await WaitModel.updateOne(
        { _id: waitId(wait.temporalWorkflowId, wait.stepId) },
        { $set: { ...wait }, $setOnInsert: { createdAt: new Date() } },
        { upsert: true },
      );
    },
    async removeWait({ temporalWorkflowId, stepId }) {
      await WaitModel.deleteOne({ _id: waitId(temporalWorkflowId, stepId) });
    },
    async checkOutputs({ schema, outputs }) {
      const problems = jsonSchemaProblems(schema, outputs, 'outputs');
      if (problems.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `the outputs do not match response.schema: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          'invalid_outputs',
          problems,
        );
      }
    },
    async callableRun({ org, workflowId, inputs }) {
      try {
        const record = await getCallable(org, workflowId);
        checkInputs(record.definition, inputs);
        return { id: record.id, name: record.definition.name, rev: record.rev, definition: record.definition };
      } catch (error) {
        throw asFailure(error);
      }
    },
  };
}
