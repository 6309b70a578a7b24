// A token bucket per source IP address with a bounded table (core): the service's per-IP
// connection rate and the STUN responder's per-IP answer rate (nat-traversal.md §5, abuse).
import { TokenBucket } from '@meshpunch/base';

/**
 * Allows `ratePerSecond` events per IP with bursts of `burst` (rate 0 = unlimited). At most
 * `maxTracked` addresses are remembered; a new one past that forgets the address first seen
 * longest ago (Map keeps insertion order), so memory stays bounded whatever the sources.
 */
export class IpRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxTracked: number;

  constructor(ratePerSecond: number, burst: number, maxTracked: number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#maxTracked = maxTracked;
  }

  /** Addresses remembered now (≤ maxTracked). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `ip` at `now` (ms, the caller's monotonic clock); true when allowed. */
  allow(now: number, ip: string): boolean {
    if (this.#rate === 0) return true;
    let b = this.#buckets.get(ip);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxTracked) this.#buckets.delete(this.#buckets.keys().next().value as string);
      b = new TokenBucket(this.#burst, now);
      this.#buckets.set(ip, b);
    }
    return b.take(now, this.#rate, this.#burst);
  }

  /** Forgets every address. */
  clear(): void {
    this.#buckets.clear();
  }
}
