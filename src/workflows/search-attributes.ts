import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { RunInput } from './run.types';

/**
 * Custom search attributes every interpreter run carries, so ops can filter runs in the Temporal UI
 * and `GET /v1/runs` can read Temporal's visibility store instead of a copy of our own.
 * Registered on the dev server at start-up and by `ensureSearchAttributes` on any other server.
 */
export const SA_ORG = defineSearchAttributeKey('SwitchboardOrg', SearchAttributeType.KEYWORD);
/** The definition id; the attribute keeps the public API's name for a definition, like the API's `workflow` fields. */
export const SA_WORKFLOW = defineSearchAttributeKey('SwitchboardWorkflow', SearchAttributeType.KEYWORD);
export const SA_EVENT = defineSearchAttributeKey('SwitchboardEvent', SearchAttributeType.KEYWORD);

/** Scheduled runs: when the run is due, and when the org's fire window delayed it, when it fires. */
export const SA_FIRE_AT = defineSearchAttributeKey('SwitchboardFireAt', SearchAttributeType.DATETIME);
export const SA_DELAYED_UNTIL = defineSearchAttributeKey('SwitchboardDelayedUntil', SearchAttributeType.DATETIME);
/** Scheduled runs: `scheduled` until they fire (`GET /v1/runs?status=scheduled`), then `fired`. */
export const SA_FIRE_STATE = defineSearchAttributeKey('SwitchboardFireState', SearchAttributeType.KEYWORD);
/** Scheduled runs: the Temporal workflow id of the run that began their chain (`GET /v1/runs?chain=`). */
export const SA_CHAIN = defineSearchAttributeKey('SwitchboardChain', SearchAttributeType.KEYWORD);
/** Runs a recurring schedule started: the schedule's id. */
export const SA_SCHEDULE = defineSearchAttributeKey('SwitchboardSchedule', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  SA_ORG,
  SA_WORKFLOW,
  SA_EVENT,
  SA_FIRE_AT,
  SA_DELAYED_UNTIL,
  SA_FIRE_STATE,
  SA_CHAIN,
  SA_SCHEDULE,
] as const;

/** Set by Temporal on runs a Schedule starts: the time the schedule was due (not registered by us). */
export const SA_TEMPORAL_SCHEDULED_START = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/**
 * What every interpreter run shows in Temporal's visibility, from its input: the search attributes
 * `GET /v1/runs` filters on (org, definition, canonical event name) and the memo it reads (revision, event
 * id, definition name). Every place that starts a run (dispatch, calls, keyed runs, `workflow.call`) uses it.
 */
export function runVisibility(input: RunInput): {
  typedSearchAttributes: SearchAttributePair[];
  memo: { rev: number; event: string; workflowName: string };
} {
  return {
    typedSearchAttributes: [
      { key: SA_ORG, value: input.org },
      { key: SA_WORKFLOW, value: input.workflow.id },
      { key: SA_EVENT, value: input.event.name },
    ],
    memo: { rev: input.workflow.rev, event: input.event.id, workflowName: input.workflow.name },
  };
}
