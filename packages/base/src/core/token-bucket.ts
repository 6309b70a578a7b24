// A token-bucket rate limiter driven by the caller's clock (core): the one definition (issue #15:
// nat and signaling each had one, with different signatures). Rate and burst are given per call, so
// a bucket is two numbers (one per connection or address scales to many) and limits may change.

/**
 * Allows `rate` events per second with bursts of up to `burst`. A rate of 0 means unlimited.
 * Time is integer ms from the caller's monotonic clock.
 */
export class TokenBucket {
  tokens: number;
  at: number;

  constructor(burst: number, now: number) {
    this.tokens = burst;
    this.at = now;
  }

  /**
   * Takes one token if there is one.
   * @param rate tokens per second (0 = unlimited)
   * @param burst bucket size
   * @returns true when the event is allowed
   */
  take(now: number, rate: number, burst: number): boolean {
    if (rate <= 0) return true;
    const elapsed = now - this.at;
    if (elapsed > 0) {
      this.tokens = Math.min(burst, this.tokens + (elapsed * rate) / 1000);
      this.at = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Ms until one token is there at `rate` (0 when one is there now, or with rate 0); takes none.
   * @param rate tokens per second (may be fractional)
   */
  msUntilToken(now: number, rate: number, burst: number): number {
    if (rate <= 0) return 0;
    const elapsed = now - this.at;
    if (elapsed > 0) {
      this.tokens = Math.min(burst, this.tokens + (elapsed * rate) / 1000);
      this.at = now;
    }
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / rate);
  }

  /** True when the bucket would be full at `now` (an idle entry that can be forgotten). */
  isFull(now: number, rate: number, burst: number): boolean {
    return rate <= 0 || this.tokens + ((now - this.at) * rate) / 1000 >= burst;
  }
}
