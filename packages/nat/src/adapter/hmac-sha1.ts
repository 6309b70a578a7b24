// The node:crypto HMAC-SHA1 that the STUN core takes by injection (adapter: src/core may not
// import node:crypto, docs/design.md §1).
import { createHash, createHmac, randomFillSync } from 'node:crypto';
import type { HmacSha1 } from '../core/stun/integrity.js';
import type { Md5 } from '../core/turn/rest-credentials.js';

/** HMAC-SHA1 of the concatenated `parts` under `key` (20 bytes), for MESSAGE-INTEGRITY. */
export const nodeHmacSha1: HmacSha1 = (key, parts) => {
  const h = createHmac('sha1', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Fills `out` from the OS CSPRNG: the `random(out)` cores take in their config. */
export function nodeRandom(out: Uint8Array): void {
  randomFillSync(out);
}

/** MD5 of `data` (16 bytes): the RFC 8489 §9.2.2 long-term key hash the TURN cores take by injection. */
export const nodeMd5: Md5 = (data) => createHash('md5').update(data).digest();
