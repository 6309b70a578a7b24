// Options, validation and defaults of the sans-IO TURN client (core, docs/design.md §3: XxxOptions in,
// frozen XxxConfig out).
import { NatError } from '../../errors.js';
import { normalizeIp } from '@meshpunch/base';
import type { TransportAddress } from '../stun/binding.js';
import type { HmacSha1 } from '../stun/integrity.js';
import { STUN_RC, STUN_RM, STUN_RTO_MS } from '../stun/client.js';
import { DEFAULT_ALLOCATION_LIFETIME_S } from './constants.js';
import type { Md5 } from './rest-credentials.js';

/** What a `TurnClient` needs; server, credentials and the injected crypto are required. */
export interface TurnClientOptions {
  /** The TURN server's transport address S (an IP literal): the only source the client listens to. */
  server: TransportAddress;
  /** Long-term username, e.g. a REST one `<expiry>:<lobbyTag>.<peerId>` (relay.md §1). */
  username: string;
  /** Long-term password (REST: base64(HMAC-SHA1(secret, username))). */
  password: string;
  /** HMAC-SHA1 for MESSAGE-INTEGRITY (`nodeHmacSha1`). */
  hmacSha1: HmacSha1;
  /** MD5 for the long-term key (`nodeMd5`). */
  md5: Md5;
  /** Fills a buffer with cryptographically random bytes (transaction ids, RFC 8489 §6). */
  random: (out: Uint8Array) => void;
  /** Allocation lifetime asked for, s (default 600, RFC 8656 §3.2; 1..3600). */
  lifetimeS?: number;
  /** Initial retransmission timeout, ms (default 500, RFC 8489 §6.2.1). */
  rtoMs?: number;
  /** Requests sent per transaction, Rc (default 7). */
  requestCount?: number;
  /** Wait after the last request in initial RTOs, Rm (default 16). */
  lastWaitFactor?: number;
  /** Permissions held at once (default 32); `createPermission` beyond it throws. */
  maxPermissions?: number;
  /** Channels bound at once (default 32, at most 4096 = 0x4000..0x4FFF); `bindChannel` beyond it throws. */
  maxChannels?: number;
  /** Datagrams `send` may queue between drains (default 64); beyond it they are dropped and counted. */
  maxQueuedSends?: number;
  /**
   * Idle interval after which a Binding indication keeps the NAT mapping toward the server open,
   * ms (default 15000: RFC 8445 §11's Tr; NAT UDP timeouts can be as short as 30 s, RFC 4787 §4.3).
   */
  keepaliveMs?: number;
  /** SOFTWARE attribute on requests (default none). */
  software?: string;
}

/** Frozen, validated TURN client configuration. */
export interface TurnClientConfig {
  readonly server: TransportAddress;
  readonly username: string;
  readonly password: string;
  readonly hmacSha1: HmacSha1;
  readonly md5: Md5;
  readonly random: (out: Uint8Array) => void;
  readonly lifetimeS: number;
  readonly rtoMs: number;
  readonly requestCount: number;
  readonly lastWaitFactor: number;
  readonly maxPermissions: number;
  readonly maxChannels: number;
  readonly maxQueuedSends: number;
  readonly keepaliveMs: number;
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
 * Validates TURN client options and fills defaults.
 * @throws NatError ERR_INVALID_PARAMETER naming the first bad option.
 */
export function resolveTurnClientOptions(options: TurnClientOptions): TurnClientConfig {
  const server = options?.server;
  const address = typeof server?.address === 'string' ? normalizeIp(server.address) : undefined;
  if (!address) {
    throw new NatError('ERR_INVALID_PARAMETER', `server.address must be an IP literal, got ${JSON.stringify(server?.address)}`);
  }
  const port = int('server.port', server.port, 1, 65535);
  if (typeof options.username !== 'string' || options.username.length === 0 || options.username.length > 512) {
    throw new NatError('ERR_INVALID_PARAMETER', 'username must be a string of 1..512 characters');
  }
  if (typeof options.password !== 'string') throw new NatError('ERR_INVALID_PARAMETER', 'password must be a string');
  return Object.freeze({
    server: Object.freeze({ address, port }),
    username: options.username,
    password: options.password,
    hmacSha1: fn('hmacSha1', options.hmacSha1),
    md5: fn('md5', options.md5),
    random: fn('random', options.random),
    lifetimeS: int('lifetimeS', options.lifetimeS ?? DEFAULT_ALLOCATION_LIFETIME_S, 1, 3600),
    rtoMs: int('rtoMs', options.rtoMs ?? STUN_RTO_MS, 1, 60_000),
    requestCount: int('requestCount', options.requestCount ?? STUN_RC, 1, 20),
    lastWaitFactor: int('lastWaitFactor', options.lastWaitFactor ?? STUN_RM, 1, 64),
    maxPermissions: int('maxPermissions', options.maxPermissions ?? 32, 1, 1024),
    maxChannels: int('maxChannels', options.maxChannels ?? 32, 1, 4096),
    maxQueuedSends: int('maxQueuedSends', options.maxQueuedSends ?? 64, 1, 4096),
    keepaliveMs: int('keepaliveMs', options.keepaliveMs ?? 15_000, 1000, 3_600_000),
    software: options.software,
  });
}
