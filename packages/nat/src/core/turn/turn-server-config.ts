// Options, validation and defaults of the sans-IO TURN server core; every limit of relay.md §2(b)
// lives here (core, docs/design.md §3).
import { NatError } from '../../errors.js';
import { normalizeIp } from '@meshpunch/base';
import type { HmacSha1 } from '../stun/integrity.js';
import { DEFAULT_ALLOCATION_LIFETIME_S, DEFAULT_REALM } from './constants.js';
import type { Md5 } from './rest-credentials.js';

/** What a `TurnServerCore` needs. `secret`, `relayAddress`, crypto, clock offset and `isMember` are required. */
export interface TurnServerOptions {
  /** The REST shared secret (`--relay-secret`; coturn's `static-auth-secret`): bytes or UTF-8 text. */
  secret: Uint8Array | string;
  /** The IPv4 address put in XOR-RELAYED-ADDRESS (the public address of the relayed ports). */
  relayAddress: string;
  hmacSha1: HmacSha1;
  md5: Md5;
  /** Fills a buffer with cryptographically random bytes (the nonce key). */
  random: (out: Uint8Array) => void;
  /** Unix time in ms when the core's `now` was 0: REST usernames carry unix expiries. */
  unixMsAtZero: number;
  /**
   * Is `member` (`<lobbyTag>.<peerId>`, the REST username after ':') a current lobby member, grace
   * included? Asked on every authenticated request; false → 401 (relay.md §2(b) rule 1).
   */
  isMember: (member: string) => boolean;
  /**
   * May `member`'s allocation be permitted toward `peerIp`? (rule 3(c): an IP the service saw for
   * another member of the same lobby). Asked after the address-class rules; default: yes.
   */
  mayPermit?: (member: string, peerIp: string) => boolean;
  /** REALM (default 'meshpunch'). */
  realm?: string;
  /** The server's own addresses, never permitted as peers (relayAddress is always included). */
  ownAddresses?: readonly string[];
  /** Permit RFC 1918 / 100.64/10 peers (default false; `--relay-allow-private`). */
  allowPrivate?: boolean;
  /** Permit 127/8 peers (default false; loopback interop tests only). */
  allowLoopback?: boolean;
  /** Lifetime granted when the client asks for less or nothing, s (default 600). */
  defaultLifetimeS?: number;
  /** Longest lifetime granted, s (default 3600). */
  maxLifetimeS?: number;
  /** Allocations per member (default 15: lobby maxPeers − 1 for 16-player lobbies) → 486. */
  maxAllocationsPerMember?: number;
  /** Allocations in total, pending port binds included (default 4096) → 508. */
  maxAllocations?: number;
  /** Permissions per allocation (default 16) → 508. */
  maxPermissionsPerAllocation?: number;
  /** Channels per allocation (default 16) → 508. */
  maxChannelsPerAllocation?: number;
  /** Relayed bytes/s per allocation per direction (default 262144 = 256 KiB/s); beyond: dropped. */
  bytesPerSecondPerAllocation?: number;
  /** Relayed bytes/s in total, both directions (default 64 MiB/s). */
  bytesPerSecondTotal?: number;
  /** Relayed datagrams/s per allocation, both directions (default 2000). */
  datagramsPerSecondPerAllocation?: number;
  /** Relayed datagrams/s in total (default 20000). */
  datagramsPerSecondTotal?: number;
  /** Answers to unauthenticated or failed requests per second, all clients (default 500); beyond: dropped. */
  unauthenticatedPerSecond?: number;
  /**
   * Per-source budget of those answers, asked before the global one (the signaling service's
   * per-IP `IpRateLimiter`, relay.md §2(b) rule 5): false → not answered, counted in
   * `unauthenticatedDropped`. Default: every source may.
   */
  allowUnauthenticatedAnswer?: (ip: string, now: number) => boolean;
  /** A nonce is fresh for between this and twice this, ms (default 300000: coturn's stale-nonce=600). */
  nonceBucketMs?: number;
  /** Datagrams queued for `pollTransmit` (default 4096); beyond: dropped and counted. */
  maxQueuedTransmits?: number;
  /** How long an Allocate waits for `portBound`, ms (default 5000); then 508. */
  portBindTimeoutMs?: number;
  /** SOFTWARE in responses (default none, as `no-software-attribute`). */
  software?: string;
}

/** Frozen, validated server configuration. */
export interface TurnServerConfig {
  readonly secret: Uint8Array;
  readonly relayAddress: string;
  readonly hmacSha1: HmacSha1;
  readonly md5: Md5;
  readonly random: (out: Uint8Array) => void;
  readonly unixMsAtZero: number;
  readonly isMember: (member: string) => boolean;
  readonly mayPermit: (member: string, peerIp: string) => boolean;
  readonly realm: string;
  readonly ownAddresses: ReadonlySet<string>;
  readonly allowPrivate: boolean;
  readonly allowLoopback: boolean;
  readonly defaultLifetimeS: number;
  readonly maxLifetimeS: number;
  readonly maxAllocationsPerMember: number;
  readonly maxAllocations: number;
  readonly maxPermissionsPerAllocation: number;
  readonly maxChannelsPerAllocation: number;
  readonly bytesPerSecondPerAllocation: number;
  readonly bytesPerSecondTotal: number;
  readonly datagramsPerSecondPerAllocation: number;
  readonly datagramsPerSecondTotal: number;
  readonly unauthenticatedPerSecond: number;
  readonly allowUnauthenticatedAnswer: ((ip: string, now: number) => boolean) | undefined;
  readonly nonceBucketMs: number;
  readonly maxQueuedTransmits: number;
  readonly portBindTimeoutMs: number;
  readonly software: string | undefined;
}

function int(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new NatError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${value}`, { got: value });
  }
  return value;
}

function fn<T>(name: string, value: T): T {
  if (typeof value !== 'function') throw new NatError('ERR_INVALID_PARAMETER', `${name} must be a function`);
  return value;
}

/**
 * Validates server options and fills defaults.
 * @throws NatError ERR_INVALID_PARAMETER naming the first bad option.
 */
export function resolveTurnServerOptions(options: TurnServerOptions): TurnServerConfig {
  const secret = typeof options?.secret === 'string' ? new TextEncoder().encode(options.secret) : options?.secret;
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new NatError('ERR_INVALID_PARAMETER', 'secret must be a non-empty string or Uint8Array');
  }
  const relayAddress = typeof options.relayAddress === 'string' ? normalizeIp(options.relayAddress) : undefined;
  if (relayAddress === undefined || relayAddress.includes(':')) {
    throw new NatError('ERR_INVALID_PARAMETER', `relayAddress must be an IPv4 literal, got ${JSON.stringify(options.relayAddress)}`);
  }
  const own = new Set<string>([relayAddress]);
  for (const a of options.ownAddresses ?? []) {
    const n = normalizeIp(a);
    if (n === undefined) throw new NatError('ERR_INVALID_PARAMETER', `ownAddresses must be IP literals, got ${JSON.stringify(a)}`);
    own.add(n);
  }
  if (!Number.isFinite(options.unixMsAtZero)) {
    throw new NatError('ERR_INVALID_PARAMETER', `unixMsAtZero must be a number, got ${options.unixMsAtZero}`);
  }
  const realm = options.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || realm.length === 0 || realm.length > 127) {
    throw new NatError('ERR_INVALID_PARAMETER', 'realm must be a string of 1..127 characters');
  }
  const defaultLifetimeS = int('defaultLifetimeS', options.defaultLifetimeS ?? DEFAULT_ALLOCATION_LIFETIME_S, 1, 86_400);
  return Object.freeze({
    secret: secret.slice(),
    relayAddress,
    hmacSha1: fn('hmacSha1', options.hmacSha1),
    md5: fn('md5', options.md5),
    random: fn('random', options.random),
    unixMsAtZero: options.unixMsAtZero,
    isMember: fn('isMember', options.isMember),
    mayPermit: options.mayPermit === undefined ? () => true : fn('mayPermit', options.mayPermit),
    realm,
    ownAddresses: own,
    allowPrivate: options.allowPrivate === true,
    allowLoopback: options.allowLoopback === true,
    defaultLifetimeS,
    maxLifetimeS: int('maxLifetimeS', options.maxLifetimeS ?? 3600, defaultLifetimeS, 86_400),
    maxAllocationsPerMember: int('maxAllocationsPerMember', options.maxAllocationsPerMember ?? 15, 1, 65_535),
    maxAllocations: int('maxAllocations', options.maxAllocations ?? 4096, 1, 65_535),
    maxPermissionsPerAllocation: int('maxPermissionsPerAllocation', options.maxPermissionsPerAllocation ?? 16, 1, 1024),
    maxChannelsPerAllocation: int('maxChannelsPerAllocation', options.maxChannelsPerAllocation ?? 16, 1, 16_384),
    bytesPerSecondPerAllocation: int('bytesPerSecondPerAllocation', options.bytesPerSecondPerAllocation ?? 262_144, 1, 2 ** 40),
    bytesPerSecondTotal: int('bytesPerSecondTotal', options.bytesPerSecondTotal ?? 64 * 1024 * 1024, 1, 2 ** 40),
    datagramsPerSecondPerAllocation: int('datagramsPerSecondPerAllocation', options.datagramsPerSecondPerAllocation ?? 2000, 1, 10_000_000),
    datagramsPerSecondTotal: int('datagramsPerSecondTotal', options.datagramsPerSecondTotal ?? 20_000, 1, 100_000_000),
    unauthenticatedPerSecond: int('unauthenticatedPerSecond', options.unauthenticatedPerSecond ?? 500, 1, 10_000_000),
    allowUnauthenticatedAnswer: options.allowUnauthenticatedAnswer === undefined ? undefined : fn('allowUnauthenticatedAnswer', options.allowUnauthenticatedAnswer),
    nonceBucketMs: int('nonceBucketMs', options.nonceBucketMs ?? 300_000, 1000, 86_400_000),
    maxQueuedTransmits: int('maxQueuedTransmits', options.maxQueuedTransmits ?? 4096, 1, 1_000_000),
    portBindTimeoutMs: int('portBindTimeoutMs', options.portBindTimeoutMs ?? 5000, 1, 600_000),
    software: options.software,
  });
}
