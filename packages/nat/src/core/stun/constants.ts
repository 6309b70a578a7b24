// STUN wire constants (RFC 8489 §5, §18; RFC 5780 §7; RFC 8445 §16) — core, no I/O.

/** The fixed magic cookie at bytes 4..7 of every RFC 5389/8489 message (RFC 8489 §5). */
export const MAGIC_COOKIE = 0x2112a442;
/** Bytes of the fixed message header (RFC 8489 §5). */
export const HEADER_LENGTH = 20;
/** Bytes of the transaction id (RFC 8489 §5: 96 bits). */
export const TRANSACTION_ID_LENGTH = 12;
/** XORed into the CRC-32 of FINGERPRINT (RFC 8489 §14.7: "STUN" in ASCII). */
export const FINGERPRINT_XOR = 0x5354554e;
/** Bytes of an HMAC-SHA1 MESSAGE-INTEGRITY value (RFC 8489 §14.5). */
export const MESSAGE_INTEGRITY_LENGTH = 20;
/**
 * Upper bound on attributes decoded from one message. A Binding message carries fewer than 15;
 * 64 leaves room for extensions while bounding the work a hostile datagram can cause.
 */
export const MAX_ATTRIBUTES = 64;

/** The two class bits C1 C0 of the message type (RFC 8489 §5). */
export const StunClass = {
  Request: 0,
  Indication: 1,
  SuccessResponse: 2,
  ErrorResponse: 3,
} as const;
/** A class value (0..3). */
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

/** Methods meshpunch uses (RFC 8489 §18.2). */
export const StunMethod = {
  Binding: 0x001,
} as const;
/** A method value. */
export type StunMethod = (typeof StunMethod)[keyof typeof StunMethod];

/** Attribute types (RFC 8489 §18.3, RFC 5780 §7, RFC 8445 §16.1). */
export const StunAttr = {
  MappedAddress: 0x0001,
  /** RFC 5780 §7.2. */
  ChangeRequest: 0x0003,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorMappedAddress: 0x0020,
  /** RFC 8445 §16.1. */
  Priority: 0x0024,
  /** RFC 8445 §16.1. */
  UseCandidate: 0x0025,
  /** RFC 5780 §7.6. */
  Padding: 0x0026,
  /** RFC 5780 §7.5. */
  ResponsePort: 0x0027,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  /** RFC 8445 §16.1. */
  IceControlled: 0x8029,
  /** RFC 8445 §16.1. */
  IceControlling: 0x802a,
  /** RFC 5780 §7.3. */
  ResponseOrigin: 0x802b,
  /** RFC 5780 §7.4. */
  OtherAddress: 0x802c,
} as const;

/** Address family byte of (XOR-)MAPPED-ADDRESS (RFC 8489 §14.1). */
export const AddressFamily = {
  IPv4: 0x01,
  IPv6: 0x02,
} as const;

/** CHANGE-REQUEST flag bits (RFC 5780 §7.2). */
/** "Change IP" flag (RFC 5780 §7.2). */
export const CHANGE_IP = 0x04;
/** "Change port" flag (RFC 5780 §7.2). */
export const CHANGE_PORT = 0x02;

/** Error codes meshpunch emits or understands (RFC 8489 §14.8). */
export const StunErrorCode = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  UnknownAttribute: 420,
  StaleNonce: 438,
  /** RFC 8445 §7.3.1.1. */
  RoleConflict: 487,
  ServerError: 500,
} as const;

/** Message type field from method and class: M11..M0 with C1, C0 at bits 8 and 4 (RFC 8489 §5). */
export function messageType(method: number, cls: StunClass): number {
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((cls & 1) << 4) |
    ((cls & 2) << 7)
  );
}

/** The method bits of a message type field. */
export function methodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

/** The class bits of a message type field. */
export function classOf(type: number): StunClass {
  return (((type >> 4) & 1) | ((type >> 7) & 2)) as StunClass;
}
