// Per-source and total token buckets for probes that have not authenticated yet (core, no I/O):
// they decide whether a request with our USERNAME from an unknown source is worth an HMAC, so
// junk costs a table lookup and a counter, never the real peer's answer budget (issue 13 item 6).
import { TokenBucket } from '@meshpunch/base';

interface Slot {
  address: string;
  port: number;
  bucket: TokenBucket;
  lastSeen: number;
}

/**
 * Limits work per source address:port, with a fixed table of `slots` sources (the least recently
 * seen one is forgotten for a new source) and one bucket over all sources, so rotating spoofed
 * sources cannot multiply the budget.
 */
export class SourceLimiter {
  readonly #slots: Slot[] = [];
  readonly #capacity: number;
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #total: TokenBucket;
  readonly #totalPerSecond: number;
  readonly #totalBurst: number;

  /**
   * @param capacity sources remembered at once (≥ 1)
   * @param ratePerSecond, burst the bucket of each source
   * @param totalPerSecond, totalBurst the bucket over all sources
   * @param now the caller's clock, ms
   */
  constructor(capacity: number, ratePerSecond: number, burst: number, totalPerSecond: number, totalBurst: number, now: number) {
    this.#capacity = capacity;
    this.#ratePerSecond = ratePerSecond;
    this.#burst = burst;
    this.#totalPerSecond = totalPerSecond;
    this.#totalBurst = totalBurst;
    this.#total = new TokenBucket(totalBurst, now);
  }

  /** Takes one token for `address`:`port` and one from the total; false (and nothing charged to the total) when either is empty. */
  take(now: number, address: string, port: number): boolean {
    let slot: Slot | undefined;
    let oldest = 0;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i]!;
      if (s.port === port && s.address === address) {
        slot = s;
        break;
      }
      if (s.lastSeen < this.#slots[oldest]!.lastSeen) oldest = i;
    }
    if (slot === undefined) {
      const bucket = new TokenBucket(this.#burst, now);
      if (this.#slots.length < this.#capacity) {
        slot = { address, port, bucket, lastSeen: now };
        this.#slots.push(slot);
      } else {
        slot = this.#slots[oldest]!;
        slot.address = address;
        slot.port = port;
        slot.bucket = bucket;
      }
    }
    slot.lastSeen = now;
    return slot.bucket.take(now, this.#ratePerSecond, this.#burst) && this.#total.take(now, this.#totalPerSecond, this.#totalBurst);
  }

  /** Sources currently remembered (≤ capacity). */
  get size(): number {
    return this.#slots.length;
  }
}
