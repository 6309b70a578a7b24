// Passwords of LAN lobbies (issue #16). On a shared LAN anyone can advertise a lobby of the same
// name, so the password itself never leaves the agent:
//
//   K     = scrypt(password, "meshpunch-lan/1/" + lobby)       (32 bytes, kept in memory)
//   token = base64url(HMAC-SHA256(K, "join"))                 (what the service gets as the lobby password)
//   proof = HMAC-SHA256(K, "host-proof" | nonce | address | port)
//
// A joiner sends a fresh nonce to a host's proof port and sends the token only to a host whose
// proof checks out for the address and port it is about to connect to: a rogue host (which does
// not know K) gets nothing, and relaying our nonce to the real host does not help it, since the
// real host's proof names the real host's endpoint. What stays exposed (docs/cli.md): the token
// travels in clear over ws:// to the proven host, so an eavesdropper on the same LAN segment can
// capture it and join that lobby with it (never the password itself; a weak password can be
// guessed offline from the token, at scrypt's cost per guess).

import { createHmac, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost: N=2^14, r=8 (~16 MiB, ~40 ms): once per join, a real cost per offline guess. */
const SCRYPT = Object.freeze({ N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });

/** The lobby's password secret K. */
export function lanSecret(password: string, lobby: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, `meshpunch-lan/1/${lobby}`, 32, SCRYPT, (err, key) => (err === null ? resolve(key) : reject(err)));
  });
}

/** The lobby password the signaling service holds and joiners present. */
export function joinToken(secret: Buffer): string {
  return createHmac('sha256', secret).update('join').digest('base64url');
}

/**
 * The lobby key every host of this LAN lobby's service hands out (signaling lobbyKeyOf), so the
 * members of a duplicate host restore into the better one (the merge rule, core/lan-merge.ts).
 * With a password it is derived from K (only its holders can restore into the lobby); without
 * one from the name alone, which admits no one a plain join would not.
 */
export function lanLobbyKey(secret: Buffer | undefined, lobby: string): string {
  if (secret !== undefined) return createHmac('sha256', secret).update('lobby-key').digest('base64url');
  return createHmac('sha256', 'meshpunch-lan/1/lobby-key').update(lobby).digest('base64url');
}

/** A host's proof for one nonce and the endpoint it serves on. */
export function hostProof(secret: Buffer, nonce: string, address: string, port: number): string {
  return createHmac('sha256', secret).update(`host-proof\0${nonce}\0${address}\0${port}`).digest('base64url');
}

/** Constant-time check of a proof received for our nonce. */
export function proofMatches(secret: Buffer, nonce: string, address: string, port: number, got: string): boolean {
  const want = Buffer.from(hostProof(secret, nonce, address, port));
  const have = Buffer.from(got);
  return have.length === want.length && timingSafeEqual(have, want);
}
