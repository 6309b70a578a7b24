// Adapter: checks of ENetConnection's arguments and options (Godot's ERR_INVALID_PARAMETER,
// docs/specs/godot-enet.md §5) — the one place their ranges and messages are written.
import { unmappedIp } from '@meshpunch/base';
import { PROTOCOL_MAXIMUM_PEER_ID } from '../core/constants.js';
import type { CoreEndpoint } from '../core/host-context.js';
import { ENetError } from '../errors.js';

/**
 * meshpunch extension: ENet limits that are not part of Godot's API (docs/security.md).
 * Omitted fields keep the HostCore defaults.
 */
export interface ENetConnectionOptions {
  /** Handshakes in progress allowed per source IP (HostCoreOptions.maxHalfOpenPerAddress); default 8. */
  maxHalfOpenPerAddress?: number;
  /** ms a received CONNECT may stay unacknowledged (HostCoreOptions.halfOpenTimeout); default 5000. */
  halfOpenTimeout?: number;
  /** Give the oldest unfinished handshake's slot to a new CONNECT when all are taken (HostCoreOptions.evictHalfOpen); default true. */
  evictHalfOpen?: boolean;
  /** Undelivered received bytes per peer (HostCoreOptions.maximumWaitingData); default 32 MiB. */
  maximumWaitingData?: number;
  /** Undelivered received bytes of all peers (HostCoreOptions.maximumHostWaitingData); default 128 MiB. */
  maximumHostWaitingData?: number;
}

/** An endpoint CONNECTs are accepted from (`acceptFrom`); no port = any port of that address. */
export interface AcceptedSource {
  address: string;
  port?: number;
}

/** `v` when it is an integer in lo..hi. @throws ENetError ERR_INVALID_PARAMETER naming `name` */
export function intArg(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new ENetError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${String(v)}`, { argument: name, got: v, min: lo, max: hi });
  }
  return v;
}

/** A raw datagram: a Uint8Array within UDP's IPv4 payload limit (65 507 bytes). @throws ENetError */
export function checkDatagram(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array) || bytes.length > 65507) throw new ENetError('ERR_INVALID_PARAMETER', `bytes must be a Uint8Array of at most 65507 bytes`, { argument: 'bytes' });
}

/** The options checked and frozen. @throws ENetError ERR_INVALID_PARAMETER for one out of range */
export function resolveConnectionOptions(options: ENetConnectionOptions): Readonly<ENetConnectionOptions> {
  const o: ENetConnectionOptions = {};
  if (options.maxHalfOpenPerAddress !== undefined) o.maxHalfOpenPerAddress = intArg('maxHalfOpenPerAddress', options.maxHalfOpenPerAddress, 1, PROTOCOL_MAXIMUM_PEER_ID);
  if (options.halfOpenTimeout !== undefined) o.halfOpenTimeout = intArg('halfOpenTimeout', options.halfOpenTimeout, 1, 0x7fffffff);
  if (options.evictHalfOpen !== undefined) {
    if (typeof options.evictHalfOpen !== 'boolean') throw new ENetError('ERR_INVALID_PARAMETER', `evictHalfOpen must be a boolean, got ${String(options.evictHalfOpen)}`, { argument: 'evictHalfOpen', got: options.evictHalfOpen });
    o.evictHalfOpen = options.evictHalfOpen;
  }
  if (options.maximumWaitingData !== undefined) o.maximumWaitingData = intArg('maximumWaitingData', options.maximumWaitingData, 1, 0xffffffff);
  if (options.maximumHostWaitingData !== undefined) o.maximumHostWaitingData = intArg('maximumHostWaitingData', options.maximumHostWaitingData, 1, Number.MAX_SAFE_INTEGER);
  return Object.freeze(o);
}

/**
 * The core's connect filter for `acceptFrom`'s argument: null accepts everyone, a predicate sees
 * the canonical source, a list matches its canonical addresses (and ports, where given).
 * @throws ENetError ERR_INVALID_PARAMETER for an entry that is not an IP literal or a bad port.
 */
export function connectFilterOf(sources: readonly AcceptedSource[] | ((address: string, port: number) => boolean) | null): ((from: CoreEndpoint) => boolean) | null {
  if (sources === null) return null;
  if (typeof sources === 'function') return (from) => sources(from.address, from.port);
  const list = sources.map((s, i) => {
    const address = unmappedIp(s.address);
    if (address === undefined) throw new ENetError('ERR_INVALID_PARAMETER', `acceptFrom[${i}].address must be an IP address, got ${JSON.stringify(s.address)}`, { argument: 'sources', got: s.address });
    if (s.port !== undefined) intArg(`acceptFrom[${i}].port`, s.port, 1, 65535);
    return { address, port: s.port };
  });
  return (from) => list.some((s) => s.address === from.address && (s.port === undefined || s.port === from.port));
}
