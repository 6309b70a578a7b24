// A token bucket counting bytes or datagrams in integer-ms time, for the relay's caps
// (relay.md §2(b): bandwidth and datagram rate per allocation and in total) — core, no I/O.

/** Allows `ratePerSecond` units on average with bursts up to `burst`. */
export class RateBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  /** Starts full at `now`. */
  constructor(ratePerSecond: number, burst: number, now: number) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Refills to `now` and says whether `n` units are available (nothing is taken). */
  has(now: number, n: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
      this.#last = now;
    }
    return this.#tokens >= n;
  }

  /** Takes `n` units (call after `has` said yes). */
  take(n: number): void {
    this.#tokens -= n;
  }
}
