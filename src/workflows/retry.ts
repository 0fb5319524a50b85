import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { StepRetry } from '../core/definition.schema';
import type { RetryDefaults } from './run.types';

/** Configured defaults, overridden field by field by a step's own `retry`. */
export function retryPolicy(defaults: RetryDefaults, step: StepRetry | undefined): RetryPolicy {
  return {
    maximumAttempts: step?.maximumAttempts ?? defaults.maximumAttempts,
    initialInterval: step?.initialInterval ?? defaults.initialIntervalMs,
    maximumInterval: step?.maximumInterval ?? defaults.maximumIntervalMs,
    backoffCoefficient: step?.backoffCoefficient ?? defaults.backoffCoefficient,
    nonRetryableErrorTypes: ['invalid_params', 'not_found', 'invalid_reference', 'invalid_definition'],
  };
}

/** The options of a step's action: the configured timeout, the retry policy, and the step's summary in the UI. */
export function actionOptions(defaults: RetryDefaults, step: StepRetry | undefined, summary: string) {
  return {
    startToCloseTimeout: defaults.startToCloseTimeoutMs,
    retry: retryPolicy(defaults, step),
    summary,
  } satisfies ActivityOptions;
}
