// Encodes STUN messages into a caller's buffer (RFC 8489 §5, §14) — core, no I/O.
// One writer per buffer; `begin` starts a message, each `add…` appends an attribute (zero padding),
// `addMessageIntegrity` and `addFingerprint` come last, in that order (RFC 8489 §14.5, §14.7).
import { NatError } from '../../errors.js';
import { parseIpv4Into, parseIpv6Into } from '@meshpunch/base';
import {
  AddressFamily,
  CHANGE_IP,
  CHANGE_PORT,
  FINGERPRINT_XOR,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  MESSAGE_INTEGRITY_LENGTH,
  StunAttr,
  TRANSACTION_ID_LENGTH,
  messageType,
  type StunClass,
} from './constants.js';
import { crc32 } from '@meshpunch/base';
import type { HmacSha1 } from './integrity.js';

const utf8 = new TextEncoder();

/** Writes one STUN message at a time into `out`; reuse it for every message on that buffer. */
export class StunWriter {
  readonly out: Uint8Array;
  #view: DataView;
  #pos: number;

  /** @param out the buffer messages are written into (from offset 0). */
  constructor(out: Uint8Array) {
    this.out = out;
    this.#view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    this.#pos = 0;
  }

  /** Bytes written so far for the current message (the datagram length once finished). */
  get length(): number {
    return this.#pos;
  }

  /** The encoded message so far, as a view into `out`. */
  bytes(): Uint8Array {
    return this.out.subarray(0, this.#pos);
  }

  /**
   * Starts a message: header with `method`, `cls` and the 12-byte `transactionId`.
   * @throws NatError ERR_INVALID_PARAMETER when the id is not 12 bytes or the buffer is under 20 bytes.
   */
  begin(cls: StunClass, method: number, transactionId: Uint8Array): this {
    if (transactionId.length !== TRANSACTION_ID_LENGTH) {
      throw new NatError('ERR_INVALID_PARAMETER', `transactionId must be 12 bytes, got ${transactionId.length}`, {
        got: transactionId.length,
      });
    }
    this.#pos = 0;
    this.#ensure(HEADER_LENGTH);
    this.#view.setUint16(0, messageType(method, cls));
    this.#view.setUint16(2, 0);
    this.#view.setUint32(4, MAGIC_COOKIE);
    this.out.set(transactionId, 8);
    this.#pos = HEADER_LENGTH;
    return this;
  }

  /** Appends an attribute with a raw value, zero-padded to 4 bytes. */
  addAttribute(type: number, value: Uint8Array): this {
    const start = this.#header(type, value.length);
    this.out.set(value, start);
    this.#finishValue(start, value.length);
    return this;
  }

  /** Appends a UTF-8 text attribute (USERNAME, SOFTWARE, REALM, NONCE). */
  addString(type: number, text: string): this {
    return this.addAttribute(type, utf8.encode(text));
  }

  /** Appends a 32-bit attribute (PRIORITY, RFC 8445 §7.1.1). */
  addUint32(type: number, value: number): this {
    const start = this.#header(type, 4);
    this.#view.setUint32(start, value >>> 0);
    this.#finishValue(start, 4);
    return this;
  }

  /** Appends a 64-bit attribute given as 8 bytes (ICE-CONTROLLING/ICE-CONTROLLED tie-breaker). */
  addBytes8(type: number, value: Uint8Array): this {
    if (value.length !== 8) throw new NatError('ERR_INVALID_PARAMETER', `value must be 8 bytes, got ${value.length}`);
    return this.addAttribute(type, value);
  }

  /** Appends a zero-length attribute (USE-CANDIDATE, RFC 8445 §7.1.2). */
  addFlag(type: number): this {
    const start = this.#header(type, 0);
    this.#finishValue(start, 0);
    return this;
  }

  /**
   * Appends a MAPPED-ADDRESS-shaped attribute (MAPPED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN).
   * @throws NatError ERR_INVALID_PARAMETER when `address` is not an IP literal or `port` not 0..65535.
   */
  addAddress(type: number, address: string, port: number): this {
    return this.#address(type, address, port, false);
  }

  /** Appends XOR-MAPPED-ADDRESS-shaped attribute (RFC 8489 §14.2) for `address:port`. */
  addXorAddress(type: number, address: string, port: number): this {
    return this.#address(type, address, port, true);
  }

  /** Appends CHANGE-REQUEST (RFC 5780 §7.2). */
  addChangeRequest(changeIp: boolean, changePort: boolean): this {
    return this.addUint32(StunAttr.ChangeRequest, (changeIp ? CHANGE_IP : 0) | (changePort ? CHANGE_PORT : 0));
  }

  /**
   * Appends ERROR-CODE (RFC 8489 §14.8).
   * @throws NatError ERR_INVALID_PARAMETER when `code` is outside 300..699.
   */
  addErrorCode(code: number, reason: string): this {
    if (!Number.isInteger(code) || code < 300 || code > 699) {
      throw new NatError('ERR_INVALID_PARAMETER', `error code must be 300..699, got ${code}`, { got: code });
    }
    const text = utf8.encode(reason);
    const start = this.#header(StunAttr.ErrorCode, 4 + text.length);
    this.#view.setUint16(start, 0);
    this.out[start + 2] = Math.floor(code / 100);
    this.out[start + 3] = code % 100;
    this.out.set(text, start + 4);
    this.#finishValue(start, 4 + text.length);
    return this;
  }

  /** Appends UNKNOWN-ATTRIBUTES (RFC 8489 §14.9) listing `types`. */
  addUnknownAttributes(types: readonly number[]): this {
    const start = this.#header(StunAttr.UnknownAttributes, 2 * types.length);
    for (let i = 0; i < types.length; i++) this.#view.setUint16(start + 2 * i, types[i]! & 0xffff);
    this.#finishValue(start, 2 * types.length);
    return this;
  }

  /**
   * Appends MESSAGE-INTEGRITY: HMAC-SHA1 with `key` over the message so far, the header length
   * already counting this attribute (RFC 8489 §14.5).
   */
  addMessageIntegrity(key: Uint8Array, hmacSha1: HmacSha1): this {
    const start = this.#header(StunAttr.MessageIntegrity, MESSAGE_INTEGRITY_LENGTH);
    // #header already set the length field to include this attribute.
    const digest = hmacSha1(key, [this.out.subarray(0, start - 4)]);
    if (digest.length < MESSAGE_INTEGRITY_LENGTH) {
      throw new NatError('ERR_INVALID_PARAMETER', `hmacSha1 must return 20 bytes, got ${digest.length}`);
    }
    this.out.set(digest.subarray(0, MESSAGE_INTEGRITY_LENGTH), start);
    this.#finishValue(start, MESSAGE_INTEGRITY_LENGTH);
    return this;
  }

  /** Appends FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message so far XOR 0x5354554e. Must be last. */
  addFingerprint(): this {
    const start = this.#header(StunAttr.Fingerprint, 4);
    const crc = (crc32(this.out.subarray(0, start - 4)) ^ FINGERPRINT_XOR) >>> 0;
    this.#view.setUint32(start, crc);
    this.#finishValue(start, 4);
    return this;
  }

  #address(type: number, address: string, port: number, xor: boolean): this {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new NatError('ERR_INVALID_PARAMETER', `port must be 0..65535, got ${port}`, { got: port });
    }
    const v6 = address.includes(':');
    const len = v6 ? 20 : 8;
    const start = this.#header(type, len);
    const ok = v6 ? parseIpv6Into(address, this.out, start + 4) : parseIpv4Into(address, this.out, start + 4);
    if (!ok) {
      this.#pos = start - 4;
      this.#setLength();
      throw new NatError('ERR_INVALID_PARAMETER', `address must be an IPv4 or IPv6 literal, got ${JSON.stringify(address)}`, {
        address,
      });
    }
    this.out[start] = 0;
    this.out[start + 1] = v6 ? AddressFamily.IPv6 : AddressFamily.IPv4;
    this.#view.setUint16(start + 2, xor ? port ^ (MAGIC_COOKIE >>> 16) : port);
    if (xor) {
      for (let i = 0; i < 4; i++) this.out[start + 4 + i]! ^= (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff;
      if (v6) for (let i = 4; i < 16; i++) this.out[start + 4 + i]! ^= this.out[8 + i - 4]!;
    }
    this.#finishValue(start, len);
    return this;
  }

  /** Writes a TLV header, grows the message length to cover the padded value; returns value start. */
  #header(type: number, valueLength: number): number {
    if (this.#pos < HEADER_LENGTH) {
      throw new NatError('ERR_UNCONFIGURED', 'call begin() before adding attributes');
    }
    if (valueLength > 0xffff) {
      throw new NatError('ERR_INVALID_PARAMETER', `attribute value must be ≤ 65535 bytes, got ${valueLength}`);
    }
    const padded = (valueLength + 3) & ~3;
    this.#ensure(this.#pos + 4 + padded);
    this.#view.setUint16(this.#pos, type);
    this.#view.setUint16(this.#pos + 2, valueLength);
    const start = this.#pos + 4;
    this.#pos = start + padded;
    this.#setLength();
    return start;
  }

  #finishValue(start: number, valueLength: number): void {
    this.out.fill(0, start + valueLength, this.#pos);
  }

  #setLength(): void {
    this.#view.setUint16(2, this.#pos - HEADER_LENGTH);
  }

  #ensure(end: number): void {
    if (end > this.out.length) {
      throw new NatError('ERR_INVALID_PARAMETER', `STUN message needs ${end} bytes, buffer has ${this.out.length}`, {
        limit: this.out.length,
        got: end,
      });
    }
  }
}
