// Core types shared by the simulator and by every sans-IO core it drives (no I/O here).

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
 * The contract of a sans-IO protocol core (docs/design.md §2): datagrams and time in,
 * datagrams and a next deadline out. The simulator drives any object of this shape.
 */
export interface SansIoCore {
  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void;
  handleTimeout(now: number): void;
  /** Encodes the next datagram into `out`, fills `to`, returns its length or 0 when none is due. */
  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number;
  /** Absolute ms of the next deadline, or undefined when nothing is scheduled. */
  pollTimeout(): number | undefined;
}

/** `"1.2.3.4:5"` or `"[::1]:5"`, for traces and map keys in tests. */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
