// node:crypto implementation of the DTLS core's crypto provider (adapter): SHA-256, HMAC, ECDHE
// over X25519 and P-256, AES-128-GCM and ChaCha20-Poly1305, X.509 parsing and ECDSA verification.
import {
  X509Certificate, createCipheriv, createDecipheriv, createECDH, createHash, createHmac, createPublicKey,
  diffieHellman, generateKeyPairSync, randomFillSync, verify, type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { CipherSuite, NamedGroup, type CipherSuiteId, type NamedGroupId } from '../core/constants.js';
import type { Aead, DtlsCrypto, KeyShare, ParsedCertificate } from '../core/crypto-provider.js';
import { ChaCha20Poly1305 } from './chacha20-poly1305.js';

/** DER SubjectPublicKeyInfo prefix of a raw X25519 key (RFC 8410 §4): SEQ { SEQ { OID 1.3.101.110 }, BIT STRING }. */
const X25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
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

class X25519Share implements KeyShare {
  readonly #privateKey: KeyObject;
  readonly publicKey: Uint8Array;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    this.#privateKey = privateKey;
    this.publicKey = u8(publicKey.export({ type: 'spki', format: 'der' }).subarray(X25519_SPKI_PREFIX.length));
  }

  deriveSecret(peer: Uint8Array): Uint8Array | undefined {
    if (peer.length !== 32) return undefined;
    try {
      const spki = Buffer.concat([X25519_SPKI_PREFIX, peer]);
      const secret = diffieHellman({ privateKey: this.#privateKey, publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }) });
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
}

class NodeCertificate implements ParsedCertificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly isEcdsaP256: boolean;
  readonly isCertificateAuthority: boolean;
  readonly #notBefore: number;
  readonly #notAfter: number;

  constructor(der: Uint8Array, x509: X509Certificate) {
    this.der = der;
    this.x509 = x509;
    const k = x509.publicKey;
    this.isEcdsaP256 = k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    this.isCertificateAuthority = x509.ca;
    this.#notBefore = Date.parse(x509.validFrom);
    this.#notAfter = Date.parse(x509.validTo);
  }

  verifySignature(data: Uint8Array, signature: Uint8Array): boolean {
    if (!this.isEcdsaP256) return false;
    try {
      return verify('sha256', data, { key: this.x509.publicKey, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  }

  isIssuedBy(issuer: ParsedCertificate): boolean {
    if (!(issuer instanceof NodeCertificate)) return false;
    try {
      return this.x509.checkIssued(issuer.x509) && this.x509.verify(issuer.x509.publicKey);
    } catch {
      return false;
    }
  }

  isValidAt(wallClockMs: number): boolean {
    return wallClockMs >= this.#notBefore && wallClockMs <= this.#notAfter;
  }

  matchesHost(hostname: string): boolean {
    try {
      return isIP(hostname) !== 0 ? this.x509.checkIP(hostname) !== undefined : this.x509.checkHost(hostname) !== undefined;
    } catch {
      return false;
    }
  }
}

/** The DtlsCrypto provider backed by node:crypto (OpenSSL underneath). */
export const nodeDtlsCrypto: DtlsCrypto = {
  sha256(parts) {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  hmacSha256(key, parts) {
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
      return new NodeCertificate(der.slice(), new X509Certificate(der));
    } catch {
      return undefined;
    }
  },
};

/** Secure random bytes from the OS (the `random` option of DtlsOptions). */
export function nodeRandom(out: Uint8Array): void {
  randomFillSync(out);
}
