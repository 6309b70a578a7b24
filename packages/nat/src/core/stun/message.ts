// STUN message decoding and the STUN/ENet demultiplexer (RFC 8489 §5, §6; docs/design.md rule 2) —
// core, no I/O. Decoding never throws: it returns a status, so hostile datagrams are just counted.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |0 0|     STUN Message Type     |         Message Length        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Magic Cookie                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     Transaction ID (96 bits)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  then attributes: Type (16) | Length (16) | Value, padded to a multiple of 4 bytes.
import {
  HEADER_LENGTH,
  MAGIC_COOKIE,
  MAX_ATTRIBUTES,
  StunAttr,
  classOf,
  methodOf,
  type StunClass,
} from './constants.js';

/** One attribute as found on the wire; `value` is a view into the message (no copy). */
export interface StunAttribute {
  /** Attribute type (StunAttr). */
  readonly type: number;
  /** The value without padding. */
  readonly value: Uint8Array;
  /** Byte offset of the attribute's 4-byte header inside the message. */
  readonly offset: number;
}

/** A decoded STUN message; every byte array is a view into the datagram it came from. */
export interface StunMessage {
  readonly method: number;
  readonly class: StunClass;
  /** The 12-byte transaction id. */
  readonly transactionId: Uint8Array;
  /** Attributes in wire order. Per RFC 8489 §14.5 only FINGERPRINT may follow MESSAGE-INTEGRITY; others after it are dropped. */
  readonly attributes: readonly StunAttribute[];
  /** The whole message (header + attributes). */
  readonly raw: Uint8Array;
}

/** Why a datagram is not a valid STUN message. */
export type StunDecodeError =
  | 'too-short'
  | 'not-stun'
  | 'bad-cookie'
  | 'length-mismatch'
  | 'bad-length'
  | 'truncated-attribute'
  | 'too-many-attributes'
  | 'fingerprint-not-last';

/** The result of decoding: a message, or the reason the datagram was rejected. */
export type StunDecodeResult =
  | { readonly ok: true; readonly message: StunMessage }
  | { readonly ok: false; readonly error: StunDecodeError };

/**
 * True when `bytes` looks like one whole STUN message: at least 20 bytes, first two bits 00, the
 * magic cookie at bytes 4..7, and a length field that is a multiple of 4 and matches the datagram
 * (docs/design.md rule 2; RFC 8489 §5, §7.3). Cheap and allocation-free, so it can sit in front of every
 * ENet datagram on a shared socket.
 */
export function isStunMessage(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_LENGTH) return false;
  if ((bytes[0]! & 0xc0) !== 0) return false;
  const len = (bytes[2]! << 8) | bytes[3]!;
  if ((len & 3) !== 0 || len + HEADER_LENGTH !== bytes.length) return false;
  return (
    bytes[4] === 0x21 && bytes[5] === 0x12 && bytes[6] === 0xa4 && bytes[7] === 0x42
  );
}

function fail(error: StunDecodeError): StunDecodeResult {
  return { ok: false, error };
}

/**
 * Decodes one STUN message (RFC 8489 §5, §14). Never throws; the result says why a datagram was
 * rejected. The datagram must be exactly one message (UDP framing). Attribute values are views.
 */
export function decodeStunMessage(bytes: Uint8Array): StunDecodeResult {
  if (bytes.length < HEADER_LENGTH) return fail('too-short');
  if ((bytes[0]! & 0xc0) !== 0) return fail('not-stun');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(4) !== MAGIC_COOKIE) return fail('bad-cookie');
  const len = view.getUint16(2);
  if ((len & 3) !== 0) return fail('bad-length');
  if (len + HEADER_LENGTH !== bytes.length) return fail('length-mismatch');
  const type = view.getUint16(0);
  const attributes: StunAttribute[] = [];
  let pos = HEADER_LENGTH;
  let afterIntegrity = false;
  let sawFingerprint = false;
  while (pos < bytes.length) {
    if (sawFingerprint) return fail('fingerprint-not-last');
    if (pos + 4 > bytes.length) return fail('truncated-attribute');
    const attrType = view.getUint16(pos);
    const attrLen = view.getUint16(pos + 2);
    const padded = (attrLen + 3) & ~3;
    if (pos + 4 + padded > bytes.length) return fail('truncated-attribute');
    if (attributes.length >= MAX_ATTRIBUTES) return fail('too-many-attributes');
    if (attrType === StunAttr.Fingerprint) sawFingerprint = true;
    // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored.
    if (!afterIntegrity || attrType === StunAttr.Fingerprint) {
      attributes.push({ type: attrType, value: bytes.subarray(pos + 4, pos + 4 + attrLen), offset: pos });
    }
    if (attrType === StunAttr.MessageIntegrity) afterIntegrity = true;
    pos += 4 + padded;
  }
  return {
    ok: true,
    message: {
      method: methodOf(type),
      class: classOf(type),
      transactionId: bytes.subarray(8, HEADER_LENGTH),
      attributes,
      raw: bytes,
    },
  };
}

/** The first attribute of `type`, or undefined. */
export function findAttribute(message: StunMessage, type: number): StunAttribute | undefined {
  const list = message.attributes;
  for (let i = 0; i < list.length; i++) if (list[i]!.type === type) return list[i];
  return undefined;
}

/**
 * Comprehension-required attribute types (0x0000..0x7FFF, RFC 8489 §14) present in `message` that
 * the caller does not list in `known` — what an ERROR-CODE 420 response must name.
 */
export function unknownRequiredAttributes(message: StunMessage, known: readonly number[]): number[] {
  const out: number[] = [];
  for (const a of message.attributes) {
    if (a.type < 0x8000 && !known.includes(a.type) && !out.includes(a.type)) out.push(a.type);
  }
  return out;
}

/** True when two 12-byte transaction ids are equal. */
export function sameTransactionId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
