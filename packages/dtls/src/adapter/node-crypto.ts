// node:crypto implementation of the DTLS core's crypto provider (adapter): SHA-256, HMAC, ECDHE
// over X25519 and P-256, AES-128-GCM and ChaCha20-Poly1305, X.509 parsing and ECDSA verification.
import * as nodeCrypto from 'node:crypto';
import {
  X509Certificate, createCipheriv, createDecipheriv, createECDH, createHash, createHmac, createPublicKey,
  diffieHellman, generateKeyPairSync, randomFillSync, verify, type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { CipherSuite, NamedGroup, type CipherSuiteId, type NamedGroupId } from '../core/constants.js';
import { certificateFields } from '../core/certificate-fields.js';
import type { Aead, DtlsCrypto, KeyShare, ParsedCertificate } from '../core/crypto-provider.js';
import { ChaCha20Poly1305 } from './chacha20-poly1305.js';
import type { UtcFields } from '../core/x509-builder.js';

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * `crypto.hash` (Node ≥ 20.12): a digest in one call, without a Hash or Hmac object. A handshake
 * makes 28 HMACs and 8 transcript hashes; through createHmac/createHash each cost ~2-3 µs more
 * (object set-up, not SHA-256). Older Node 20 releases keep the object path.
 */
const digestOnce = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer }).hash;
/** HMAC's block size (SHA-256: 64 bytes, RFC 2104 §2). */
const HMAC_BLOCK = 64;

/** HMAC-SHA256 (RFC 2104) from two one-shot digests: H(K ⊕ opad ‖ H(K ⊕ ipad ‖ m)), for keys up to one block. */
function hmacOnce(digest: NonNullable<typeof digestOnce>, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let total = HMAC_BLOCK;
  for (const p of parts) total += p.length;
  const inner = Buffer.allocUnsafe(total);
  const outer = Buffer.allocUnsafe(HMAC_BLOCK + 32);
  for (let i = 0; i < HMAC_BLOCK; i++) {
    const k = i < key.length ? key[i]! : 0;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  let o = HMAC_BLOCK;
  for (const p of parts) {
    inner.set(p, o);
    o += p.length;
  }
  outer.set(digest('sha256', inner, 'buffer'), HMAC_BLOCK);
  return u8(digest('sha256', outer, 'buffer'));
}

class P256Share implements KeyShare {
  readonly #ecdh = createECDH('prime256v1');
  readonly publicKey: Uint8Array;

  constructor() {
    this.publicKey = u8(this.#ecdh.generateKeys());
  }

  deriveSecret(peer: Uint8Array): Uint8Array | undefined {
    // Only the uncompressed form is negotiated (ec_point_formats, RFC 8422 §5.1.2).
    if (peer.length !== 65 || peer[0] !== 4) return undefined;
    try {
      return u8(this.#ecdh.computeSecret(peer));
    } catch {
      return undefined;
    }
  }
}

/**
 * X25519 through JWK, not SPKI DER: OpenSSL 3's encoder and decoder (what a DER export or import
 * goes through) cost ~0.5-1 ms per call on the project's machines, the raw-key path behind JWK
 * tens of µs; a handshake did one of each per side (a third of its CPU, bench:mesh with 496 links).
 */
class X25519Share implements KeyShare {
  readonly #privateKey: KeyObject;
  readonly publicKey: Uint8Array;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    this.#privateKey = privateKey;
    this.publicKey = u8(Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url'));
  }

  deriveSecret(peer: Uint8Array): Uint8Array | undefined {
    if (peer.length !== 32) return undefined;
    try {
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer.buffer, peer.byteOffset, peer.length).toString('base64url') }, format: 'jwk' });
      const secret = diffieHellman({ privateKey: this.#privateKey, publicKey });
      // RFC 7748 §6.1: an all-zero shared secret means a small-order point; refuse it.
      let acc = 0;
      for (const b of secret) acc |= b;
      return acc === 0 ? undefined : u8(secret);
    } catch {
      return undefined;
    }
  }
}

/** AES-GCM's 16-byte tag (RFC 5288 §3); one options object, not one per record. */
const AEAD_OPTIONS = { authTagLength: 16 } as const;

/** AES-128-GCM on node:crypto: a cipher object per record (the nonce changes every record). */
class NodeAesGcm implements Aead {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    this.#key = Buffer.from(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const c = createCipheriv('aes-128-gcm', this.#key, nonce, AEAD_OPTIONS);
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    c.final();
    out.set(body, offset);
    out.set(c.getAuthTag(), offset + body.length);
    return body.length + 16;
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    if (sealed.length < 16) return undefined;
    const ctLen = sealed.length - 16;
    try {
      const d = createDecipheriv('aes-128-gcm', this.#key, nonce, AEAD_OPTIONS);
      d.setAuthTag(sealed.subarray(ctLen));
      d.setAAD(aad, { plaintextLength: ctLen });
      const plain = d.update(sealed.subarray(0, ctLen));
      d.final();
      return u8(plain);
    } catch {
      return undefined;
    }
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, sealedLength: number): number {
    if (offset < 0 || offset + sealedLength > buf.length) return -1;
    const plain = this.open(nonce, aad, buf.subarray(offset, offset + sealedLength));
    if (plain === undefined) return -1;
    buf.set(plain, offset);
    return plain.length;
  }
}

/**
 * A peer's certificate. The handshake's own questions (key type, validity, signature) are
 * answered from certificateFields' walk of the DER and the key imported through JWK; node's full
 * X509Certificate parse (~0.4-0.7 ms each through OpenSSL 3's decoder) happens only when a chain
 * or host name is checked, or when the walk does not recognise the certificate.
 */
class NodeCertificate implements ParsedCertificate {
  readonly der: Uint8Array;
  readonly isEcdsaP256: boolean;
  readonly #notBefore: number;
  readonly #notAfter: number;
  readonly #key: KeyObject | undefined;
  #x509: X509Certificate | undefined;

  /** @throws when the certificate cannot be read at all (parseCertificate answers undefined). */
  constructor(der: Uint8Array) {
    this.der = der;
    const f = certificateFields(der);
    const key = f?.p256Point === undefined ? undefined : p256Key(f.p256Point);
    if (f !== undefined && (key !== undefined || f.p256Point === undefined)) {
      this.#x509 = undefined;
      this.#key = key;
      this.#notBefore = utcMs(f.notBefore);
      this.#notAfter = utcMs(f.notAfter);
    } else {
      const x509 = new X509Certificate(der);
      const k = x509.publicKey;
      this.#x509 = x509;
      this.#key = k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? k : undefined;
      this.#notBefore = Date.parse(x509.validFrom);
      this.#notAfter = Date.parse(x509.validTo);
    }
    this.isEcdsaP256 = this.#key !== undefined;
  }

  /** node's full parse, made on first use; undefined when OpenSSL refuses the certificate. */
  get x509(): X509Certificate | undefined {
    if (this.#x509 === undefined) {
      try {
        this.#x509 = new X509Certificate(this.der);
      } catch {
        return undefined;
      }
    }
    return this.#x509;
  }

  get isCertificateAuthority(): boolean {
    return this.x509?.ca ?? false;
  }

  verifySignature(data: Uint8Array, signature: Uint8Array): boolean {
    if (this.#key === undefined) return false;
    try {
      return verify('sha256', data, { key: this.#key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  }

  isIssuedBy(issuer: ParsedCertificate): boolean {
    if (!(issuer instanceof NodeCertificate)) return false;
    const mine = this.x509;
    const theirs = issuer.x509;
    if (mine === undefined || theirs === undefined) return false;
    try {
      return mine.checkIssued(theirs) && mine.verify(theirs.publicKey);
    } catch {
      return false;
    }
  }

  isValidAt(wallClockMs: number): boolean {
    return wallClockMs >= this.#notBefore && wallClockMs <= this.#notAfter;
  }

  matchesHost(hostname: string): boolean {
    const x509 = this.x509;
    if (x509 === undefined) return false;
    try {
      return isIP(hostname) !== 0 ? x509.checkIP(hostname) !== undefined : x509.checkHost(hostname) !== undefined;
    } catch {
      return false;
    }
  }
}

/** A P-256 public key from its uncompressed point, through JWK (no decoder); undefined when not on the curve. */
function p256Key(point: Uint8Array): KeyObject | undefined {
  const b64 = (from: number): string => Buffer.from(point.buffer, point.byteOffset + from, 32).toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(1), y: b64(33) }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

function utcMs(f: UtcFields): number {
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

/** The DtlsCrypto provider backed by node:crypto (OpenSSL underneath). */
export const nodeDtlsCrypto: DtlsCrypto = {
  sha256(parts) {
    if (digestOnce !== undefined) return u8(digestOnce('sha256', parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'buffer'));
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  hmacSha256(key, parts) {
    if (digestOnce !== undefined && key.length <= HMAC_BLOCK) return hmacOnce(digestOnce, key, parts);
    const h = createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  generateKeyShare(group: NamedGroupId) {
    return group === NamedGroup.X25519 ? new X25519Share() : new P256Share();
  },
  createAead(suite: CipherSuiteId, key) {
    // ChaCha20-Poly1305 runs in WebAssembly: without a cipher object per record it costs a third
    // of node:crypto's per record (chacha20-poly1305.ts), which is why the suite is preferred.
    return suite === CipherSuite.EcdheEcdsaAes128GcmSha256 ? new NodeAesGcm(key) : new ChaCha20Poly1305(key);
  },
  parseCertificate(der) {
    try {
      return new NodeCertificate(der.slice());
    } catch {
      return undefined;
    }
  },
};

/** Secure random bytes from the OS (the `random` option of DtlsOptions). */
export function nodeRandom(out: Uint8Array): void {
  randomFillSync(out);
}
