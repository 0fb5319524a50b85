import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every interpreter run carries, so ops can filter runs in the Temporal UI
 * and `GET /v1/runs` can read Temporal's visibility store instead of a copy of our own.
 * Registered on the dev server at start-up and by `ensureSearchAttributes` on any other server.
 */
export const SA_ORG = defineSearchAttributeKey('SwitchboardOrg', SearchAttributeType.KEYWORD);
/** The definition id; the attribute keeps the public API's name for a definition, like the API's `workflow` fields. */
export const SA_WORKFLOW = defineSearchAttributeKey('SwitchboardWorkflow', SearchAttributeType.KEYWORD);
export const SA_EVENT = defineSearchAttributeKey('SwitchboardEvent', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [SA_ORG, SA_WORKFLOW, SA_EVENT] as const;
