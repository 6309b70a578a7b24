// The TURN server core's outgoing datagrams (core): a bounded queue of pooled records, encoded when
// the driver polls — verbatim answers, ChannelData, or Data indications (RFC 8656 §11.4, §12.4).
import { StunClass, TRANSACTION_ID_LENGTH } from '../stun/constants.js';
import { StunWriter } from '../stun/writer.js';
import { CHANNEL_DATA_HEADER, TurnAttr, TurnMethod } from './constants.js';
import type { TurnTransmitParts, TurnTransmitTarget } from './turn-server-events.js';

/** One queued datagram. Kind 0: `bytes` verbatim; 1: ChannelData of `bytes` on `channel`; 2: Data indication. */
interface Transmit {
  kind: 0 | 1 | 2;
  address: string;
  port: number;
  relayPort: number;
  bytes: Uint8Array;
  channel: number;
  peerAddress: string;
  peerPort: number;
}

/** Pooled Transmit records kept: a drain moves a handful per input, 64 covers bursts. */
const POOL_MAX = 64;
const EMPTY = new Uint8Array(0);
/**
 * Bytes a Data indication adds to its payload: header 20, XOR-PEER-ADDRESS 12 (IPv4), DATA
 * header 4, FINGERPRINT 8; plus up to 3 bytes padding the payload to 4.
 */
const DATA_INDICATION_OVERHEAD = 44;

/** What the queue needs of its server: the cap, the randomness for indications' ids, the drop counter. */
export interface TransmitQueueOptions {
  readonly maxQueued: number;
  readonly random: (out: Uint8Array) => void;
  /** `transmitsDropped` counts datagrams dropped on a full queue or too big for the caller's buffer. */
  readonly counters: { transmitsDropped: number };
}

/** Datagrams waiting for the driver's `pollTransmit`/`pollTransmitParts`, in order. */
export class TurnTransmitQueue {
  readonly #options: TransmitQueueOptions;
  readonly #queue: Transmit[] = [];
  /** Spent Transmit records, reused so the relay path allocates nothing per datagram (docs/design.md §5.1). */
  readonly #pool: Transmit[] = [];
  readonly #txid = new Uint8Array(TRANSACTION_ID_LENGTH);
  #writerOut: Uint8Array | undefined = undefined;
  #writer: StunWriter | undefined = undefined;

  constructor(options: TransmitQueueOptions) {
    this.#options = options;
  }

  /** Datagrams queued. */
  get length(): number {
    return this.#queue.length;
  }

  /** Forgets every queued datagram. */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Queues one datagram (dropped and counted when the queue is full); `bytes` is kept, not copied. */
  push(kind: 0 | 1 | 2, address: string, port: number, relayPort: number, bytes: Uint8Array, channel: number, peerAddress: string, peerPort: number): void {
    if (this.#queue.length >= this.#options.maxQueued) {
      this.#options.counters.transmitsDropped++;
      return;
    }
    const t = this.#pool.pop();
    if (t === undefined) {
      this.#queue.push({ kind, address, port, relayPort, bytes, channel, peerAddress, peerPort });
      return;
    }
    t.kind = kind;
    t.address = address;
    t.port = port;
    t.relayPort = relayPort;
    t.bytes = bytes;
    t.channel = channel;
    t.peerAddress = peerAddress;
    t.peerPort = peerPort;
    this.#queue.push(t);
  }

  /** Encodes the next datagram into `out`, fills `to` (with the socket to send from), returns the length or 0. */
  pollTransmit(out: Uint8Array, to: TurnTransmitTarget): number {
    const t = this.#queue.shift();
    if (t === undefined) return 0;
    to.address = t.address;
    to.port = t.port;
    to.relayPort = t.relayPort;
    const n = this.#encode(t, out);
    // Drop the references (the datagram's bytes) before the record waits in the pool.
    t.bytes = EMPTY;
    if (this.#pool.length < POOL_MAX) this.#pool.push(t);
    return n;
  }

  /** The zero-copy form of `pollTransmit`: see TurnServerCore.pollTransmitParts. */
  pollTransmitParts(to: TurnTransmitParts): Uint8Array | undefined {
    const t = this.#queue.shift();
    if (t === undefined) return undefined;
    to.address = t.address;
    to.port = t.port;
    to.relayPort = t.relayPort;
    to.channel = t.kind === 1 ? t.channel : 0;
    let body = t.bytes;
    if (t.kind === 2) {
      // Data indications come before a ChannelBind only: rare enough to get their own buffer.
      const out = new Uint8Array(DATA_INDICATION_OVERHEAD + 3 + t.bytes.length);
      const n = this.#encode(t, out);
      body = out.subarray(0, n);
    }
    t.bytes = EMPTY;
    if (this.#pool.length < POOL_MAX) this.#pool.push(t);
    return body;
  }

  #encode(t: Transmit, out: Uint8Array): number {
    if (t.kind === 0) {
      if (t.bytes.length > out.length) return this.#tooBig();
      out.set(t.bytes, 0);
      return t.bytes.length;
    }
    if (t.kind === 1) {
      const n = CHANNEL_DATA_HEADER + t.bytes.length;
      if (n > out.length) return this.#tooBig();
      out[0] = t.channel >> 8;
      out[1] = t.channel & 0xff;
      out[2] = t.bytes.length >> 8;
      out[3] = t.bytes.length & 0xff;
      out.set(t.bytes, CHANNEL_DATA_HEADER);
      return n;
    }
    if (DATA_INDICATION_OVERHEAD + t.bytes.length > out.length) return this.#tooBig();
    this.#options.random(this.#txid);
    const w = this.#writerFor(out).begin(StunClass.Indication, TurnMethod.Data, this.#txid);
    w.addXorAddress(TurnAttr.XorPeerAddress, t.peerAddress, t.peerPort);
    w.addAttribute(TurnAttr.Data, t.bytes);
    w.addFingerprint();
    return w.length;
  }

  #tooBig(): number {
    this.#options.counters.transmitsDropped++;
    return 0;
  }

  #writerFor(out: Uint8Array): StunWriter {
    if (this.#writerOut !== out || this.#writer === undefined) {
      this.#writer = new StunWriter(out);
      this.#writerOut = out;
    }
    return this.#writer;
  }
}
