// TURN REST API credentials (the time-limited form coturn's `use-auth-secret` checks, relay.md §1)
// and the RFC 8489 §9.2.2 long-term key — core, no I/O: HMAC-SHA1 and MD5 are injected like the
// STUN integrity code (src/core may not import node:crypto, docs/design.md §1).
//
//   username = "<expiry unix seconds>:<lobbyTag>.<peerId>"
//   password = base64(HMAC-SHA1(secret, username))
//   key      = MD5(username ":" realm ":" password)        (RFC 8489 §9.2.2, no SASLprep needed:
//                                                          all three are ASCII here)
import { NatError } from '../../errors.js';
import type { HmacSha1 } from '../stun/integrity.js';

/** MD5 of `data` (16 bytes); the node implementation is `nodeMd5` in src/adapter. */
export type Md5 = (data: Uint8Array) => Uint8Array;

/** One REST credential pair. */
export interface TurnRestCredential {
  /** `<expiry-unix>:<lobbyTag>.<peerId>`. */
  readonly username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  readonly password: string;
}

/** What a REST username says. */
export interface TurnRestUsername {
  /** Expiry, unix seconds. */
  readonly expiresAtS: number;
  /** The part after the first ':' — `<lobbyTag>.<peerId>` for meshpunch, what quotas are keyed on. */
  readonly member: string;
}

const utf8 = new TextEncoder();
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** RFC 8489 §14.3: USERNAME is < 513 bytes. */
const MAX_USERNAME_BYTES = 512;
/** lobbyTag and peerId characters: URL-safe tokens, so the username stays ASCII (no SASLprep). */
const MEMBER_PART = /^[A-Za-z0-9_-]{1,64}$/;

/** Standard base64 with padding (RFC 4648 §4), as coturn compares the password. */
export function base64Encode(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return s;
}

/** The REST password of `username`: base64(HMAC-SHA1(secret, username)). */
export function turnRestPassword(secret: Uint8Array, username: string, hmacSha1: HmacSha1): string {
  return base64Encode(hmacSha1(secret, [utf8.encode(username)]).subarray(0, 20));
}

/**
 * Mints a REST credential for member `<lobbyTag>.<peerId>` valid until `expiresAtS` (unix s).
 * @throws NatError ERR_INVALID_PARAMETER when lobbyTag/peerId are not 1–64 characters of
 *   [A-Za-z0-9_-] or the expiry is not a positive integer.
 */
export function mintTurnRestCredential(
  secret: Uint8Array,
  lobbyTag: string,
  peerId: string,
  expiresAtS: number,
  hmacSha1: HmacSha1,
): TurnRestCredential {
  if (!MEMBER_PART.test(lobbyTag)) {
    throw new NatError('ERR_INVALID_PARAMETER', `lobbyTag must be 1-64 characters of [A-Za-z0-9_-], got ${JSON.stringify(lobbyTag)}`);
  }
  if (!MEMBER_PART.test(peerId)) {
    throw new NatError('ERR_INVALID_PARAMETER', `peerId must be 1-64 characters of [A-Za-z0-9_-], got ${JSON.stringify(peerId)}`);
  }
  if (!Number.isSafeInteger(expiresAtS) || expiresAtS <= 0) {
    throw new NatError('ERR_INVALID_PARAMETER', `expiresAtS must be a positive integer, got ${expiresAtS}`, { got: expiresAtS });
  }
  const username = `${expiresAtS}:${lobbyTag}.${peerId}`;
  return { username, password: turnRestPassword(secret, username, hmacSha1) };
}

/**
 * Parses a REST username (`<expiry>:<rest>`); undefined when it has no ':' , the expiry is not
 * decimal digits or the text is too long. The member part is not restricted further here: coturn
 * accepts any suffix, and the server's membership callback decides.
 */
export function parseTurnRestUsername(username: string): TurnRestUsername | undefined {
  if (username.length === 0 || username.length > MAX_USERNAME_BYTES) return undefined;
  const colon = username.indexOf(':');
  if (colon <= 0 || colon > 15 || colon === username.length - 1) return undefined;
  let expiresAtS = 0;
  for (let i = 0; i < colon; i++) {
    const c = username.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    expiresAtS = expiresAtS * 10 + c;
  }
  return { expiresAtS, member: username.slice(colon + 1) };
}

/** The RFC 8489 §9.2.2 long-term key: MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string, md5: Md5): Uint8Array {
  return md5(utf8.encode(`${username}:${realm}:${password}`)).subarray(0, 16);
}
