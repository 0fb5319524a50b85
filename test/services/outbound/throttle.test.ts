import { describe, expect, it } from 'vitest';
import { OutboundThrottle, TokenBuckets } from '../../../src/services/outbound/throttle';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

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
});

describe('OutboundThrottle', () => {
  const limits = {
    perHost: { ratePerSecond: 1, burst: 1 },
    perOrg: { ratePerSecond: 10, burst: 2 },
    maxWaitMs: 1500,
  };

  it('waits for the slower of the two buckets, within the bounded wait', () => {
    const clock = fakeClock();
    const throttle = new OutboundThrottle(limits, clock.now);
    expect(throttle.reserve('org1', 'api.example.com')).toEqual({ ok: true, waitMs: 0 });
    expect(throttle.reserve('org1', 'api.example.com')).toEqual({ ok: true, waitMs: 1000 });
  });

  it('refuses with retryAfterMs past the bounded wait, and takes no token then', () => {
    const clock = fakeClock();
    const throttle = new OutboundThrottle(limits, clock.now);
    throttle.reserve('org1', 'h');
    throttle.reserve('org1', 'h'); // due in 1000 ms
    expect(throttle.reserve('org1', 'h')).toEqual({ ok: false, retryAfterMs: 2000 });
    // The refused call took nothing from the org: its third token is due in 100 ms, not 200.
    expect(throttle.reserve('org1', 'other')).toEqual({ ok: true, waitMs: 100 });
  });

  it('limits an org across hosts, without touching another org', () => {
    const clock = fakeClock();
    const throttle = new OutboundThrottle(limits, clock.now);
    expect(throttle.reserve('busy', 'h1')).toEqual({ ok: true, waitMs: 0 });
    expect(throttle.reserve('busy', 'h2')).toEqual({ ok: true, waitMs: 0 });
    expect(throttle.reserve('busy', 'h3')).toEqual({ ok: true, waitMs: 100 });
    expect(throttle.reserve('quiet', 'h4')).toEqual({ ok: true, waitMs: 0 });
  });
});
