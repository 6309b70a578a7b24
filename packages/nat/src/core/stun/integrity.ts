// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and FINGERPRINT (CRC-32, §14.7) checks — core.
// The HMAC is injected: src/core may not import node:crypto (docs/design.md §1); src/adapter supplies it.
import { FINGERPRINT_XOR, HEADER_LENGTH, MESSAGE_INTEGRITY_LENGTH, StunAttr } from './constants.js';
import { crc32 } from '@meshpunch/base';
import { findAttribute, type StunMessage } from './message.js';

/**
 * HMAC-SHA1 over the concatenation of `parts` with `key`; returns the 20-byte digest.
 * The node implementation is `nodeHmacSha1` in src/adapter.
 */
export type HmacSha1 = (key: Uint8Array, parts: readonly Uint8Array[]) => Uint8Array;

const utf8 = new TextEncoder();

/**
 * The short-term credential key (RFC 8489 §9.1.1): the password's UTF-8 bytes. (OpaqueString
 * preparation of RFC 8265 leaves the ASCII passwords meshpunch generates unchanged.)
 */
export function shortTermKey(password: string): Uint8Array {
  return utf8.encode(password);
}

/** Constant-time comparison of two byte arrays of equal length (false when lengths differ). */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * True when `message` carries a MESSAGE-INTEGRITY that matches `key`. Per RFC 8489 §14.5 the HMAC
 * covers the message up to the attribute, with the header length rewritten to end just after it.
 */
export function verifyMessageIntegrity(message: StunMessage, key: Uint8Array, hmacSha1: HmacSha1): boolean {
  const mi = findAttribute(message, StunAttr.MessageIntegrity);
  if (!mi || mi.value.length !== MESSAGE_INTEGRITY_LENGTH) return false;
  const header = message.raw.slice(0, HEADER_LENGTH);
  const len = mi.offset + 4 + MESSAGE_INTEGRITY_LENGTH - HEADER_LENGTH;
  header[2] = len >> 8;
  header[3] = len & 0xff;
  const digest = hmacSha1(key, [header, message.raw.subarray(HEADER_LENGTH, mi.offset)]);
  return timingSafeEqualBytes(digest.subarray(0, MESSAGE_INTEGRITY_LENGTH), mi.value);
}

/** True when `message` carries a FINGERPRINT and it matches (RFC 8489 §14.7). */
export function verifyFingerprint(message: StunMessage): boolean {
  const fp = findAttribute(message, StunAttr.Fingerprint);
  if (!fp || fp.value.length !== 4) return false;
  const v = fp.value;
  const want = ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
  // FINGERPRINT is last (the decoder enforces it), so the header length already counts it.
  return ((crc32(message.raw.subarray(0, fp.offset)) ^ FINGERPRINT_XOR) >>> 0) === want;
}

/** True when `message` carries a FINGERPRINT attribute at all. */
export function hasFingerprint(message: StunMessage): boolean {
  return findAttribute(message, StunAttr.Fingerprint) !== undefined;
}
