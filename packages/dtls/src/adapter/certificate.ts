// Key pairs and self-signed certificates for DTLS (adapter): a fresh ECDSA P-256 key and a
// certificate built by the core's DER writer, or an identity loaded from PEM (Godot's
// X509Certificate/CryptoKey pair). No openssl binary is needed at runtime.
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomFillSync, sign, type KeyObject } from 'node:crypto';
import { colonHex } from '../core/bytes.js';
import type { DtlsIdentity } from '../core/crypto-provider.js';
import { buildSelfSignedCertificate, type UtcFields } from '../core/x509-builder.js';
import { DtlsError } from '../errors.js';

export interface GenerateCertificateOptions {
  /** Subject and issuer CN. Default 'meshpunch'. */
  commonName?: string;
  /** Validity from an hour before `nowMs` (clock skew) to this many days after. Default 30. */
  validityDays?: number;
  /** Wall clock (ms since the Unix epoch). Default Date.now(). */
  nowMs?: number;
}

/** A key pair, its certificate and everything a peer or a test wants of them. */
export interface GeneratedIdentity {
  readonly identity: DtlsIdentity;
  /** DER of the certificate. */
  readonly certificate: Uint8Array;
  /** PEM of the certificate (made on first read). */
  readonly certificatePem: string;
  readonly privateKey: KeyObject;
  /** PKCS #8 PEM of the private key (made on first read: OpenSSL 3's encoder costs ~0.5 ms, and a mesh session never needs it). */
  readonly privateKeyPem: string;
  /** SHA-256 of the DER, `AB:CD:…` (what signaling carries). */
  readonly fingerprint: string;
}

/** DER SubjectPublicKeyInfo prefix of an uncompressed P-256 point (RFC 5480 §2): SEQ { SEQ { id-ecPublicKey, prime256v1 }, BIT STRING 00 }. */
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]);

/**
 * The SPKI DER of a P-256 public key, built from its JWK coordinates: a DER export goes through
 * OpenSSL 3's encoder (~0.5-1 ms on the project's machines), the JWK export does not.
 */
function p256Spki(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  // JWK drops no leading zero bytes for EC coordinates (RFC 7518 §6.2.1.2); the DER path stays as a fallback.
  if (x.length !== 32 || y.length !== 32) return new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const out = new Uint8Array(P256_SPKI_PREFIX.length + 65);
  out.set(P256_SPKI_PREFIX, 0);
  out[P256_SPKI_PREFIX.length] = 0x04;
  out.set(x, P256_SPKI_PREFIX.length + 1);
  out.set(y, P256_SPKI_PREFIX.length + 33);
  return out;
}

function fields(ms: number): UtcFields {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function signerFor(privateKey: KeyObject): (data: Uint8Array) => Uint8Array {
  return (data) => new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }));
}

/**
 * A fresh P-256 key and self-signed certificate (one per session, the WebRTC model).
 * @throws DtlsError ERR_INVALID_PARAMETER for a bad validityDays.
 */
export function generateIdentity(options: GenerateCertificateOptions = {}): GeneratedIdentity {
  const validityDays = options.validityDays ?? 30;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) {
    throw new DtlsError('ERR_INVALID_PARAMETER', `validityDays must be an integer 1..3650, got ${validityDays}`);
  }
  const now = options.nowMs ?? Date.now();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = new Uint8Array(16);
  randomFillSync(serial);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const sign1 = signerFor(privateKey);
  const certificate = buildSelfSignedCertificate({
    spki: p256Spki(publicKey),
    serial,
    commonName: options.commonName ?? 'meshpunch',
    notBefore: fields(now - 3_600_000),
    notAfter: fields(now + validityDays * 86_400_000),
    sign: sign1,
  });
  let certificatePem: string | undefined;
  let privateKeyPem: string | undefined;
  return {
    identity: { certificateChain: [certificate], sign: sign1 },
    certificate,
    get certificatePem() {
      return (certificatePem ??= toPem(certificate));
    },
    privateKey,
    get privateKeyPem() {
      return (privateKeyPem ??= privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    },
    fingerprint: colonHex(new Uint8Array(createHash('sha256').update(certificate).digest())),
  };
}

/**
 * An identity from PEM text: one or more certificates (leaf first) and a P-256 private key.
 * @throws DtlsError ERR_INVALID_PARAMETER when the PEM does not parse or the key is not P-256.
 */
export function identityFromPem(certificatesPem: string, privateKeyPem: string): DtlsIdentity {
  const chain = certificateDersFromPem(certificatesPem);
  if (chain.length === 0) throw new DtlsError('ERR_INVALID_PARAMETER', 'certificatesPem holds no CERTIFICATE block');
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new DtlsError('ERR_INVALID_PARAMETER', 'privateKeyPem is not a readable private key', {}, undefined, err);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new DtlsError('ERR_INVALID_PARAMETER', 'the private key must be ECDSA P-256 (prime256v1)');
  }
  return { certificateChain: chain, sign: signerFor(key) };
}

/**
 * The DER of each CERTIFICATE block in `pem`.
 * @throws DtlsError ERR_INVALID_PARAMETER when a block is not a certificate.
 */
export function certificateDersFromPem(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    try {
      out.push(new Uint8Array(new X509Certificate(m[0]).raw));
    } catch (err) {
      throw new DtlsError('ERR_INVALID_PARAMETER', 'a CERTIFICATE block does not parse', {}, undefined, err);
    }
  }
  return out;
}
