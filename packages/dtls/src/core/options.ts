// DtlsSession options, modelled on Godot's TLSOptions (client / client_unsafe / server), resolved
// once into a frozen config (docs/design.md §3). Core: the crypto provider and randomness come in here.
import { CipherSuite, NamedGroup, type CipherSuiteId, type NamedGroupId } from './constants.js';
import type { DtlsCrypto, DtlsIdentity, ParsedCertificate } from './crypto-provider.js';
import { DtlsError } from '../errors.js';

export type DtlsRole = 'client' | 'server';

/** Normalises a fingerprint given by a user: optional "sha-256 " prefix, any case, colons optional. */
export function normalizeFingerprint(text: string): string | undefined {
  const t = text.trim().replace(/^sha-256\s+/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(t)) return undefined;
  return t.match(/../g)!.join(':');
}

/** What a caller may set; everything is optional except where the role needs it. */
export interface DtlsOptions {
  /** 'client' starts the handshake with `connect`; 'server' answers. */
  role?: DtlsRole;
  /** Platform crypto (the adapter's `nodeDtlsCrypto`). Required. */
  crypto?: DtlsCrypto;
  /** Fills `out` with cryptographically strong random bytes (hello randoms, cookie secret). Required. */
  random?: (out: Uint8Array) => void;
  /** Our certificate chain and signer. Required for a server; a client sends it when asked. */
  identity?: DtlsIdentity;
  /** Trust anchors (DER). A peer chain must end at or be issued by one of these. Godot: `trusted_chain`. */
  trustedCertificates?: readonly Uint8Array[];
  /** SHA-256 fingerprint the peer's leaf certificate must have (`AB:CD:…`, `sha-256 AB:…` or bare hex). */
  expectedFingerprint?: string;
  /** Host name the server certificate must name (client only; Godot's `common_name_override`/hostname). */
  hostname?: string;
  /** Skip every certificate check (testing only; Godot's `TLSOptions.client_unsafe`). Default false. */
  unsafe?: boolean;
  /** Server: ask for and require a client certificate. Default: true when expectedFingerprint or trustedCertificates is set. */
  requireClientCertificate?: boolean;
  /** Wall clock (ms since the Unix epoch) for certificate validity; when absent validity is not checked. */
  wallClockMs?: () => number;
  /** Suites in preference order. Default: ChaCha20-Poly1305 (our fastest, adapter/chacha20-poly1305.ts) then AES-128-GCM. */
  cipherSuites?: readonly CipherSuiteId[];
  /** Key exchange groups in preference order. Default: X25519 then P-256. */
  groups?: readonly NamedGroupId[];
  /** Largest datagram we emit (bytes); handshake messages are fragmented to fit. Default 1200. */
  mtu?: number;
  /** First handshake retransmission timeout (ms). RFC 6347 §4.2.4.1 says 1000. */
  retransmitInitialMs?: number;
  /** Ceiling of the doubled retransmission timeout (ms). RFC 6347 §4.2.4.1 says 60000. */
  retransmitMaxMs?: number;
  /** Give up the handshake after this long since `connect`/the first ClientHello (ms). Default 30000. */
  handshakeTimeoutMs?: number;
  /**
   * Client: TLS False Start (RFC 7918): application data may be sent right after our Finished,
   * one round trip before the server's Finished arrives. Every suite we offer meets §3's
   * conditions (ECDHE, AEAD), and the data goes only after the server's certificate and its
   * ServerKeyExchange signature were checked. Default false.
   */
  falseStart?: boolean;
  /** Cap on datagrams waiting for `pollTransmit`; beyond it new ones are dropped and counted. Default 256. */
  maxQueuedDatagrams?: number;
  /** Cap on events waiting for `pollEvent`; beyond it new ones are dropped and counted. Default 1024. */
  maxQueuedEvents?: number;
}

/** The validated, frozen form of DtlsOptions. */
export interface DtlsConfig {
  readonly role: DtlsRole;
  readonly crypto: DtlsCrypto;
  readonly random: (out: Uint8Array) => void;
  readonly identity: DtlsIdentity | undefined;
  readonly trustedCertificates: readonly Uint8Array[];
  readonly trustedParsed: readonly ParsedCertificate[];
  readonly expectedFingerprint: string | undefined;
  readonly hostname: string | undefined;
  readonly unsafe: boolean;
  readonly requireClientCertificate: boolean;
  readonly wallClockMs: (() => number) | undefined;
  readonly cipherSuites: readonly CipherSuiteId[];
  readonly groups: readonly NamedGroupId[];
  readonly mtu: number;
  readonly retransmitInitialMs: number;
  readonly retransmitMaxMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxQueuedDatagrams: number;
  readonly maxQueuedEvents: number;
  readonly falseStart: boolean;
}

function invalid(message: string, details: Record<string, unknown> = {}): DtlsError {
  return new DtlsError('ERR_INVALID_PARAMETER', message, details);
}

function intIn(name: string, v: number | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < lo || v > hi) throw invalid(`${name} must be an integer ${lo}..${hi}, got ${v}`, { [name]: v });
  return v;
}

const ALL_SUITES: readonly number[] = Object.values(CipherSuite);
const ALL_GROUPS: readonly number[] = Object.values(NamedGroup);

/**
 * Validates options once and returns a frozen config.
 * @throws DtlsError ERR_INVALID_PARAMETER for a bad value, ERR_UNCONFIGURED when a role lacks what it needs.
 */
export function resolveDtlsOptions(options: DtlsOptions): DtlsConfig {
  const role = options.role ?? 'client';
  if (role !== 'client' && role !== 'server') throw invalid(`role must be 'client' or 'server', got ${String(role)}`);
  if (options.crypto === undefined) throw new DtlsError('ERR_UNCONFIGURED', 'crypto is required (use nodeDtlsCrypto from the adapter)');
  if (typeof options.random !== 'function') throw new DtlsError('ERR_UNCONFIGURED', 'random is required (a function filling a Uint8Array with secure random bytes)');
  const crypto = options.crypto;
  const identity = options.identity;
  if (identity !== undefined && identity.certificateChain.length === 0) throw invalid('identity.certificateChain must hold at least the leaf certificate');
  if (role === 'server' && identity === undefined) throw new DtlsError('ERR_UNCONFIGURED', 'a server needs an identity (certificate chain and key)');
  let expectedFingerprint: string | undefined;
  if (options.expectedFingerprint !== undefined) {
    expectedFingerprint = normalizeFingerprint(options.expectedFingerprint);
    if (expectedFingerprint === undefined) throw invalid(`expectedFingerprint must be 32 bytes of hex (SHA-256), got ${options.expectedFingerprint}`);
  }
  const trustedCertificates = [...(options.trustedCertificates ?? [])];
  const trustedParsed: ParsedCertificate[] = [];
  for (let i = 0; i < trustedCertificates.length; i++) {
    const p = crypto.parseCertificate(trustedCertificates[i]!);
    if (p === undefined) throw invalid(`trustedCertificates[${i}] is not a DER X.509 certificate`);
    trustedParsed.push(p);
  }
  const unsafe = options.unsafe ?? false;
  if (unsafe && (expectedFingerprint !== undefined || trustedCertificates.length > 0)) {
    throw invalid('unsafe excludes expectedFingerprint and trustedCertificates: an unsafe session checks nothing');
  }
  const verifies = expectedFingerprint !== undefined || trustedCertificates.length > 0;
  if (role === 'client' && !unsafe && !verifies) {
    throw new DtlsError('ERR_UNCONFIGURED', 'a client needs trustedCertificates or expectedFingerprint, or unsafe: true');
  }
  if (options.hostname !== undefined && role !== 'client') throw invalid('hostname applies to a client only');
  if (options.falseStart !== undefined && typeof options.falseStart !== 'boolean') throw invalid(`falseStart must be a boolean, got ${typeof options.falseStart}`);
  if (options.falseStart === true && role !== 'client') throw invalid('falseStart applies to a client only');
  const requireClientCertificate = options.requireClientCertificate ?? (role === 'server' && verifies);
  if (role === 'server' && requireClientCertificate && !verifies && !unsafe) {
    throw new DtlsError('ERR_UNCONFIGURED', 'requireClientCertificate needs trustedCertificates or expectedFingerprint to check it against, or unsafe: true');
  }
  const cipherSuites = [...(options.cipherSuites ?? [CipherSuite.EcdheEcdsaChacha20Poly1305Sha256, CipherSuite.EcdheEcdsaAes128GcmSha256])];
  if (cipherSuites.length === 0 || cipherSuites.some((s) => !ALL_SUITES.includes(s))) throw invalid(`cipherSuites must be a non-empty list of supported suites, got ${cipherSuites.join(',')}`);
  const groups = [...(options.groups ?? [NamedGroup.X25519, NamedGroup.Secp256r1])];
  if (groups.length === 0 || groups.some((g) => !ALL_GROUPS.includes(g))) throw invalid(`groups must be a non-empty list of supported groups, got ${groups.join(',')}`);
  const retransmitInitialMs = intIn('retransmitInitialMs', options.retransmitInitialMs, 1, 60_000, 1000);
  return Object.freeze({
    role,
    crypto,
    random: options.random,
    identity,
    trustedCertificates: Object.freeze(trustedCertificates),
    trustedParsed: Object.freeze(trustedParsed),
    expectedFingerprint,
    hostname: options.hostname,
    unsafe,
    requireClientCertificate,
    wallClockMs: options.wallClockMs,
    cipherSuites: Object.freeze(cipherSuites),
    groups: Object.freeze(groups),
    // 256 leaves room for a whole ClientHello; 65507 is the UDP payload limit.
    mtu: intIn('mtu', options.mtu, 256, 65507, 1200),
    retransmitInitialMs,
    retransmitMaxMs: intIn('retransmitMaxMs', options.retransmitMaxMs, retransmitInitialMs, 600_000, 60_000),
    handshakeTimeoutMs: intIn('handshakeTimeoutMs', options.handshakeTimeoutMs, 1, 3_600_000, 30_000),
    maxQueuedDatagrams: intIn('maxQueuedDatagrams', options.maxQueuedDatagrams, 1, 1_000_000, 256),
    maxQueuedEvents: intIn('maxQueuedEvents', options.maxQueuedEvents, 1, 1_000_000, 1024),
    falseStart: options.falseStart ?? false,
  });
}
