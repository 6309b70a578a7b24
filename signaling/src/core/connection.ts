// Per-connection state the core keeps: handshake, rate limit, RTT and clock offset (core).
import { TokenBucket } from '@meshpunch/base';
import type { Member } from './lobby.js';

/** Lifecycle of a connection: `new` until hello, `ready` after. */
export type ConnectionPhase = 'new' | 'ready';

/** One WebSocket as the core sees it. The adapter names it by a number. */
export class Connection {
  readonly id: number;
  readonly ip: string;
  phase: ConnectionPhase = 'new';
  name: string | undefined = undefined;
  member: Member | null = null;
  /** The client offered the `restore` capability: its lobby answers carry the lobby key. */
  restoreCap = false;
  /**
   * The client offered the `link-view` capability: its lobby views list the lobby's links (1.8).
   * The others get `links: []`: in a lobby of n the list has n(n-1)/2 entries, 2 KB of a tenth
   * member's 2.5 KB `lobby.joined`, which a client that does not show links parses for nothing.
   */
  linkView = false;
  lastSeen: number;
  readonly bucket: TokenBucket;
  /** Messages refused by the rate limit since the last accepted one. */
  rateStrikes = 0;
  /** Malformed messages in a row. */
  badInRow = 0;
  /** Bumped to cancel the pending heartbeat deadline. */
  timerGen = 0;
  /** Number of the heartbeat waiting for its ack, and when it was sent (service ms). */
  hbN = 0;
  hbSentAt = -1;
  /** Smoothed RTT (ms), or -1 before the first sample. RFC 6298 §2 weights (1/8). */
  srtt = -1;
  /** Lowest RTT seen recently (ms); the offset is taken from that sample. */
  minRtt = Number.POSITIVE_INFINITY;
  /** Estimated client clock − service clock (ms), or undefined before the first sample. */
  offsetMs: number | undefined = undefined;

  constructor(id: number, ip: string, now: number, burst: number) {
    this.id = id;
    this.ip = ip;
    this.lastSeen = now;
    this.bucket = new TokenBucket(burst, now);
  }

  /**
   * Records one heartbeat round trip.
   * @param now service time the ack arrived
   * @param local client clock when it sent the ack
   */
  sampleRtt(now: number, local: number): void {
    const sent = this.hbSentAt;
    const rtt = now - sent;
    this.hbSentAt = -1;
    this.srtt = this.srtt < 0 ? rtt : Math.round(this.srtt * 0.875 + rtt * 0.125);
    // The sample with the lowest RTT has the least asymmetric-delay error. Let the minimum age
    // by 1 ms per sample so a route change can replace it (NTP-style clock filter, simplified).
    this.minRtt += 1;
    if (rtt <= this.minRtt) {
      this.minRtt = rtt;
      this.offsetMs = Math.round(local - (sent + rtt / 2));
    }
  }
}
