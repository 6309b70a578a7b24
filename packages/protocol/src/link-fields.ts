// Validation of the link-security addition of revision 1.5 (issue 18): the DTLS certificate
// fingerprint a member sends with its candidates, the WebRTC model (RFC 8122 §5 `a=fingerprint`).
// Core; never throws on wire input.

/** `sha-256` then 32 upper-case hex bytes joined by ':' (RFC 8122 §5, RFC 4572 §5 form). */
const FINGERPRINT = /^sha-256 (?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** Longest fingerprint text: "sha-256 " + 32 × 3 − 1. */
export const FINGERPRINT_LENGTH = 8 + 95;

/**
 * Checks a `fingerprint` field. Returns the fingerprint, or the problem as one sentence.
 * @param value anything parsed from JSON
 */
export function readFingerprint(value: unknown): string | { problem: string } {
  if (typeof value !== 'string' || value.length !== FINGERPRINT_LENGTH || !FINGERPRINT.test(value)) {
    return { problem: 'fingerprint must be "sha-256 " followed by 32 upper-case hex bytes joined by ":"' };
  }
  return value;
}
