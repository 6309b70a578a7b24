// The cryptographic primitives the DTLS core needs, as an interface (core): the core stays free of
// node:* imports (docs/design.md §1) and the adapter (src/adapter/node-crypto.ts) implements it.
import type { CipherSuiteId, NamedGroupId } from './constants.js';

/** One side's ephemeral key for one handshake. */
export interface KeyShare {
  /** Our public value as sent on the wire: 65-byte uncompressed point (P-256) or 32 bytes (X25519). */
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's public value, or undefined when that value is invalid. */
  deriveSecret(peerPublic: Uint8Array): Uint8Array | undefined;
}

/** An AEAD keyed for one direction of one epoch. */
export interface Aead {
  /** Writes ciphertext followed by the 16-byte tag into `out` at `offset`; returns the bytes written. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** Returns the plaintext, or undefined when the tag does not verify. Never throws. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | undefined;
  /**
   * Opens the `sealedLength` bytes (ciphertext then tag) at `offset` of `buf` in place: on success
   * the plaintext overwrites the ciphertext and its length is returned; -1 when the tag does not
   * verify (then `buf` is unchanged). Never throws. The receive hot path: no allocation.
   */
  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, sealedLength: number): number;
}

/** A parsed X.509 certificate, only the questions the handshake asks of it. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** True when the subject key is an EC P-256 key (the only one our suites can use). */
  readonly isEcdsaP256: boolean;
  /** True when basicConstraints says cA. */
  readonly isCertificateAuthority: boolean;
  /** ECDSA-with-SHA-256 verification of `signature` (DER) over `data` with this certificate's key. */
  verifySignature(data: Uint8Array, signature: Uint8Array): boolean;
  /** True when `issuer` names this certificate's issuer and its key verifies this certificate's signature. */
  isIssuedBy(issuer: ParsedCertificate): boolean;
  /** True when `wallClockMs` (ms since the Unix epoch) lies within notBefore..notAfter. */
  isValidAt(wallClockMs: number): boolean;
  /** RFC 6125 host name check against subjectAltName / CN. */
  matchesHost(hostname: string): boolean;
}

/** Everything the core asks of the platform's crypto. */
export interface DtlsCrypto {
  sha256(parts: readonly Uint8Array[]): Uint8Array;
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /** A fresh ephemeral key for `group`; `random` supplies its entropy where the platform allows. */
  generateKeyShare(group: NamedGroupId): KeyShare;
  createAead(suite: CipherSuiteId, key: Uint8Array): Aead;
  /** Parses DER; undefined when it is not a certificate this platform can read. Never throws. */
  parseCertificate(der: Uint8Array): ParsedCertificate | undefined;
}

/** Our certificate chain (leaf first, DER) and a signer for its private key. */
export interface DtlsIdentity {
  readonly certificateChain: readonly Uint8Array[];
  /** ECDSA-with-SHA-256 signature (DER-encoded, as TLS carries it) over `data`. */
  sign(data: Uint8Array): Uint8Array;
}
