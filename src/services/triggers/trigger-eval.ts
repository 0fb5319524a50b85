import { conditionIsConstant, evaluateCondition } from '../../core/conditions';
import type { Transition } from '../../core/definition.schema';
import type { JsonObject } from '../../core/json';
import { resolveValue } from '../../core/references';
import { compileRe2, re2Test } from '../regex';

/**
 * A definition's trigger transitions evaluated for one event: the target of the first transition whose
 * condition holds, or `null` when none does. This is what the evaluation pool runs on its threads;
 * the API and the worker only run it inline for conditions that cannot read the event (see
 * `needsEvaluation`).
 */
export interface TriggerTask {
  transitions: Transition[];
  /** The event's data as JSON text: a string crosses to a thread as one copy, an object is cloned deeply. */
  dataJson: string;
  /** Epoch ms: the clock that templates and date functions see. */
  now: number;
}

/**
 * Evaluates the transitions in order (references, `/#fn` calls, templates and RE2 regexes). Throws
 * whatever the condition evaluation throws: an RE2 pattern that does not compile, a template that
 * cannot render. Unbounded in time for hostile input, so the services run it on a pool thread with a
 * time budget (`TriggerPool`), never on the event loop, unless `needsEvaluation` is false.
 */
export async function evaluateTransitions(
  transitions: Transition[],
  data: JsonObject,
  now: number,
): Promise<string | null> {
  const ctx = { steps: { '1': data }, now };
  for (const transition of transitions) {
    if (await evaluateCondition(transition.condition, ctx, re2Test)) return transition.target;
  }
  return null;
}

/** A pool task: `evaluateTransitions` on the event data sent as text. */
export function evaluateTrigger(task: TriggerTask): Promise<string | null> {
  return evaluateTransitions(task.transitions, JSON.parse(task.dataJson) as JsonObject, task.now);
}

/**
 * Loads what the core loads on first use (Handlebars, dayjs, libphonenumber) and RE2, so that a fresh
 * pool thread does this before it takes tasks, not within the first evaluation's time budget.
 */
export function warmUp(): void {
  const ctx = { steps: { '1': { at: '2020-01-01T00:00:00Z', phone: '+14155552671' } }, now: 0 };
  resolveValue(['{{dateFormat steps.1.at format="YYYY"}}', '/#fn:isValidPhoneNumber,steps.1.phone'], ctx);
  compileRe2('^warm$').test('warm');
}

/**
 * Whether deciding the trigger reads the event (a reference, a call, a template or a regex somewhere
 * in a condition): then it goes to the pool. Conditions made of `true`, `and` and `or` only (the
 * common `{op:'true'}` trigger) are evaluated inline.
 */
export function needsEvaluation(transitions: Transition[]): boolean {
  return !transitions.every((transition) => conditionIsConstant(transition.condition));
}
