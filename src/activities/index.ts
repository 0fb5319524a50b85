import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { ACTIONS, ACTION_NAMES, type ActionName } from '../core/actions.catalog';
import type { JsonObject } from '../core/json';
import { problemsFromZod } from '../core/problems';
import { re2Test } from '../services/regex';
import type { ActionInput, LegacyActionInput } from '../workflows/run.types';
import { asActivityFailure, currentActionInput, type ActivityDeps } from './action-context';
import { crmHandlers, type Handlers } from './crm.activities';
import { restHandlers } from './rest.activities';
import { maskedFailure, mapStrings, secretMasker, substituteVariables } from './variables';
import { createScheduleActivities, scheduleHandlers, type ScheduleActivities } from './schedule.activities';
import { waitActivities, type WaitActivities } from './waits.activities';

/** Takes the legacy input shape too: an activity scheduled by an older worker may run on this one. */
export type ActionActivity = (input: ActionInput | LegacyActionInput) => Promise<JsonObject>;
export type Activities = Record<ActionName, ActionActivity> &
  WaitActivities & {
    regexTest(pattern: string, input: string): Promise<boolean>;
  };

/**
 * The worker's activities: one per action (the activity type is the canonical action name, which is
 * what the Temporal UI shows per step) plus `regexTest` for `regex` conditions, which cannot run in
 * the workflow sandbox because RE2 is native.
 */
export function createActivities(deps: ActivityDeps & { logger: Logger }): Activities & ScheduleActivities {
  const handlers: Handlers = {
    ...crmHandlers(deps),
    ...scheduleHandlers(deps),
    ...restHandlers(deps.outbound?.client, deps.outbound?.timeoutMs ?? 10_000),
  };
  const activities = {} as Record<ActionName, ActionActivity>;
  for (const name of ACTION_NAMES) {
    activities[name] = async (received) => {
      const input = currentActionInput(received);
      const log = deps.logger.child({
        org: input.org,
        definition: input.definitionId,
        run: input.temporalWorkflowId,
        step: input.stepId,
        action: name,
        attempt: Context.current().info.attempt,
      });
      // Variable values come from the database here, never from the workflow; secret ones are masked in
      // whatever leaves the activity (output, failure, logs).
      let params = input.params;
      let mask: ((text: string) => string) | undefined;
      if (input.variables && Object.keys(input.variables).length > 0) {
        if (!deps.variables)
          throw ApplicationFailure.nonRetryable('this worker cannot read variables', 'variable_not_found');
        const found = await deps.variables.resolve(input.org, Object.keys(input.variables));
        const substituted = substituteVariables(params, input.variables, found);
        params = substituted.params;
        if (substituted.secrets.length > 0) mask = secretMasker(substituted.secrets);
      }
      const parsed = ACTIONS[name].safeParse(params);
      if (!parsed.success) {
        const problems = problemsFromZod(parsed.error, ['params']);
        const failure = ApplicationFailure.nonRetryable(
          `invalid params for ${name}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          'invalid_params',
          problems,
        );
        const thrown = mask ? maskedFailure(failure, mask) : failure;
        log.warn({ problems: thrown.details?.[0] ?? problems }, 'invalid params');
        throw thrown;
      }
      try {
        const handler = handlers[name] as (params: unknown, input: ActionInput) => Promise<JsonObject>;
        const output = await handler(parsed.data, input);
        log.info('action completed');
        return mask ? (mapStrings(output, mask) as JsonObject) : output;
      } catch (error) {
        const failure = asActivityFailure(error);
        const thrown = mask ? maskedFailure(failure, mask) : failure;
        log.warn({ err: thrown }, 'action failed');
        throw thrown;
      }
    };
  }
  return {
    ...activities,
    ...createScheduleActivities(deps),
    ...waitActivities(),
    regexTest: async (pattern, input) => {
      try {
        return re2Test(pattern, input);
      } catch (error) {
        throw asActivityFailure(error); // a pattern RE2 refuses: invalid_regex, not retried
      }
    },
  };
}
