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
  const handlers: Handlers = { ...crmHandlers(deps), ...scheduleHandlers(deps) };
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
      const parsed = ACTIONS[name].safeParse(input.params);
      if (!parsed.success) {
        const problems = problemsFromZod(parsed.error, ['params']);
        log.warn({ problems }, 'invalid params');
        throw ApplicationFailure.nonRetryable(
          `invalid params for ${name}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          'invalid_params',
          problems,
        );
      }
      try {
        const handler = handlers[name] as (params: unknown, input: ActionInput) => Promise<JsonObject>;
        const output = await handler(parsed.data, input);
        log.info('action completed');
        return output;
      } catch (error) {
        log.warn({ err: error }, 'action failed');
        throw asActivityFailure(error);
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
