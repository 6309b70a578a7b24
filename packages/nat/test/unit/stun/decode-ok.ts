// Test helper shared by the STUN codec tests: decode a message that must be valid.
import { decodeStunMessage, type StunMessage } from '../../../src/index.js';

/** Decodes `bytes` or throws naming the decoder's status (a test failure, never a skip). */
export function decodeOk(bytes: Uint8Array): StunMessage {
  const r = decodeStunMessage(bytes);
  if (!r.ok) throw new Error(`decode failed: ${r.error}`);
  return r.message;
}
