// A token bucket in integer milliseconds for rate-limiting probe answers (core, no I/O).

/** Allows `ratePerSecond` events on average with bursts up to `burst`. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly ratePerSecond: number;
  readonly burst: number;

  constructor(ratePerSecond: number, burst: number, now: number) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes one token at `now`; false (and nothing taken) when the bucket is empty. */
  take(now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
