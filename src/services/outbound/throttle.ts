/**
 * Token buckets for outbound requests: one per destination host and one per org, so one busy workflow
 * cannot flood a partner API or take every request another org could make. The buckets live in the
 * worker process (a shared bucket would cost a database round trip per call), so N workers allow N
 * times the configured rates.
 */
export interface BucketLimits {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: calls that may go at once after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A set of token buckets by key. `reserve` takes one token from each named bucket, letting a bucket go
 * into debt by at most the wait the caller accepts: the returned delay is how long the caller must wait
 * before its call is due. Reservations keep their order, so waiting callers are served first come first.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: BucketLimits,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until `key` has a token for one more call (0: now). */
  waitFor(key: string): number {
    const bucket = this.refill(key);
    return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) / this.limits.ratePerSecond) * 1000);
  }

  /** Takes one token from `key`'s bucket (possibly into debt; see waitFor). */
  take(key: string): void {
    this.refill(key).tokens -= 1;
  }

  private refill(key: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evictFull(now);
      bucket = { tokens: this.limits.burst, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + elapsed * this.limits.ratePerSecond);
    bucket.updatedAt = now;
    return bucket;
  }

  /** Forgets the buckets that are full again (they hold nothing a new bucket would not). */
  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.limits.ratePerSecond;
      if (tokens >= this.limits.burst) this.buckets.delete(key);
    }
  }
}

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
