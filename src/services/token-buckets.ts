/**
 * Token buckets by key, in this process: outbound calls per destination host and per org
 * (outbound/throttle.ts), inbound hook requests per hook (api/hooks). Each bucket holds up to `burst`
 * tokens and refills at `ratePerSecond`. Several processes each have their own buckets, so a limit is
 * per process.
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

  /** Takes a token when `key` has one (0), else takes nothing and answers the milliseconds until it will. */
  takeIfAvailable(key: string): number {
    const wait = this.waitFor(key);
    if (wait === 0) this.take(key);
    return wait;
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
