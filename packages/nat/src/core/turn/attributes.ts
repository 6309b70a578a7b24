// Typed readers for TURN attribute values (RFC 8656 §18.2) — core, no I/O. Like ../stun/attributes.ts
// a malformed attribute reads as undefined: the caller answers 400 or drops the datagram and counts it.
import { decodeAddressValue, getUint32Attribute, type StunAddress } from '../stun/attributes.js';
import { findAttribute, type StunMessage } from '../stun/message.js';
import { TurnAttr } from './constants.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** XOR-RELAYED-ADDRESS (RFC 8656 §18.2), or undefined when absent or malformed. */
export function getXorRelayedAddress(message: StunMessage): StunAddress | undefined {
  const a = findAttribute(message, TurnAttr.XorRelayedAddress);
  return a ? decodeAddressValue(a.value, message.transactionId) : undefined;
}

/** The first XOR-PEER-ADDRESS (RFC 8656 §18.2), or undefined when absent or malformed. */
export function getXorPeerAddress(message: StunMessage): StunAddress | undefined {
  const a = findAttribute(message, TurnAttr.XorPeerAddress);
  return a ? decodeAddressValue(a.value, message.transactionId) : undefined;
}

/**
 * Every XOR-PEER-ADDRESS (a CreatePermission may carry several, RFC 8656 §9.1); undefined when
 * any of them is malformed, so the request is rejected as a whole (§9.2: 400).
 */
export function getXorPeerAddresses(message: StunMessage, max: number): StunAddress[] | undefined {
  const out: StunAddress[] = [];
  const list = message.attributes;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a.type !== TurnAttr.XorPeerAddress) continue;
    if (out.length >= max) return undefined;
    const v = decodeAddressValue(a.value, message.transactionId);
    if (!v) return undefined;
    out.push(v);
  }
  return out;
}

/** LIFETIME in seconds (RFC 8656 §18.2), or undefined. */
export function getLifetime(message: StunMessage): number | undefined {
  return getUint32Attribute(message, TurnAttr.Lifetime);
}

/** CHANNEL-NUMBER (RFC 8656 §18.2: 16-bit number + 16 bits RFFU), or undefined when absent or malformed. */
export function getChannelNumber(message: StunMessage): number | undefined {
  const a = findAttribute(message, TurnAttr.ChannelNumber);
  if (!a || a.value.length !== 4) return undefined;
  return (a.value[0]! << 8) | a.value[1]!;
}

/** The protocol byte of REQUESTED-TRANSPORT (RFC 8656 §18.2), or undefined. */
export function getRequestedTransport(message: StunMessage): number | undefined {
  const a = findAttribute(message, TurnAttr.RequestedTransport);
  if (!a || a.value.length !== 4) return undefined;
  return a.value[0]!;
}

/** The DATA value (RFC 8656 §18.2) as a view into the message, or undefined. */
export function getData(message: StunMessage): Uint8Array | undefined {
  return findAttribute(message, TurnAttr.Data)?.value;
}

/** REALM text (RFC 8489 §14.9: < 128 characters, < 763 bytes), or undefined. */
export function getRealm(message: StunMessage): string | undefined {
  const a = findAttribute(message, TurnAttr.Realm);
  if (!a || a.value.length > 763) return undefined;
  return utf8.decode(a.value);
}

/** NONCE text (RFC 8489 §14.10: < 763 bytes), or undefined. */
export function getNonce(message: StunMessage): string | undefined {
  const a = findAttribute(message, TurnAttr.Nonce);
  if (!a || a.value.length > 763) return undefined;
  return utf8.decode(a.value);
}

/** The family byte of REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.2: 0x01 IPv4, 0x02 IPv6), or undefined. */
export function getRequestedAddressFamily(message: StunMessage): number | undefined {
  const a = findAttribute(message, TurnAttr.RequestedAddressFamily);
  if (!a || a.value.length !== 4) return undefined;
  return a.value[0]!;
}
