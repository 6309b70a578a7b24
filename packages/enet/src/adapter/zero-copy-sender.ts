// Adapter: the zero-copy send path of ENet's datagrams (docs/design.md §5 rule 6). The core
// encodes each datagram into `scratch` and it leaves from there without a copy; one send per
// SEND_PROBE_INTERVAL_MS carries a callback, the only way node:dgram reports a failed send.
import { MAX_DATAGRAM_SIZE } from '../core/constants.js';
import type { HostSocket } from './host-socket.js';

/**
 * At most one ENet datagram per this many ms is sent with a callback, the only way node:dgram
 * reports a failed send. 1 s: a failing socket surfaces well inside ENet's smallest peer timeout
 * (5 000 ms), at the cost of one deferred send per second instead of one per datagram.
 */
const SEND_PROBE_INTERVAL_MS = 1000;

/**
 * A scratch buffer: a plain Uint8Array, not a Buffer. The core writes every datagram into it with
 * typed-array methods, and V8 loads those through its generic property-load stub on a Buffer
 * (Buffer.prototype sits between the instance and Uint8Array.prototype) but inline on a
 * Uint8Array. One per host, plus one per send node:dgram had to queue.
 */
function newScratch(): Uint8Array {
  return new Uint8Array(MAX_DATAGRAM_SIZE);
}

export class ZeroCopySender {
  /**
   * The core encodes every datagram here and it is sent from here without a copy; replaced
   * only when node:dgram queued a send that still references it (see send).
   */
  #scratch = newScratch();
  /** The last view of `#scratch` handed to node:dgram (reused while the length repeats). */
  #view: Uint8Array | null = null;
  /** When the next datagram is sent with a callback (ms, the caller's monotonic clock). */
  #probeAt = 0;
  /** The probe send's callback, made once per host (no closure per send). */
  readonly #onProbeSent: (err: Error | null) => void;
  /** Counts scratch swaps (ENetConnection.queuedScratchSwaps: it outlives a host). */
  readonly #counts: { queuedScratchSwaps: number };

  /** `failed` hears a probe send that failed. */
  constructor(failed: (err: Error) => void, counts: { queuedScratchSwaps: number }) {
    this.#counts = counts;
    this.#onProbeSent = (err) => {
      if (err) failed(err);
    };
  }

  /** Where the core encodes the next datagram. */
  get scratch(): Uint8Array {
    return this.#scratch;
  }

  /** The first `n` bytes of the scratch (one view per datagram length: bulk traffic repeats a few). */
  view(n: number): Uint8Array {
    let bytes = this.#view;
    if (bytes === null || bytes.length !== n) {
      const scratch = this.#scratch;
      bytes = new Uint8Array(scratch.buffer, scratch.byteOffset, n);
      this.#view = bytes;
    }
    return bytes;
  }

  /** Sends `bytes` (a `view` of the scratch) to a canonical address at `now` (ms). */
  send(socket: HostSocket, bytes: Uint8Array, port: number, address: string, now: number): void {
    // node:dgram may read the bytes after send() returns, but only when it queued the datagram:
    // a send that completed synchronously (the usual case; the literal lookup answers at once,
    // so the write is tried inside send()) keeps no reference. When it was queued, the queued
    // request owns this scratch, so the core gets a fresh one. No callback: it would cost a tick
    // per datagram; failed sends are not reported without one, so one send per
    // SEND_PROBE_INTERVAL_MS carries one and a failing socket still becomes an ERROR event
    // (godot-enet.md §5.4).
    let queued: boolean;
    if (now < this.#probeAt) queued = socket.sendInPlace(bytes, port, address);
    else {
      this.#probeAt = now + SEND_PROBE_INTERVAL_MS;
      queued = socket.sendInPlace(bytes, port, address, this.#onProbeSent);
    }
    if (queued) {
      this.#scratch = newScratch();
      this.#view = null;
      this.#counts.queuedScratchSwaps++;
    }
  }
}
