import type { RetryPolicy } from '@temporalio/common';
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
