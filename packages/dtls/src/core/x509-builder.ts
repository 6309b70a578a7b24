// Builds a self-signed X.509 v3 certificate for an ECDSA P-256 key (core), RFC 5280 §4.1; the
// signature comes from a callback so the key never enters the core. One certificate per session
// is the WebRTC model (RFC 8827 §6.5): peers pin its SHA-256 fingerprint, no CA is involved.
import { bitString, explicit, oid, sequence, set, smallInteger, tlv, unsignedInteger, utf8String, x509Time, Tag } from './der.js';
import { concat } from './bytes.js';

/** ecdsa-with-SHA256 (RFC 5758 §3.2): parameters absent. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const BASIC_CONSTRAINTS = '2.5.29.19';

/** UTC calendar fields of an instant. */
export interface UtcFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface SelfSignedFields {
  /** DER SubjectPublicKeyInfo of the P-256 key. */
  spki: Uint8Array;
  /** Positive serial, up to 20 bytes (RFC 5280 §4.1.2.2). */
  serial: Uint8Array;
  commonName: string;
  notBefore: UtcFields;
  notAfter: UtcFields;
  /** ECDSA-with-SHA-256 over `tbs`, DER-encoded. */
  sign(tbs: Uint8Array): Uint8Array;
}

function time(f: UtcFields): Uint8Array {
  return x509Time(f.year, f.month, f.day, f.hour, f.minute, f.second);
}

/** Returns the certificate's DER. */
export function buildSelfSignedCertificate(f: SelfSignedFields): Uint8Array {
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const name = sequence(set(sequence(oid(COMMON_NAME), utf8String(f.commonName))));
  // basicConstraints cA=TRUE, critical: the certificate is its own trust anchor (RFC 5280 §4.2.1.9).
  const basicConstraints = sequence(oid(BASIC_CONSTRAINTS), tlv(0x01, Uint8Array.of(0xff)), tlv(Tag.OctetString, sequence(tlv(0x01, Uint8Array.of(0xff)))));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(f.serial),
    algorithm,
    name,
    sequence(time(f.notBefore), time(f.notAfter)),
    name,
    f.spki,
    explicit(3, sequence(basicConstraints)),
  );
  const signature = f.sign(tbs);
  return tlv(Tag.Sequence, concat([tbs, algorithm, bitString(signature)]));
}
