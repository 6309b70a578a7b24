// DTLS 1.2 wire constants (core): content types, handshake types, alerts, suites, groups.
// Numbers come from RFC 6347 (DTLS 1.2), RFC 5246 (TLS 1.2), RFC 8422 (ECC), RFC 7905 (ChaCha20),
// RFC 7627 (extended master secret), RFC 5746 (renegotiation_info).

/** Record `ProtocolVersion` for DTLS 1.2, the one's complement of {1, 2} (RFC 6347 §4.1). */
export const DTLS_1_2 = 0xfefd;
/** DTLS 1.0, the version a HelloVerifyRequest carries (RFC 6347 §4.2.1) and some first ClientHellos use. */
export const DTLS_1_0 = 0xfeff;

/** Record header: type(1) version(2) epoch(2) sequence_number(6) length(2) (RFC 6347 §4.1). */
export const RECORD_HEADER_LENGTH = 13;
/** Handshake header: type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) (RFC 6347 §4.2.2). */
export const HANDSHAKE_HEADER_LENGTH = 12;
/** TLSPlaintext.length may not exceed 2^14 (RFC 5246 §6.2.1). */
export const MAX_PLAINTEXT = 16384;
/** AEAD ciphertext may exceed the plaintext by at most 2^10 (RFC 5246 §6.2.3). */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 1024;

export const ContentType = {
  ChangeCipherSpec: 20,
  Alert: 21,
  Handshake: 22,
  ApplicationData: 23,
} as const;

export const HandshakeType = {
  HelloRequest: 0,
  ClientHello: 1,
  ServerHello: 2,
  HelloVerifyRequest: 3,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
} as const;

/** Alert descriptions used here (RFC 5246 §7.2, RFC 5746 §3.4). */
export const AlertDescription = {
  CloseNotify: 0,
  UnexpectedMessage: 10,
  BadRecordMac: 20,
  HandshakeFailure: 40,
  BadCertificate: 42,
  CertificateExpired: 45,
  IllegalParameter: 47,
  UnknownCa: 48,
  DecodeError: 50,
  DecryptError: 51,
  ProtocolVersion: 70,
  InternalError: 80,
  NoRenegotiation: 100,
} as const;

export const AlertLevel = { Warning: 1, Fatal: 2 } as const;

/** The cipher suites we speak: ECDHE key agreement, ECDSA authentication, AEAD record protection. */
export const CipherSuite = {
  /** RFC 5289 */
  EcdheEcdsaAes128GcmSha256: 0xc02b,
  /** RFC 7905 */
  EcdheEcdsaChacha20Poly1305Sha256: 0xcca9,
} as const;
export type CipherSuiteId = (typeof CipherSuite)[keyof typeof CipherSuite];

/** Named groups (RFC 8422 §5.1.1, RFC 7748). */
export const NamedGroup = { Secp256r1: 23, X25519: 29 } as const;
export type NamedGroupId = (typeof NamedGroup)[keyof typeof NamedGroup];

/** SignatureScheme ecdsa_secp256r1_sha256 (RFC 8446 §4.2.3; RFC 5246 pair {sha256=4, ecdsa=3}). */
export const ECDSA_SECP256R1_SHA256 = 0x0403;
/** ClientCertificateType ecdsa_sign (RFC 8422 §5.5). */
export const ECDSA_SIGN = 64;
/** ECCurveType named_curve (RFC 8422 §5.4). */
export const NAMED_CURVE = 3;

export const ExtensionType = {
  SupportedGroups: 10,
  EcPointFormats: 11,
  SignatureAlgorithms: 13,
  ExtendedMasterSecret: 23,
  RenegotiationInfo: 0xff01,
} as const;

/** Finished.verify_data length (RFC 5246 §7.4.9). */
export const VERIFY_DATA_LENGTH = 12;
/** Length of ClientHello/ServerHello random (RFC 5246 §7.4.1.2). */
export const RANDOM_LENGTH = 32;
/** Length of the master secret (RFC 5246 §8.1). */
export const MASTER_SECRET_LENGTH = 48;
/** AEAD tag length of AES-GCM and ChaCha20-Poly1305. */
export const AEAD_TAG_LENGTH = 16;
/** GCM's explicit nonce carried in each record (RFC 5288 §3). */
export const GCM_EXPLICIT_NONCE_LENGTH = 8;

/** Key and IV lengths per suite, for the key block (RFC 5288 §3, RFC 7905 §2). */
export function suiteKeyLengths(suite: CipherSuiteId): { key: number; iv: number; explicitNonce: number } {
  return suite === CipherSuite.EcdheEcdsaAes128GcmSha256
    ? { key: 16, iv: 4, explicitNonce: GCM_EXPLICIT_NONCE_LENGTH }
    : { key: 32, iv: 12, explicitNonce: 0 };
}
