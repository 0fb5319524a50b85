import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/services/token-buckets';
import { fakeClock } from '../helpers/fake-clock';

describe('TokenBuckets', () => {
  it('lets a burst through at once, then one call per 1/rate seconds', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 }, clock.now);
    for (let i = 0; i < 3; i++) {
      expect(buckets.waitFor('a')).toBe(0);
      buckets.take('a');
    }
    expect(buckets.waitFor('a')).toBe(500);
    clock.advance(250);
    expect(buckets.waitFor('a')).toBe(250);
    clock.advance(250);
    expect(buckets.waitFor('a')).toBe(0);
  });

  it('counts a reservation in debt, so the next caller waits behind it', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 1 }, clock.now);
    buckets.take('a');
    expect(buckets.waitFor('a')).toBe(100);
    buckets.take('a'); // reserved: due in 100 ms
    expect(buckets.waitFor('a')).toBe(200);
  });

  it('never fills past the burst after a long quiet spell, and keeps keys apart', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 2 }, clock.now);
    buckets.take('a');
    buckets.take('a');
    clock.advance(3_600_000);
    buckets.take('a');
    buckets.take('a');
    expect(buckets.waitFor('a')).toBe(1000);
    expect(buckets.waitFor('b')).toBe(0);
  });

  it('forgets full buckets when it holds too many keys', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1 }, clock.now, 2);
    buckets.take('a');
    buckets.waitFor('b');
    buckets.waitFor('c'); // evicts the full 'b', keeps 'a' in debt
    expect(buckets.waitFor('a')).toBe(1000);
  });

  it('takes only an available token for a limit that answers at once (hooks: 429 with Retry-After)', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ ratePerSecond: 0.5, burst: 2 }, clock.now);
    expect([buckets.takeIfAvailable('h'), buckets.takeIfAvailable('h')]).toEqual([0, 0]);
    expect(buckets.takeIfAvailable('h')).toBe(2000);
    // Refused requests take nothing: the wait only shrinks as time passes.
    expect(buckets.takeIfAvailable('h')).toBe(2000);
    clock.advance(1500);
    expect(buckets.takeIfAvailable('h')).toBe(500);
    clock.advance(500);
    expect(buckets.takeIfAvailable('h')).toBe(0);
    expect(buckets.takeIfAvailable('other')).toBe(0);
  });
});
