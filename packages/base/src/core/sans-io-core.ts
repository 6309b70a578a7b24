// The contract of a sans-IO protocol core (docs/design.md §2), defined once (issue #15: the
// simulator's SansIoCore and nat's RunnableCore were two copies): datagrams and time in, datagrams
// and a next deadline out. The simulator and every adapter's runner drive any object of this shape.

/** A UDP transport address: IPv4 dotted quad or IPv6 text, and a port 0..65535. */
export interface Endpoint {
  address: string;
  port: number;
}

/** A reusable record a core fills in `pollTransmit` (avoids an allocation per datagram). */
export interface MutableEndpoint {
  address: string;
  port: number;
}

/**
 * A sans-IO core. `now` is integer ms on a monotonic clock the caller owns; a `handleTimeout`
 * before any deadline does nothing. `handleDatagram` may return whether the datagram was the
 * core's (a demultiplexing caller uses it); the runners ignore the result.
 */
export interface SansIoCore {
  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): unknown;
  handleTimeout(now: number): void;
  /** Encodes the next datagram into `out`, fills `to`, returns its length or 0 when none is due. */
  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number;
  /** Absolute ms of the next deadline, or undefined when nothing is scheduled. */
  pollTimeout(): number | undefined;
}
