import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Definition } from '../core/definition.schema';
import { isPlainObject, type JsonObject } from '../core/json';
import { callableEventName } from '../core/names';
import { UserError, ValidationError } from '../errors';
import { derivedId, newId } from '../models/ids';
import { interpreter } from '../workflows/interpreter.workflow';
import type { RetryDefaults, RunInput, RunState } from '../workflows/run.types';
import { runVisibility } from '../workflows/search-attributes';
import { jsonSchemaProblems } from './json-schemas';
import { evaluateTransitions, needsEvaluation } from './triggers/trigger-eval';
import type { TriggerEvaluator } from './triggers/trigger-pool';
import { getCallable } from './workflows.service';

/** The event name of a call of definition `id`: what its runs' `steps.1` came with. */
/** Inputs checked against the trigger's JSON Schema: a ValidationError naming every path under `inputs`. */
export function checkInputs(definition: Definition, inputs: JsonObject): void {
  const schema = definition.trigger.schema;
  if (!isPlainObject(schema)) return;
  const problems = jsonSchemaProblems(schema as JsonObject, inputs, 'inputs');
  if (problems.length > 0) throw new ValidationError(problems, 'the inputs do not match the workflow schema');
}

/** The JSON Schema of the outputs (`response.schema`), if the definition declares one. */
export function responseSchema(definition: Definition): JsonObject | undefined {
  const response = definition.response;
  return isPlainObject(response) && isPlainObject(response.schema) ? (response.schema as JsonObject) : undefined;
}

export interface CallServiceDeps {
  client: Client;
  taskQueue: string;
  retry: RetryDefaults;
  logger: Logger;
  triggers: TriggerEvaluator;
}

export interface CallRequest {
  inputs: JsonObject;
  idempotencyKey?: string;
  /** How long to wait for the run to finish before answering 202; 0: do not wait. */
  waitMs: number;
}

export type CallOutcome =
  | { runId: string; status: 'running' }
  | { runId: string; status: 'completed'; outputs: JsonObject }
  | { runId: string; status: 'failed'; error: { message: string; code: string } };

/** gRPC DEADLINE_EXCEEDED, as the client reports it (a ServiceError, the gRPC error as its cause or itself). */
const DEADLINE_EXCEEDED = 4;
function deadlineExceeded(error: unknown): boolean {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return code === DEADLINE_EXCEEDED;
}

const digest = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

/**
 * Calls through the API: a callable run is an ordinary interpreter run whose event is
 * `{name: 'workflow.<id>.call', data: inputs}`. With an `Idempotency-Key` the run id is derived from
 * (org, definition, key), so the same key again finds the same run; different inputs under a used key
 * are refused (422 `idempotency_key_reused`), compared through a digest kept in the run's memo.
 */
export function createCallService(deps: CallServiceDeps) {
  const { client, logger } = deps;

  async function firstStep(org: string, definition: Definition, inputs: JsonObject): Promise<string | null> {
    const { transitions } = definition.trigger;
    try {
      if (needsEvaluation(transitions)) {
        return await deps.triggers.evaluate(org, { transitions, dataJson: JSON.stringify(inputs), now: Date.now() });
      }
      return await evaluateTransitions(transitions, inputs, Date.now());
    } catch (error) {
      // A pool timeout (TriggerEvaluationError) or a condition that throws (a bad regex): the author's error.
      const reason = error instanceof Error ? error.message : String(error);
      throw new UserError(409, 'trigger_error', `the trigger could not be evaluated: ${reason}`);
    }
  }

  async function outcome(runId: string, waitMs: number): Promise<CallOutcome> {
    if (waitMs <= 0) return { runId, status: 'running' };
    const handle = client.workflow.getHandle<typeof interpreter>(runId);
    try {
      const state: RunState = await client.withDeadline(Date.now() + waitMs, () => handle.result());
      return { runId, status: 'completed', outputs: state.outputs ?? {} };
    } catch (error) {
      if (error instanceof WorkflowFailedError) {
        const cause = error.cause as { message?: string; type?: string | null } | undefined;
        return {
          runId,
          status: 'failed',
          error: { message: cause?.message ?? error.message, code: cause?.type ?? 'failed' },
        };
      }
      // The deadline passed (gRPC DEADLINE_EXCEEDED): the run goes on, the client polls GET /v1/runs/:id.
      if (deadlineExceeded(error)) {
        return { runId, status: 'running' };
      }
      throw error;
    }
  }

  return {
    async call(org: string, id: string, request: CallRequest): Promise<CallOutcome> {
      const def = await getCallable(org, id);
      checkInputs(def.definition, request.inputs);
      const target = await firstStep(org, def.definition, request.inputs);
      if (target === null) {
        throw new UserError(409, 'trigger_condition_false', 'no trigger transition condition holds for these inputs');
      }
      const eventId = request.idempotencyKey ? derivedId('call', org, id, request.idempotencyKey) : newId();
      const runId = `call-${derivedId(org, id, eventId)}`;
      const inputsDigest = digest(request.inputs);
      const eventName = callableEventName(id);
      const input: RunInput = {
        org,
        workflow: { id: def.id, name: def.definition.name, rev: def.rev, definition: def.definition },
        event: { id: eventId, name: eventName, data: request.inputs, depth: 0 },
        firstStep: target,
        retry: deps.retry,
      };
      const visibility = runVisibility(input);
      try {
        await client.workflow.start(interpreter, {
          workflowId: runId,
          taskQueue: deps.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          ...visibility,
          memo: { ...visibility.memo, inputsDigest },
          staticSummary: `${def.definition.name} (rev ${def.rev}) called`,
          staticDetails: `org ${org} · workflow ${def.id} · event ${eventId}`,
        });
        logger.info({ org, definition: def.id, run: runId }, 'callable run started');
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        const info = await client.workflow.getHandle(runId).describe();
        if (info.memo?.inputsDigest !== inputsDigest) {
          throw new UserError(
            422,
            'idempotency_key_reused',
            `Idempotency-Key ${JSON.stringify(request.idempotencyKey ?? '')} was used for a different request`,
            [{ path: 'inputs', message: 'differs from the request first sent with this key' }],
          );
        }
      }
      return outcome(runId, request.waitMs);
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
