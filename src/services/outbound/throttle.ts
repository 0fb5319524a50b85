import { TokenBuckets, type BucketLimits } from '../token-buckets';

/**
 * Token buckets for outbound requests: one per destination host and one per org, so one busy workflow
 * cannot flood a partner API or take every request another org could make. The buckets live in the
 * worker process (a shared bucket would cost a database round trip per call), so N workers allow N
 * times the configured rates.
 */
export interface ThrottleLimits {
  perHost: BucketLimits;
  perOrg: BucketLimits;
  /** The longest a call waits for a token before it fails `throttled`. */
  maxWaitMs: number;
}

/** The outcome of asking for a call slot: wait `waitMs` then call, or give up and retry after `retryAfterMs`. */
export type ThrottleDecision = { ok: true; waitMs: number } | { ok: false; retryAfterMs: number };

/** The per-host and per-org buckets together: a call takes a token from both, or from neither. */
export class OutboundThrottle {
  private readonly hosts: TokenBuckets;
  private readonly orgs: TokenBuckets;

  constructor(
    private readonly limits: ThrottleLimits,
    now: () => number = Date.now,
  ) {
    this.hosts = new TokenBuckets(limits.perHost, now);
    this.orgs = new TokenBuckets(limits.perOrg, now);
  }

  reserve(org: string, host: string): ThrottleDecision {
    const waitMs = Math.max(this.hosts.waitFor(host), this.orgs.waitFor(org));
    if (waitMs > this.limits.maxWaitMs) return { ok: false, retryAfterMs: waitMs };
    this.hosts.take(host);
    this.orgs.take(org);
    return { ok: true, waitMs };
  }
}
