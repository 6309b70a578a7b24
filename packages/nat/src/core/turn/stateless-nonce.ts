// Stateless NONCEs for the relay's long-term auth (relay.md §2(b): "HMAC of client IP + time
// bucket, no per-challenge state") — core, no I/O. An unauthenticated Allocate flood therefore
// costs one HMAC per answer and no memory.
//
//   nonce = hex8(bucket) ‖ hex(HMAC-SHA1(key, ip "/" bucket))[0..24)     (32 ASCII characters)
//   bucket = floor(now / bucketMs); a nonce is fresh in its bucket and the next one, so it lives
//   between bucketMs and 2·bucketMs (then 438 Stale Nonce, RFC 8489 §9.2.4).
import type { HmacSha1 } from '../stun/integrity.js';
import { timingSafeEqualBytes } from '../stun/integrity.js';

const utf8 = new TextEncoder();
const HEX = '0123456789abcdef';
/** Characters of a nonce: 8 for the bucket, 24 for 96 bits of MAC (forgery needs 2^96 tries). */
export const NONCE_LENGTH = 32;

function hex(bytes: Uint8Array, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return s;
}

/** Mints and checks nonces for one server key. */
export class StatelessNonce {
  readonly #key: Uint8Array;
  readonly #bucketMs: number;
  readonly #hmac: HmacSha1;

  /** @param bucketMs half of the longest nonce life, ms. */
  constructor(key: Uint8Array, bucketMs: number, hmacSha1: HmacSha1) {
    this.#key = key;
    this.#bucketMs = bucketMs;
    this.#hmac = hmacSha1;
  }

  /** A nonce for a client at `ip`, valid from `now`. */
  mint(now: number, ip: string): string {
    return this.#make(Math.floor(now / this.#bucketMs), ip);
  }

  /** 'fresh', 'stale' (well-formed, ours, too old) or 'invalid' (not ours or for another IP). */
  check(now: number, ip: string, nonce: string): 'fresh' | 'stale' | 'invalid' {
    if (nonce.length !== NONCE_LENGTH) return 'invalid';
    const bucket = Number.parseInt(nonce.slice(0, 8), 16);
    if (!Number.isInteger(bucket) || !/^[0-9a-f]{32}$/.test(nonce)) return 'invalid';
    const want = this.#make(bucket, ip);
    if (!timingSafeEqualBytes(utf8.encode(want), utf8.encode(nonce))) return 'invalid';
    const cur = Math.floor(now / this.#bucketMs);
    return bucket === cur || bucket === cur - 1 ? 'fresh' : 'stale';
  }

  #make(bucket: number, ip: string): string {
    const b = (bucket >>> 0).toString(16).padStart(8, '0');
    return b + hex(this.#hmac(this.#key, [utf8.encode(`${ip}/${b}`)]), 12);
  }
}
