// Reads the few fields of an X.509 certificate a pinned DTLS handshake needs (core): the validity
// period and an EC P-256 subject key (RFC 5280 §4.1). A full parse (node's X509Certificate, through
// OpenSSL 3's decoder) cost ~0.4-0.7 ms per certificate, ~15 % of a handshake's CPU; this walk
// costs microseconds. Anything it does not recognise returns undefined and the caller parses in
// full; it never throws on input.
//
//   Certificate    ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
//   TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER, signature SEQUENCE,
//                                 issuer SEQUENCE, validity SEQUENCE { notBefore, notAfter },
//                                 subject SEQUENCE, subjectPublicKeyInfo SEQUENCE, ... }
//   SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING }
import { Tag } from './der.js';
import type { UtcFields } from './x509-builder.js';

/** What certificateFields reads. */
export interface CertificateFields {
  readonly notBefore: UtcFields;
  readonly notAfter: UtcFields;
  /** The subject key's uncompressed point (0x04 ‖ x ‖ y, 65 bytes), when it is an EC P-256 key. */
  readonly p256Point: Uint8Array | undefined;
}

/** id-ecPublicKey (RFC 5480 §2.1.1): 1.2.840.10045.2.1, content bytes of the OID. */
const EC_PUBLIC_KEY = Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
/** secp256r1 / prime256v1 (RFC 5480 §2.1.1.1): 1.2.840.10045.3.1.7. */
const PRIME256V1 = Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
/** Context-specific constructed [0]: the TBSCertificate's explicit version. */
const VERSION_TAG = 0xa0;

/** One TLV: its tag and where its content lies in the buffer. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The TLV at `at` within `[at, limit)`, definite lengths of at most 3 bytes (X.690 §8.1.3); undefined when malformed. */
function readTlv(b: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = b[at]!;
  // Multi-byte tags (low bits 11111) never occur in the fields read here.
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

function sameBytes(b: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (b[start + i] !== want[i]) return false;
  return true;
}

function digits(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = b[at + i]! - 0x30;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ (§4.1.2.5.2). */
function readTime(b: Uint8Array, t: Tlv): UtcFields | undefined {
  const len = t.end - t.start;
  let at = t.start;
  let year: number;
  if (t.tag === Tag.UtcTime && len === 13) {
    const yy = digits(b, at, 2);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    at += 2;
  } else if (t.tag === Tag.GeneralizedTime && len === 15) {
    year = digits(b, at, 4);
    at += 4;
  } else {
    return undefined;
  }
  if (b[t.end - 1] !== 0x5a) return undefined; // 'Z': RFC 5280 requires UTC
  const f = { year, month: digits(b, at, 2), day: digits(b, at + 2, 2), hour: digits(b, at + 4, 2), minute: digits(b, at + 6, 2), second: digits(b, at + 8, 2) };
  if (!Number.isFinite(f.year + f.month + f.day + f.hour + f.minute + f.second)) return undefined;
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 60) return undefined;
  return f;
}

/** The validity and P-256 subject key of a DER certificate; undefined when its shape is not the expected one. */
export function certificateFields(der: Uint8Array): CertificateFields | undefined {
  const cert = readTlv(der, 0, der.length);
  if (cert === undefined || cert.tag !== Tag.Sequence || cert.end !== der.length) return undefined;
  const tbs = readTlv(der, cert.start, cert.end);
  if (tbs === undefined || tbs.tag !== Tag.Sequence) return undefined;
  // The TBSCertificate's fields in order, up to the SubjectPublicKeyInfo.
  const fields: Tlv[] = [];
  for (let at = tbs.start; at < tbs.end && fields.length < 7;) {
    const f = readTlv(der, at, tbs.end);
    if (f === undefined) return undefined;
    fields.push(f);
    at = f.end;
  }
  const skip = fields[0]?.tag === VERSION_TAG ? 1 : 0;
  const [serial, signature, issuer, validity, subject, spki] = fields.slice(skip);
  if (serial?.tag !== Tag.Integer || signature?.tag !== Tag.Sequence || issuer?.tag !== Tag.Sequence) return undefined;
  if (validity?.tag !== Tag.Sequence || subject?.tag !== Tag.Sequence || spki?.tag !== Tag.Sequence) return undefined;
  const nb = readTlv(der, validity.start, validity.end);
  const na = nb === undefined ? undefined : readTlv(der, nb.end, validity.end);
  if (nb === undefined || na === undefined || na.end !== validity.end) return undefined;
  const notBefore = readTime(der, nb);
  const notAfter = readTime(der, na);
  if (notBefore === undefined || notAfter === undefined) return undefined;
  return { notBefore, notAfter, p256Point: p256Point(der, spki) };
}

/** The uncompressed point of an id-ecPublicKey/prime256v1 SubjectPublicKeyInfo, else undefined. */
function p256Point(der: Uint8Array, spki: Tlv): Uint8Array | undefined {
  const alg = readTlv(der, spki.start, spki.end);
  if (alg === undefined || alg.tag !== Tag.Sequence) return undefined;
  const key = readTlv(der, alg.end, spki.end);
  if (key === undefined || key.tag !== Tag.BitString || key.end !== spki.end) return undefined;
  const kind = readTlv(der, alg.start, alg.end);
  const curve = kind === undefined ? undefined : readTlv(der, kind.end, alg.end);
  if (kind === undefined || curve === undefined || curve.end !== alg.end) return undefined;
  if (kind.tag !== Tag.Oid || !sameBytes(der, kind.start, kind.end, EC_PUBLIC_KEY)) return undefined;
  if (curve.tag !== Tag.Oid || !sameBytes(der, curve.start, curve.end, PRIME256V1)) return undefined;
  // BIT STRING: no unused bits, then 0x04 ‖ x ‖ y (RFC 5480 §2.2, uncompressed only).
  if (key.end - key.start !== 66 || der[key.start] !== 0 || der[key.start + 1] !== 0x04) return undefined;
  return der.subarray(key.start + 1, key.end);
}
