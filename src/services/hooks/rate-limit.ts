import { LRUCache } from 'lru-cache';

/**
 * Token buckets by key (a hook id), in this process: each holds up to `burst` tokens and refills at
 * `ratePerSecond`; a request takes one. Several API processes each have their own buckets, so the limit
 * a sender meets is per process. At most `maxKeys` buckets are kept (least recently used dropped: a
 * dropped bucket starts full again).
 */
export class TokenBuckets {
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    maxKeys = 10_000,
  ) {
    this.buckets = new LRUCache({ max: maxKeys });
  }

  /** Takes a token for `key`: 0 when there was one, else the whole seconds until there is (for `Retry-After`). */
  take(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return Math.max(1, Math.ceil((1 - tokens) / this.ratePerSecond));
  }
}
