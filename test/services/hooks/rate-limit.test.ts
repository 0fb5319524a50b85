import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../src/services/hooks/rate-limit';

describe('TokenBuckets', () => {
  it('lets a burst through, then answers the seconds until the next token', () => {
    const buckets = new TokenBuckets(0.5, 3);
    const t = 1_000_000;
    expect([buckets.take('a', t), buckets.take('a', t), buckets.take('a', t)]).toEqual([0, 0, 0]);
    expect(buckets.take('a', t)).toBe(2);
    expect(buckets.take('a', t + 1000)).toBe(1);
    expect(buckets.take('a', t + 2000)).toBe(0);
    expect(buckets.take('a', t + 2000)).toBe(2);
  });

  it('keeps one bucket per key, refilled up to the burst only', () => {
    const buckets = new TokenBuckets(10, 2);
    const t = 5_000;
    expect([buckets.take('a', t), buckets.take('a', t), buckets.take('a', t)]).toEqual([0, 0, 1]);
    expect(buckets.take('b', t)).toBe(0);
    // An hour idle refills to 2, not 36,000.
    const later = t + 3_600_000;
    expect([buckets.take('a', later), buckets.take('a', later), buckets.take('a', later)]).toEqual([0, 0, 1]);
  });
});
