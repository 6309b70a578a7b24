// Lobby codes (Crockford base32, 40 random bits, read aloud as XXXX-XXXX) and lobby names (core).
import { ProtocolError } from './errors.js';

/** Crockford's base32 alphabet: no I, L, O or U, so a code read aloud is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Random characters in a generated code: 8 × 5 bits = 40 bits (the issue asks for ≥ 30). */
export const LOBBY_CODE_CHARS = 8;

/** Bytes of randomness a code consumes (5 bytes = 40 bits, one per 5-bit symbol pair). */
export const LOBBY_CODE_RANDOM_BYTES = 5;

/** Requested lobby names: lower-case so they can never equal a generated (upper-case) code. */
export const LOBBY_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Encodes 5 random bytes as a code `XXXX-XXXX`.
 * @param bytes at least 5 bytes; only the first 5 are used
 * @throws ProtocolError ERR_INVALID_PARAMETER when fewer than 5 bytes are given
 */
export function encodeLobbyCode(bytes: Uint8Array): string {
  if (bytes.length < LOBBY_CODE_RANDOM_BYTES) {
    throw new ProtocolError('ERR_INVALID_PARAMETER', `a lobby code needs ${LOBBY_CODE_RANDOM_BYTES} random bytes, got ${bytes.length}`, { got: bytes.length });
  }
  // 40 bits as two 20-bit halves (each fits a 32-bit integer exactly).
  const hi = (bytes[0]! << 12) | (bytes[1]! << 4) | (bytes[2]! >>> 4);
  const lo = ((bytes[2]! & 0x0f) << 16) | (bytes[3]! << 8) | bytes[4]!;
  let out = '';
  for (let shift = 15; shift >= 0; shift -= 5) out += ALPHABET[(hi >>> shift) & 31];
  out += '-';
  for (let shift = 15; shift >= 0; shift -= 5) out += ALPHABET[(lo >>> shift) & 31];
  return out;
}

/**
 * Turns what a person typed into the canonical code, the way Crockford base32 decodes:
 * case-insensitive, hyphens and spaces ignored, I/L read as 1 and O as 0.
 * @returns `XXXX-XXXX`, or undefined when the text cannot be a code
 */
export function normalizeLobbyCode(text: string): string | undefined {
  if (text.length > 32) return undefined;
  let chars = '';
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!.toUpperCase();
    if (c === '-' || c === ' ') continue;
    if (c === 'I' || c === 'L') c = '1';
    else if (c === 'O') c = '0';
    if (ALPHABET.indexOf(c) < 0) return undefined;
    chars += c;
  }
  if (chars.length !== LOBBY_CODE_CHARS) return undefined;
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** True when `name` may be requested as a lobby name (see LOBBY_NAME_PATTERN). */
export function isValidLobbyName(name: string): boolean {
  return LOBBY_NAME_PATTERN.test(name);
}

/**
 * LOBBY_NAME_PATTERN in words: the one sentence the CLI's help and errors, the library's errors
 * and the service's errors all use (issue #12 item 9: the rules used to differ between them).
 */
export const LOBBY_NAME_RULE = "1..64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit";

/** An example code, for messages that say what a code looks like. */
export const LOBBY_CODE_EXAMPLE = 'ABCD-1234';

/**
 * Checks what a member gives as its lobby: a name when it may create the lobby (`lobby.create`
 * `name`, `lobby.join` with `createIfMissing`), a name or a code when it only joins.
 * @returns the rest of a sentence after the field's name ("must be …, got '…'"), or undefined when valid
 */
export function lobbyRefProblem(text: unknown, creates: boolean): string | undefined {
  const got = typeof text === 'string' ? `'${text.length > 80 ? `${text.slice(0, 80)}…` : text}'` : typeof text;
  if (typeof text === 'string' && isValidLobbyName(text)) return undefined;
  if (creates) return `must be a lobby name (${LOBBY_NAME_RULE}), got ${got}`;
  if (typeof text === 'string' && normalizeLobbyCode(text) !== undefined) return undefined;
  return `must be a lobby name (${LOBBY_NAME_RULE}) or a lobby code like ${LOBBY_CODE_EXAMPLE}, got ${got}`;
}
