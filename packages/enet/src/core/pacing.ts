// Core: the host's send pacer — a token bucket that holds payload-bearing commands back so a
// host with `outgoingBandwidth` set really sends at most that many bytes per second (issue #3).

/**
 * Burst the bucket may hold, in ms of the host's outgoing bandwidth. 100 ms lets a datagram
 * or two through at once at low rates without letting a 5-second average drift above the
 * limit by more than 2 % (50 kB/s: 5 000-byte bucket against 250 000 bytes in 5 s).
 */
const BURST_MS = 100;
/** The bucket always holds at least one largest datagram (enet-protocol.md §1 MAXIMUM_MTU). */
const MIN_BURST_BYTES = 4096;

/**
 * Why this exists: libenet's `outgoingBandwidth` only shrinks the reliable window to 4 KiB
 * and throttles unreliable sends (§9.3); on a short path a "50 kB/s" libenet host still sends
 * megabytes per second (measured: 1 MB in under 2.5 s on loopback). meshpunch adds a real
 * rate limit on top. Sending less than libenet would is always wire-compatible.
 *
 * Every datagram the host emits is charged (ACKs and headers included); payload-bearing
 * commands (first sends and retransmissions) wait while the bucket is short. Control commands
 * and ACKs are never held, so connections, pings and disconnects are not delayed.
 */
export class SendPacer {
  /** Bytes that may be sent now; negative after an overshoot of at most one datagram. */
  budget = 0;
  /** When `budget` was last refilled (host ms), -1 = never. */
  refilledAt = -1;
  /** Host ms at which held data fits again, -1 = nothing held. Reported by pollTimeout. */
  wakeAt = -1;

  /** Adds what `rate` bytes/s earned since the last refill, up to the burst. */
  refill(rate: number, now: number): void {
    const cap = Math.max(MIN_BURST_BYTES, Math.floor((rate * BURST_MS) / 1000));
    if (this.refilledAt < 0) this.budget = cap;
    else if (now > this.refilledAt) this.budget = Math.min(cap, this.budget + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    if (this.wakeAt >= 0 && this.wakeAt <= now) this.wakeAt = -1;
  }

  /**
   * Whether `bytes` more fit after the `pending` bytes already packed into the datagram under
   * construction; if not, records when they will (for pollTimeout).
   */
  allows(rate: number, pending: number, bytes: number, now: number): boolean {
    const short = pending + bytes - this.budget;
    if (short <= 0) return true;
    const at = now + Math.max(1, Math.ceil((short * 1000) / rate));
    if (this.wakeAt < 0 || at < this.wakeAt) this.wakeAt = at;
    return false;
  }

  /** Charges one emitted datagram. */
  charge(bytes: number): void {
    this.budget -= bytes;
  }
}
