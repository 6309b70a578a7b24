// The sending half of the record layer (core): per-epoch sequence numbers, epoch-1 protection,
// and packing a handshake flight into MTU-sized datagrams with message fragmentation
// (RFC 6347 §4.1 records, §4.2.3 fragmentation, §4.2.4 flights are retransmitted whole).
import { ContentType, DTLS_1_2, HANDSHAKE_HEADER_LENGTH, RECORD_HEADER_LENGTH } from './constants.js';
import { MAX_RECORD_SEQUENCE, writeRecordHeader, type RecordProtection } from './record.js';

/** One message of a flight: a whole handshake message (header + body), or a ChangeCipherSpec. */
export interface FlightEntry {
  contentType: number;
  epoch: number;
  data: Uint8Array;
}

/** Scratch size for one record: the largest plaintext plus AEAD overhead plus header. */
const SCRATCH = 16384 + 2048;

export class RecordWriter {
  readonly #mtu: number;
  /** Next sequence number per epoch (0 and 1; we never renegotiate, RFC 5746 is only signalled). */
  readonly #seq = [0, 0];
  #prot: RecordProtection | undefined = undefined;
  readonly #scratch = new Uint8Array(SCRATCH);

  constructor(mtu: number) {
    this.#mtu = mtu;
  }

  /** Installs epoch-1 write protection (after our ChangeCipherSpec). */
  setProtection(prot: RecordProtection): void {
    this.#prot = prot;
  }

  get isProtected(): boolean {
    return this.#prot !== undefined;
  }

  /** Bytes a record in `epoch` adds to its payload. */
  overhead(epoch: number): number {
    return RECORD_HEADER_LENGTH + (epoch === 1 && this.#prot !== undefined ? this.#prot.overhead : 0);
  }

  /** Continues epoch-0 numbering from `seq` (a server after a stateless HelloVerifyRequest). */
  setEpoch0Seq(seq: number): void {
    this.#seq[0] = seq;
  }

  /**
   * Encodes one record into a new array; undefined when the epoch has no keys or its sequence
   * numbers are exhausted (RFC 6347 §4.1: a sender must not wrap them).
   */
  record(type: number, epoch: number, payload: Uint8Array): Uint8Array | undefined {
    const seq = this.#seq[epoch]!;
    if (seq > MAX_RECORD_SEQUENCE) return undefined;
    this.#seq[epoch] = seq + 1;
    if (epoch === 0) {
      const out = new Uint8Array(RECORD_HEADER_LENGTH + payload.length);
      writeRecordHeader(out, 0, type, DTLS_1_2, 0, seq, payload.length);
      out.set(payload, RECORD_HEADER_LENGTH);
      return out;
    }
    if (this.#prot === undefined) return undefined;
    const n = this.#prot.seal(this.#scratch, 0, type, DTLS_1_2, 1, seq, payload);
    return this.#scratch.slice(0, n);
  }

  /**
   * Seals one epoch-1 record straight into `out` (no copy, no allocation: the hot path of
   * application data); returns its length, or 0 when there are no keys, the sequence numbers are
   * exhausted or `out` is too small.
   */
  recordInto(out: Uint8Array, type: number, payload: Uint8Array): number {
    const prot = this.#prot;
    const seq = this.#seq[1]!;
    if (prot === undefined || seq > MAX_RECORD_SEQUENCE || out.length < RECORD_HEADER_LENGTH + prot.overhead + payload.length) return 0;
    this.#seq[1] = seq + 1;
    return prot.seal(out, 0, type, DTLS_1_2, 1, seq, payload);
  }

  /** Encodes a flight into datagrams no larger than the MTU, fragmenting handshake messages. */
  flight(entries: readonly FlightEntry[], emit: (datagram: Uint8Array) => void): void {
    const mtu = this.#mtu;
    let parts: Uint8Array[] = [];
    let used = 0;
    const push = (rec: Uint8Array | undefined): void => {
      if (rec === undefined) return;
      if (used + rec.length > mtu && parts.length > 0) {
        emit(joinParts(parts, used));
        parts = [];
        used = 0;
      }
      parts.push(rec);
      used += rec.length;
    };
    for (const e of entries) {
      if (e.contentType !== ContentType.Handshake) {
        push(this.record(e.contentType, e.epoch, e.data));
        continue;
      }
      const body = e.data.subarray(HANDSHAKE_HEADER_LENGTH);
      const room = Math.max(1, mtu - this.overhead(e.epoch) - HANDSHAKE_HEADER_LENGTH);
      for (let off = 0; off === 0 || off < body.length; off += room) {
        const frag = body.subarray(off, Math.min(body.length, off + room));
        const payload = new Uint8Array(HANDSHAKE_HEADER_LENGTH + frag.length);
        payload.set(e.data.subarray(0, 9), 0);
        payload[6] = (off >>> 16) & 0xff;
        payload[7] = (off >>> 8) & 0xff;
        payload[8] = off & 0xff;
        payload[9] = (frag.length >>> 16) & 0xff;
        payload[10] = (frag.length >>> 8) & 0xff;
        payload[11] = frag.length & 0xff;
        payload.set(frag, HANDSHAKE_HEADER_LENGTH);
        push(this.record(ContentType.Handshake, e.epoch, payload));
        if (body.length === 0) break;
      }
    }
    if (parts.length > 0) emit(joinParts(parts, used));
  }
}

function joinParts(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
