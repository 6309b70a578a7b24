// Adapter: Godot's TLSOptions (client / client_unsafe / server) for ENetConnection's
// dtlsClientSetup / dtlsServerSetup, plus meshpunch's `pinned` (the WebRTC model: a certificate
// fingerprint learnt over an authenticated channel, no certificate authority), and the one place
// that turns them into a DTLS transport for a host.
import { DtlsError, DtlsTransport, certificateDersFromPem, identityFromPem, nodeDtlsCrypto, nodeRandom, type DtlsIdentity, type DtlsTransportOptions } from '@meshpunch/dtls';
import { ENetError } from '../errors.js';

type TlsMode = 'client' | 'clientUnsafe' | 'server' | 'pinned';

/** Trust anchors: DER certificates, or PEM text holding one or more. */
export type TrustedChain = readonly Uint8Array[] | string;

/** meshpunch extension: options of TLSOptions.pinned. */
export interface PinnedOptions {
  /**
   * As a DTLS server: true for a source whose return path the caller has proven itself (the
   * agent: a punch check answered under the pair secret). Its first ClientHello skips the cookie
   * round trip (DtlsServerOptions.cookieExempt: once per source, never to replace a session).
   */
  verifiedSource?: (address: string, port: number) => boolean;
  /**
   * As a DTLS client: TLS False Start (RFC 7918, DtlsOptions.falseStart): the first ENet
   * datagrams (the CONNECT) go with our Finished, one round trip before the server's arrives.
   */
  falseStart?: boolean;
}

/** Godot's TLSOptions; make one with a static factory. Immutable. */
export class TLSOptions {
  readonly mode: TlsMode;
  /** Trust anchors (DER). */
  readonly trustedCertificates: readonly Uint8Array[];
  /** Host name the server certificate must name instead of the one given to dtlsClientSetup ("" = that one). */
  readonly commonNameOverride: string;
  /** Own certificate chain and key (server; pinned: both roles). */
  readonly identity: DtlsIdentity | undefined;
  /** Pinned: the SHA-256 fingerprint the peer's certificate must have. */
  readonly expectedFingerprint: string | undefined;
  /** Pinned server: sources whose return path the caller proved (PinnedOptions.verifiedSource). */
  readonly verifiedSource: ((address: string, port: number) => boolean) | undefined;
  /** Pinned client: TLS False Start (PinnedOptions.falseStart). */
  readonly falseStart: boolean;

  private constructor(mode: TlsMode, trusted: readonly Uint8Array[], commonNameOverride: string, identity: DtlsIdentity | undefined, expectedFingerprint: string | undefined, pinned: PinnedOptions = {}) {
    this.mode = mode;
    this.trustedCertificates = Object.freeze([...trusted]);
    this.commonNameOverride = commonNameOverride;
    this.identity = identity;
    this.expectedFingerprint = expectedFingerprint;
    this.verifiedSource = pinned.verifiedSource;
    this.falseStart = pinned.falseStart ?? false;
    Object.freeze(this);
  }

  /**
   * Godot `TLSOptions.client(trusted_chain, common_name_override)`: the server's chain must end
   * at one of `trustedChain` and name the host. meshpunch has no system CA store, so a chain is
   * required (Godot falls back to the system's).
   * @throws ENetError ERR_INVALID_PARAMETER for an empty chain or PEM without a certificate.
   */
  static client(trustedChain: TrustedChain, commonNameOverride = ''): TLSOptions {
    const trusted = toDers(trustedChain, 'trustedChain');
    if (trusted.length === 0) throw new ENetError('ERR_INVALID_PARAMETER', 'TLSOptions.client needs at least one trusted certificate (meshpunch has no system CA store); use TLSOptions.clientUnsafe() for tests', { argument: 'trustedChain' });
    return new TLSOptions('client', trusted, commonNameOverride, undefined, undefined);
  }

  /** Godot `TLSOptions.client_unsafe()`: no certificate check at all (tests only). */
  static clientUnsafe(): TLSOptions {
    return new TLSOptions('clientUnsafe', [], '', undefined, undefined);
  }

  /**
   * Godot `TLSOptions.server(key, certificate)`: PEM key and PEM certificate chain, or an
   * identity from @meshpunch/dtls (`generateIdentity().identity`, `identityFromPem`).
   * @throws ENetError ERR_INVALID_PARAMETER when the PEM cannot be loaded.
   */
  static server(key: string | DtlsIdentity, certificate?: string): TLSOptions {
    let identity: DtlsIdentity;
    if (typeof key === 'string') {
      if (typeof certificate !== 'string') throw new ENetError('ERR_INVALID_PARAMETER', 'TLSOptions.server(keyPem, certificatePem) needs the certificate PEM too', { argument: 'certificate' });
      try {
        identity = identityFromPem(certificate, key);
      } catch (err) {
        throw new ENetError('ERR_INVALID_PARAMETER', `TLSOptions.server cannot load the key or certificate: ${(err as Error).message}`, { argument: 'key' }, err);
      }
    } else identity = key;
    return new TLSOptions('server', [], '', identity, undefined);
  }

  /**
   * meshpunch extension: mutual authentication by pinned fingerprints, for either role. The
   * peer must present the certificate whose SHA-256 fingerprint is `expectedFingerprint`; we
   * present `identity` (a server always, a client when asked, which a pinned server does).
   * @throws ENetError ERR_INVALID_PARAMETER when `options.verifiedSource` is not a function or `options.falseStart` not a boolean.
   */
  static pinned(identity: DtlsIdentity, expectedFingerprint: string, options: PinnedOptions = {}): TLSOptions {
    const v = options.verifiedSource;
    if (v !== undefined && typeof v !== 'function') throw new ENetError('ERR_INVALID_PARAMETER', `verifiedSource must be a function, got ${typeof v}`, { argument: 'verifiedSource' });
    if (options.falseStart !== undefined && typeof options.falseStart !== 'boolean') throw new ENetError('ERR_INVALID_PARAMETER', `falseStart must be a boolean, got ${typeof options.falseStart}`, { argument: 'falseStart' });
    return new TLSOptions('pinned', [], '', identity, expectedFingerprint, { ...(v === undefined ? {} : { verifiedSource: v }), ...(options.falseStart === undefined ? {} : { falseStart: options.falseStart }) });
  }

  /** Godot `is_server()`. */
  isServer(): boolean {
    return this.mode === 'server';
  }

  /** Godot `is_unsafe_client()`. */
  isUnsafeClient(): boolean {
    return this.mode === 'clientUnsafe';
  }

  /** Godot `get_common_name_override()`. */
  getCommonNameOverride(): string {
    return this.commonNameOverride;
  }
}

function toDers(chain: TrustedChain, argument: string): Uint8Array[] {
  if (typeof chain === 'string') {
    const ders = certificateDersFromPem(chain);
    if (ders.length === 0) throw new ENetError('ERR_INVALID_PARAMETER', `${argument} holds no PEM certificate`, { argument });
    return ders;
  }
  if (!Array.isArray(chain) || chain.some((c) => !(c instanceof Uint8Array))) throw new ENetError('ERR_INVALID_PARAMETER', `${argument} must be PEM text or an array of DER certificates`, { argument });
  return [...chain];
}

/**
 * The DTLS transport a host uses for `options` in `role`. `maxSessions` is the host's peer
 * count, as Godot's DTLS server sizes its session table.
 * @throws ENetError ERR_INVALID_PARAMETER when the options do not fit the role or are refused.
 */
export function dtlsTransportFor(role: 'client' | 'server', options: TLSOptions, hostname: string, maxSessions: number): DtlsTransport {
  if (!(options instanceof TLSOptions)) throw new ENetError('ERR_INVALID_PARAMETER', `DTLS setup needs a TLSOptions (TLSOptions.${role === 'server' ? 'server' : 'client'}(…)), got ${String(options)}`, { argument: 'options' });
  if (role === 'server' && options.mode !== 'server' && options.mode !== 'pinned') {
    throw new ENetError('ERR_INVALID_PARAMETER', `dtlsServerSetup needs TLSOptions.server(…) or TLSOptions.pinned(…), got a ${options.mode} TLSOptions`, { mode: options.mode });
  }
  if (role === 'client' && options.mode === 'server') {
    throw new ENetError('ERR_INVALID_PARAMETER', 'dtlsClientSetup needs a client TLSOptions (client, clientUnsafe or pinned), got TLSOptions.server(…)', { mode: options.mode });
  }
  const o: DtlsTransportOptions = { role, crypto: nodeDtlsCrypto, random: nodeRandom, maxSessions, wallClockMs: Date.now };
  if (options.identity !== undefined) o.identity = options.identity;
  if (options.mode === 'pinned') o.expectedFingerprint = options.expectedFingerprint!;
  if (role === 'server' && options.verifiedSource !== undefined) o.cookieExempt = options.verifiedSource;
  if (role === 'client' && options.falseStart) o.falseStart = true;
  if (options.mode === 'client') {
    o.trustedCertificates = options.trustedCertificates;
    const name = options.commonNameOverride !== '' ? options.commonNameOverride : hostname;
    if (name !== '') o.hostname = name;
  }
  if (options.mode === 'clientUnsafe') o.unsafe = true;
  try {
    return new DtlsTransport(o);
  } catch (err) {
    if (err instanceof DtlsError) throw new ENetError('ERR_INVALID_PARAMETER', `DTLS setup refused the options: ${err.message}`, { code: err.code }, err);
    throw err;
  }
}
