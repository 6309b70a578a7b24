// The claim a group's secret gives a named lobby (protocol 1.3, issue #13 item 8: name squatting).
// Sent instead of the secret: the service only files lobbies under it, so it never needs (or
// learns, or logs) the secret, and one secret gives a different claim for every lobby name.
import { createHmac } from 'node:crypto';
import { MAX_PASSWORD_LENGTH } from '@meshpunch/protocol';
import { SignalingError } from '../errors.js';

/** Domain separation: a claim is never the HMAC of anything else this project computes. */
const CLAIM_CONTEXT = 'meshpunch lobby claim 1\0';

/**
 * base64url(HMAC-SHA256(secret, context ‖ name)): 43 characters, inside the wire's 16..64.
 * @param secret the group's claim secret, 1..128 characters (the password's limits)
 * @param name the lobby name the claim is for
 * @throws SignalingError ERR_INVALID_PARAMETER when the secret is empty or longer than 128
 */
export function lobbyClaim(secret: string, name: string): string {
  if (typeof secret !== 'string' || secret.length < 1 || secret.length > MAX_PASSWORD_LENGTH) {
    throw new SignalingError('ERR_INVALID_PARAMETER', `claimSecret must be 1..${MAX_PASSWORD_LENGTH} characters`, { field: 'claimSecret' });
  }
  return createHmac('sha256', secret).update(CLAIM_CONTEXT + name).digest('base64url');
}
