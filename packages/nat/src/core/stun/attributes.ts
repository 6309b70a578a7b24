// Typed readers for STUN attribute values (RFC 8489 §14, RFC 5780 §7) — core, no I/O.
// A malformed attribute reads as undefined: the caller treats it as absent and counts it.
import { formatIpv4, formatIpv6 } from '@meshpunch/base';
import { AddressFamily, CHANGE_IP, CHANGE_PORT, MAGIC_COOKIE, StunAttr } from './constants.js';
import { findAttribute, type StunMessage } from './message.js';

/** A transport address carried in a STUN attribute. */
export interface StunAddress {
  readonly family: 4 | 6;
  /** Dotted quad, or RFC 5952 IPv6 text. */
  readonly address: string;
  readonly port: number;
}

/** The flags of a CHANGE-REQUEST attribute (RFC 5780 §7.2). */
export interface ChangeRequest {
  readonly changeIp: boolean;
  readonly changePort: boolean;
}

/** An ERROR-CODE value (RFC 8489 §14.8): code 300..699 and a reason phrase. */
export interface StunErrorValue {
  readonly code: number;
  readonly reason: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Decodes a MAPPED-ADDRESS-shaped value (RFC 8489 §14.1): 0 | family | port | address.
 * With `transactionId`, undoes the XOR of XOR-MAPPED-ADDRESS (§14.2). Undefined when malformed.
 */
export function decodeAddressValue(value: Uint8Array, transactionId?: Uint8Array): StunAddress | undefined {
  if (value.length < 4) return undefined;
  const family = value[1];
  let port = (value[2]! << 8) | value[3]!;
  if (transactionId) port ^= MAGIC_COOKIE >>> 16;
  if (family === AddressFamily.IPv4) {
    if (value.length !== 8) return undefined;
    const b = value.subarray(4, 8);
    if (!transactionId) return { family: 4, address: formatIpv4(b, 0), port };
    const x = new Uint8Array(4);
    for (let i = 0; i < 4; i++) x[i] = b[i]! ^ ((MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff);
    return { family: 4, address: formatIpv4(x, 0), port };
  }
  if (family === AddressFamily.IPv6) {
    if (value.length !== 20) return undefined;
    const b = value.subarray(4, 20);
    if (!transactionId) return { family: 6, address: formatIpv6(b, 0), port };
    if (transactionId.length !== 12) return undefined;
    const x = new Uint8Array(16);
    for (let i = 0; i < 4; i++) x[i] = b[i]! ^ ((MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff);
    for (let i = 4; i < 16; i++) x[i] = b[i]! ^ transactionId[i - 4]!;
    return { family: 6, address: formatIpv6(x, 0), port };
  }
  return undefined;
}

/** XOR-MAPPED-ADDRESS (RFC 8489 §14.2), or undefined when absent or malformed. */
export function getXorMappedAddress(message: StunMessage): StunAddress | undefined {
  const a = findAttribute(message, StunAttr.XorMappedAddress);
  return a ? decodeAddressValue(a.value, message.transactionId) : undefined;
}

/** MAPPED-ADDRESS (RFC 8489 §14.1; RFC 3489 servers send only this), or undefined. */
export function getMappedAddress(message: StunMessage): StunAddress | undefined {
  const a = findAttribute(message, StunAttr.MappedAddress);
  return a ? decodeAddressValue(a.value) : undefined;
}

/** The reflexive address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 8489 §14.1 fallback). */
export function getReflexiveAddress(message: StunMessage): StunAddress | undefined {
  return getXorMappedAddress(message) ?? getMappedAddress(message);
}

/** OTHER-ADDRESS (RFC 5780 §7.4): the server's alternate IP and port, or undefined. */
export function getOtherAddress(message: StunMessage): StunAddress | undefined {
  const a = findAttribute(message, StunAttr.OtherAddress);
  return a ? decodeAddressValue(a.value) : undefined;
}

/** RESPONSE-ORIGIN (RFC 5780 §7.3): where the server sent the response from, or undefined. */
export function getResponseOrigin(message: StunMessage): StunAddress | undefined {
  const a = findAttribute(message, StunAttr.ResponseOrigin);
  return a ? decodeAddressValue(a.value) : undefined;
}

/** CHANGE-REQUEST flags (RFC 5780 §7.2); both false when absent, undefined when malformed. */
export function getChangeRequest(message: StunMessage): ChangeRequest | undefined {
  const a = findAttribute(message, StunAttr.ChangeRequest);
  if (!a) return { changeIp: false, changePort: false };
  if (a.value.length !== 4) return undefined;
  const flags = a.value[3]!;
  return { changeIp: (flags & CHANGE_IP) !== 0, changePort: (flags & CHANGE_PORT) !== 0 };
}

/** USERNAME as UTF-8 text (RFC 8489 §14.3; < 513 bytes), or undefined when absent or too long. */
export function getUsername(message: StunMessage): string | undefined {
  const a = findAttribute(message, StunAttr.Username);
  if (!a || a.value.length > 512) return undefined;
  return utf8.decode(a.value);
}

/** SOFTWARE as UTF-8 text (RFC 8489 §14.14; < 763 bytes), or undefined. */
export function getSoftware(message: StunMessage): string | undefined {
  const a = findAttribute(message, StunAttr.Software);
  if (!a || a.value.length > 763) return undefined;
  return utf8.decode(a.value);
}

/** ERROR-CODE (RFC 8489 §14.8), or undefined when absent or malformed. */
export function getErrorCode(message: StunMessage): StunErrorValue | undefined {
  const a = findAttribute(message, StunAttr.ErrorCode);
  if (!a || a.value.length < 4 || a.value.length > 4 + 763) return undefined;
  const cls = a.value[2]! & 0x07;
  const num = a.value[3]!;
  if (cls < 3 || cls > 6 || num > 99) return undefined;
  return { code: cls * 100 + num, reason: utf8.decode(a.value.subarray(4)) };
}

/** A 32-bit attribute value such as PRIORITY (RFC 8445 §7.1.1), or undefined. */
export function getUint32Attribute(message: StunMessage, type: number): number | undefined {
  const a = findAttribute(message, type);
  if (!a || a.value.length !== 4) return undefined;
  return ((a.value[0]! << 24) | (a.value[1]! << 16) | (a.value[2]! << 8) | a.value[3]!) >>> 0;
}
