// DTLS 1.2 records (core): header codec and AEAD protection of one record (RFC 6347 §4.1,
// RFC 5246 §6.2.3.3, RFC 5288 §3 for AES-GCM nonces, RFC 7905 §2 for ChaCha20-Poly1305 nonces).
//
//   0      1      3      5              11     13
//   +------+------+------+--------------+------+----------------
//   | type | ver  |epoch | sequence(48) | len  | fragment (len)
//   +------+------+------+--------------+------+----------------
import { AEAD_TAG_LENGTH, CipherSuite, MAX_CIPHERTEXT, RECORD_HEADER_LENGTH, suiteKeyLengths, type CipherSuiteId } from './constants.js';
import type { Aead } from './crypto-provider.js';

const TWO_32 = 0x1_0000_0000;
/** Largest 48-bit record sequence number (RFC 6347 §4.1); a sender must not wrap it. */
export const MAX_RECORD_SEQUENCE = 0xffff_ffff_ffff;

/** One parsed record header; `fragment` is a view into the datagram. */
export interface RecordView {
  type: number;
  version: number;
  epoch: number;
  seq: number;
  /** The 13 header bytes (a view), kept for the AAD. */
  header: Uint8Array;
  fragment: Uint8Array;
}

/**
 * Reads the record at `offset` of `dg` into `out`; returns the offset after it, or -1 when the
 * header is truncated or the length runs past the datagram (the rest of the datagram is dropped).
 */
export function readRecord(dg: Uint8Array, offset: number, out: RecordView): number {
  if (offset + RECORD_HEADER_LENGTH > dg.length) return -1;
  const len = (dg[offset + 11]! << 8) | dg[offset + 12]!;
  const end = offset + RECORD_HEADER_LENGTH + len;
  if (end > dg.length || len > MAX_CIPHERTEXT) return -1;
  out.type = dg[offset]!;
  out.version = (dg[offset + 1]! << 8) | dg[offset + 2]!;
  out.epoch = (dg[offset + 3]! << 8) | dg[offset + 4]!;
  out.seq = readSequence(dg, offset);
  out.header = dg.subarray(offset, offset + RECORD_HEADER_LENGTH);
  out.fragment = dg.subarray(offset + RECORD_HEADER_LENGTH, end);
  return end;
}

/** The 48-bit sequence number of the record header at `offset`. */
export function readSequence(dg: Uint8Array, offset: number): number {
  return ((dg[offset + 5]! << 8) | dg[offset + 6]!) * TWO_32 + (((dg[offset + 7]! << 24) | (dg[offset + 8]! << 16) | (dg[offset + 9]! << 8) | dg[offset + 10]!) >>> 0);
}

/** Writes epoch(16) + sequence(48) at `off`. */
export function writeEpochSeq(buf: Uint8Array, off: number, epoch: number, seq: number): void {
  const hi = Math.floor(seq / TWO_32);
  const lo = seq >>> 0;
  buf[off] = (epoch >>> 8) & 0xff;
  buf[off + 1] = epoch & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  buf[off + 4] = (lo >>> 24) & 0xff;
  buf[off + 5] = (lo >>> 16) & 0xff;
  buf[off + 6] = (lo >>> 8) & 0xff;
  buf[off + 7] = lo & 0xff;
}

/** Writes a 13-byte record header at `off` of `buf`. */
export function writeRecordHeader(buf: Uint8Array, off: number, type: number, version: number, epoch: number, seq: number, length: number): void {
  buf[off] = type;
  buf[off + 1] = (version >>> 8) & 0xff;
  buf[off + 2] = version & 0xff;
  writeEpochSeq(buf, off + 3, epoch, seq);
  buf[off + 11] = (length >>> 8) & 0xff;
  buf[off + 12] = length & 0xff;
}

/** The AEAD state of one direction of one epoch. */
export class RecordProtection {
  readonly suite: CipherSuiteId;
  readonly aead: Aead;
  readonly iv: Uint8Array;
  readonly explicitNonce: number;
  /** Scratch: nonce and AAD, reused per record; the nonce's first 4 bytes are fixed per epoch. */
  readonly #nonce = new Uint8Array(12);
  readonly #aad = new Uint8Array(13);
  /** XORed over epoch‖seq for the nonce's last 8 bytes: zeros (AES-GCM, RFC 5288 §3) or the IV's tail (ChaCha20, RFC 7905 §2). */
  readonly #ivTail: Uint8Array;

  constructor(suite: CipherSuiteId, aead: Aead, iv: Uint8Array) {
    this.suite = suite;
    this.aead = aead;
    this.iv = iv;
    this.explicitNonce = suiteKeyLengths(suite).explicitNonce;
    this.#nonce.set(iv.subarray(0, 4), 0);
    this.#ivTail = suite === CipherSuite.EcdheEcdsaAes128GcmSha256 ? new Uint8Array(8) : iv.slice(4, 12);
  }

  /** Bytes a protected record adds to its plaintext. */
  get overhead(): number {
    return this.explicitNonce + AEAD_TAG_LENGTH;
  }

  /** The AAD (epoch‖seq, type, version, length; RFC 5246 §6.2.3.3) and the nonce for one record. */
  #prepare(type: number, version: number, epoch: number, seq: number, plainLength: number): void {
    const a = this.#aad;
    writeEpochSeq(a, 0, epoch, seq);
    a[8] = type;
    a[9] = (version >>> 8) & 0xff;
    a[10] = version & 0xff;
    a[11] = (plainLength >>> 8) & 0xff;
    a[12] = plainLength & 0xff;
    const n = this.#nonce;
    const t = this.#ivTail;
    for (let i = 0; i < 8; i++) n[4 + i] = a[i]! ^ t[i]!;
  }

  /** Encodes a whole protected record (header included) into `out` at `off`; returns its length. */
  seal(out: Uint8Array, off: number, type: number, version: number, epoch: number, seq: number, plaintext: Uint8Array): number {
    this.#prepare(type, version, epoch, seq, plaintext.length);
    const sealedLength = this.aead.seal(this.#nonce, this.#aad, plaintext, out, off + RECORD_HEADER_LENGTH + this.explicitNonce);
    const len = this.explicitNonce + sealedLength;
    writeRecordHeader(out, off, type, version, epoch, seq, len);
    for (let i = 0; i < this.explicitNonce; i++) out[off + RECORD_HEADER_LENGTH + i] = this.#nonce[4 + i]!;
    return RECORD_HEADER_LENGTH + len;
  }

  /**
   * Decrypts in place the record whose `fragmentLength`-byte fragment starts at `off` of `dg`
   * (header fields given): returns the plaintext's length, the plaintext starting at
   * `off + explicitNonce`; -1 when too short or the tag fails (`dg` is then unchanged).
   */
  openInPlace(dg: Uint8Array, off: number, fragmentLength: number, type: number, version: number, epoch: number, seq: number): number {
    const e = this.explicitNonce;
    if (fragmentLength < this.overhead) return -1;
    this.#prepare(type, version, epoch, seq, fragmentLength - this.overhead);
    for (let i = 0; i < e; i++) this.#nonce[4 + i] = dg[off + i]!;
    return this.aead.openInPlace(this.#nonce, this.#aad, dg, off + e, fragmentLength - e);
  }

  /** Decrypts a record's fragment; undefined when too short or the tag fails. */
  open(rec: RecordView): Uint8Array | undefined {
    const f = rec.fragment;
    if (f.length < this.overhead) return undefined;
    const plainLength = f.length - this.overhead;
    this.#prepare(rec.type, rec.version, rec.epoch, rec.seq, plainLength);
    if (this.explicitNonce > 0) this.#nonce.set(f.subarray(0, this.explicitNonce), 4);
    return this.aead.open(this.#nonce, this.#aad, f.subarray(this.explicitNonce));
  }
}
