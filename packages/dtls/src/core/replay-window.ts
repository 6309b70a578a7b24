// The anti-replay sliding window for one epoch's record sequence numbers (core), RFC 6347 §4.1.2.6
// (after RFC 4303 §3.4.3): 64 records behind the highest authenticated sequence number.

/** Window width in records: RFC 6347 §4.1.2.6 asks for at least 32; 64 is the RFC 4303 default. */
export const REPLAY_WINDOW_SIZE = 64;

/** Sequence numbers are 48-bit, so they fit a double exactly; the bitmap is two uint32 halves. */
export class ReplayWindow {
  /** Highest sequence number accepted so far, -1 before the first. */
  #top = -1;
  /** Bit i of (hi:lo) = seq (top - i) was seen; bit 0 is `top` itself. */
  #lo = 0;
  #hi = 0;

  /** True when `seq` is new and not too old; check before decrypting, mark only after it verifies. */
  isFresh(seq: number): boolean {
    if (seq > this.#top) return true;
    const d = this.#top - seq;
    if (d >= REPLAY_WINDOW_SIZE) return false;
    return d < 32 ? ((this.#lo >>> d) & 1) === 0 : ((this.#hi >>> (d - 32)) & 1) === 0;
  }

  /** Records `seq` as seen (it has passed `isFresh` and authentication). */
  mark(seq: number): void {
    if (seq > this.#top) {
      const shift = this.#top < 0 ? REPLAY_WINDOW_SIZE : seq - this.#top;
      if (shift >= REPLAY_WINDOW_SIZE) {
        this.#lo = 0;
        this.#hi = 0;
      } else if (shift >= 32) {
        this.#hi = (this.#lo << (shift - 32)) >>> 0;
        this.#lo = 0;
      } else {
        this.#hi = ((this.#hi << shift) | (this.#lo >>> (32 - shift))) >>> 0;
        this.#lo = (this.#lo << shift) >>> 0;
      }
      this.#lo = (this.#lo | 1) >>> 0;
      this.#top = seq;
      return;
    }
    const d = this.#top - seq;
    if (d < 32) this.#lo = (this.#lo | (1 << d)) >>> 0;
    else if (d < REPLAY_WINDOW_SIZE) this.#hi = (this.#hi | (1 << (d - 32))) >>> 0;
  }
}
