// Sub-millisecond RTT of the punch checks (adapter): wraps the link's DatagramTransport, stamps
// each STUN Binding request it sends with performance.now() and matches the success response by
// transaction id. The punch core runs on integer milliseconds (docs/design.md §2), so its own RTT is
// always whole; the link's reported rttMs has 0.1 ms resolution from here (issue #12 item 10).
import type { DatagramSource, DatagramTransport } from '@meshpunch/nat';

/** Outstanding requests remembered; the punch paces a few probes per candidate, 64 covers 16 candidates × 4 tries. */
const MAX_OUTSTANDING = 64;
/** RFC 8489 §5: magic cookie at bytes 4..7; types 0x0001 Binding request, 0x0101 Binding success. */
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;

function stunType(bytes: Uint8Array): number | undefined {
  if (bytes.length < 20) return undefined;
  const cookie = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  return cookie === MAGIC_COOKIE ? (bytes[0]! << 8) | bytes[1]! : undefined;
}

function transactionId(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + 8, 12).toString('hex');
}

/** A transport that measures each Binding transaction's RTT at the clock's resolution. */
export class TimedTransport implements DatagramTransport {
  readonly #inner: DatagramTransport;
  readonly #now: () => number;
  readonly #sent = new Map<string, { at: number; to: string }>();
  readonly #firstRtt = new Map<string, number>();

  /** @param now a monotonic clock in ms with sub-ms resolution (default performance.now) */
  constructor(inner: DatagramTransport, now: () => number = () => performance.now()) {
    this.#inner = inner;
    this.#now = now;
  }

  send(address: string, port: number, bytes: Uint8Array): void {
    if (stunType(bytes) === BINDING_REQUEST) {
      if (this.#sent.size >= MAX_OUTSTANDING) this.#sent.delete(this.#sent.keys().next().value!);
      this.#sent.set(transactionId(bytes), { at: this.#now(), to: `${address}|${port}` });
    }
    this.#inner.send(address, port, bytes);
  }

  onStun(handler: (bytes: Uint8Array, from: DatagramSource) => void): () => void {
    return this.#inner.onStun((bytes, from) => {
      if (stunType(bytes) === BINDING_SUCCESS) {
        const id = transactionId(bytes);
        const req = this.#sent.get(id);
        if (req !== undefined) {
          this.#sent.delete(id);
          // The first answer per destination proves that path (the punch selects on it).
          if (!this.#firstRtt.has(req.to) && this.#firstRtt.size < MAX_OUTSTANDING) this.#firstRtt.set(req.to, this.#now() - req.at);
        }
      }
      handler(bytes, from);
    });
  }

  /** RTT in ms of the first answered Binding request sent to `address:port`, or undefined. */
  firstRttTo(address: string, port: number): number | undefined {
    return this.#firstRtt.get(`${address}|${port}`);
  }
}
