import { msToNumber, type ActivityOptions, type RetryPolicy } from '@temporalio/common';
import type { StepRetry } from '../core/definition.schema';
import type { RetryDefaults } from './run.types';

/**
 * Configured defaults, overridden field by field by a step's own `retry`. The maximum interval is never
 * below the initial one (Temporal refuses such a policy, and the run's workflow task would fail on
 * every attempt): a step's `initialInterval` above the configured maximum raises the maximum to it.
 */
export function retryPolicy(defaults: RetryDefaults, step: StepRetry | undefined): RetryPolicy {
  const initialInterval = step?.initialInterval ?? defaults.initialIntervalMs;
  const maximumInterval = step?.maximumInterval ?? defaults.maximumIntervalMs;
  return {
    maximumAttempts: step?.maximumAttempts ?? defaults.maximumAttempts,
    initialInterval,
    maximumInterval: msToNumber(maximumInterval) < msToNumber(initialInterval) ? initialInterval : maximumInterval,
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
