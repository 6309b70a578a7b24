// Peer certificate verification (core): fingerprint pinning (the WebRTC model, RFC 8122 §5) and/or
// a chain to a trusted certificate, validity at the caller's wall clock, and the host name.
import { colonHex } from './bytes.js';
import type { DtlsCrypto, ParsedCertificate } from './crypto-provider.js';
import { AlertDescription } from './constants.js';
import type { DtlsErrorCode } from '../errors.js';
import type { DtlsConfig } from './options.js';

export interface CheckFailure {
  code: DtlsErrorCode;
  message: string;
  alert: number;
}

/** SHA-256 of the DER certificate as `AB:CD:…` (the a=fingerprint form of RFC 8122 §5). */
export function certificateFingerprint(crypto: DtlsCrypto, der: Uint8Array): string {
  return colonHex(crypto.sha256([der]));
}

/**
 * Checks the peer's chain (leaf first) against the config. Returns undefined when accepted.
 * `leaf` is the already-parsed leaf (its key must be P-256 for our suites).
 */
export function checkPeerChain(config: DtlsConfig, chain: readonly ParsedCertificate[], fingerprint: string): CheckFailure | undefined {
  if (config.unsafe) return undefined;
  const leaf = chain[0]!;
  if (config.expectedFingerprint !== undefined && fingerprint !== config.expectedFingerprint) {
    return { code: 'DTLS_FINGERPRINT_MISMATCH', message: `peer certificate fingerprint ${fingerprint} is not the expected ${config.expectedFingerprint}`, alert: AlertDescription.BadCertificate };
  }
  if (config.trustedCertificates.length > 0) {
    const failure = checkChainToTrust(config, chain);
    if (failure !== undefined) return failure;
  }
  if (config.hostname !== undefined && !leaf.matchesHost(config.hostname)) {
    return { code: 'DTLS_CERTIFICATE_HOSTNAME_MISMATCH', message: `peer certificate does not name host ${config.hostname}`, alert: AlertDescription.BadCertificate };
  }
  if (config.wallClockMs !== undefined) {
    const now = config.wallClockMs();
    if (!leaf.isValidAt(now)) {
      return { code: 'DTLS_CERTIFICATE_EXPIRED', message: 'peer certificate is outside its validity period', alert: AlertDescription.CertificateExpired };
    }
  }
  return undefined;
}

function sameDer(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Walks leaf → issuer until a trusted certificate is reached (RFC 5280 §6, minus policy/constraints). */
function checkChainToTrust(config: DtlsConfig, chain: readonly ParsedCertificate[]): CheckFailure | undefined {
  const untrusted: CheckFailure = { code: 'DTLS_CERTIFICATE_UNTRUSTED', message: 'peer certificate does not chain to a trusted certificate', alert: AlertDescription.UnknownCa };
  const now = config.wallClockMs?.();
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    if (now !== undefined && !c.isValidAt(now)) {
      return { code: 'DTLS_CERTIFICATE_EXPIRED', message: `peer certificate ${i} of the chain is outside its validity period`, alert: AlertDescription.CertificateExpired };
    }
    for (const t of config.trustedParsed) {
      if (sameDer(c.der, t.der)) return undefined;
      if (c.isIssuedBy(t)) return undefined;
    }
    const next = chain[i + 1];
    if (next === undefined || !next.isCertificateAuthority || !c.isIssuedBy(next)) return untrusted;
  }
  return untrusted;
}
