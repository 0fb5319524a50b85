import { describe, expect, it } from 'vitest';
import { retryPolicy } from '../../src/workflows/retry';
import type { RetryDefaults } from '../../src/workflows/run.types';

const defaults: RetryDefaults = {
  maximumAttempts: 5,
  initialIntervalMs: 1000,
  maximumIntervalMs: 60_000,
  backoffCoefficient: 2,
  startToCloseTimeoutMs: 60_000,
};

describe('retryPolicy', () => {
  it('uses the configured defaults when the step has no retry', () => {
    expect(retryPolicy(defaults, undefined)).toMatchObject({
      maximumAttempts: 5,
      initialInterval: 1000,
      maximumInterval: 60_000,
      backoffCoefficient: 2,
    });
  });

  it("overrides field by field with the step's retry", () => {
    expect(retryPolicy(defaults, { maximumAttempts: 2, initialInterval: '5s' })).toMatchObject({
      maximumAttempts: 2,
      initialInterval: '5s',
      maximumInterval: 60_000,
      backoffCoefficient: 2,
    });
  });

  it('raises the maximum interval to an initial interval above it (Temporal refuses max < initial)', () => {
    expect(retryPolicy(defaults, { initialInterval: '2m' })).toMatchObject({
      initialInterval: '2m',
      maximumInterval: '2m',
    });
    expect(retryPolicy(defaults, { initialInterval: '10s', maximumInterval: '5s' })).toMatchObject({
      initialInterval: '10s',
      maximumInterval: '10s',
    });
    expect(retryPolicy(defaults, { initialInterval: '10s', maximumInterval: '30s' }).maximumInterval).toBe('30s');
  });

  it('never retries user errors', () => {
    expect(retryPolicy(defaults, undefined).nonRetryableErrorTypes).toEqual(
      expect.arrayContaining(['invalid_params', 'not_found', 'invalid_reference']),
    );
  });
});
