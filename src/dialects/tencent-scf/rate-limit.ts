/**
 * "A maximum of 20 requests can be initiated per second for this API" (spec §2.7): a token
 * bucket per (account, action) holding one second's worth of requests, refilled
 * continuously. Pure apart from the injected clock.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty (→ RequestLimitExceeded). */
  take(key: string): boolean {
    const now = this.now();
    const b = this.#buckets.get(key) ?? { tokens: this.perSecond, atMs: now };
    b.tokens = Math.min(this.perSecond, b.tokens + ((now - b.atMs) / 1000) * this.perSecond);
    b.atMs = now;
    this.#buckets.set(key, b);
    if (b.tokens < 1) {
      return false;
    }
    b.tokens -= 1;
    return true;
  }
}
