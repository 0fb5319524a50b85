import { describe, expect, it } from 'vitest';
import { OutboundThrottle } from '../../../src/services/outbound/throttle';
import { fakeClock } from '../../helpers/fake-clock';

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
