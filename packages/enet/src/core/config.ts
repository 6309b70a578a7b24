// Core: host options, their validation and the frozen config, plus the two optional wire
// transforms a host can plug in — checksum (§2.2) and compressor (§2.3) of enet-protocol.md.
import {
  HOST_DEFAULT_HALF_OPEN_TIMEOUT, HOST_DEFAULT_MAX_HALF_OPEN_PER_ADDRESS, HOST_DEFAULT_MAXIMUM_HOST_WAITING_DATA,
  HOST_DEFAULT_MAXIMUM_PACKET_SIZE, HOST_DEFAULT_MAXIMUM_WAITING_DATA, HOST_DEFAULT_MTU, MAX_COMMANDS_PER_DATAGRAM,
  PROTOCOL_MAXIMUM_CHANNEL_COUNT, PROTOCOL_MAXIMUM_MTU, PROTOCOL_MAXIMUM_PEER_ID, PROTOCOL_MINIMUM_MTU,
} from './constants.js';
import { CoreUsageError } from './usage-error.js';
import type { ChecksumFunction } from './crc32.js';
import type { Compressor } from './range-coder.js';

// The two wire transforms are defined next to their implementations (crc32.ts, range-coder.ts);
// the core only needs their shapes. Checksum: CRC over header ‖ seed ‖ uncompressed commands
// (§2.2). Compressor: stateless per datagram, used only when strictly smaller (§2.3).
export type { ChecksumFunction } from './crc32.js';
export type { Compressor } from './range-coder.js';

/** What a host core accepts; every field optional except `random`. */
export interface HostCoreOptions {
  /** Peer slots, 1..4095 (§1). Default 32 (Godot's create_host default). */
  peerCount?: number;
  /** Most channels an incoming connection may use; 0 or > 255 = 255 (§1). */
  channelLimit?: number;
  /** Downstream bandwidth in bytes/s, 0 = unlimited (§9.3). */
  incomingBandwidth?: number;
  /** Upstream bandwidth in bytes/s, 0 = unlimited (§9.3). */
  outgoingBandwidth?: number;
  /** MTU this host asks for, 576..4096 bytes; default 1400 (libenet 1.3.17). */
  mtu?: number;
  /** Largest message sent or accepted (bytes); default 32 MiB (§2.5). */
  maximumPacketSize?: number;
  /** Undelivered received bytes per peer before data is refused (bytes); default 32 MiB (§8.2). */
  maximumWaitingData?: number;
  /** Connections allowed from one IP address (§5.1 step 2); default 4095 (libenet's default). */
  duplicatePeers?: number;
  /**
   * meshpunch hardening (issue 13): peers still in the handshake (CONNECT received, VERIFY_CONNECT
   * not yet acknowledged) allowed from one IP address, 1..4095; a CONNECT beyond it is ignored and
   * counted in `stats.halfOpenRefusals`. Default 8: a real handshake is half-open for one round
   * trip, so 8 covers a LAN party behind one NAT address, while spoofed CONNECTs from one address
   * (any number of source ports) can hold at most 8 slots. libenet has no such limit (4095 acts
   * as "off"); it changes nothing on the wire.
   */
  maxHalfOpenPerAddress?: number;
  /**
   * meshpunch hardening (issue 13): most ms a received CONNECT may hold a slot before its
   * VERIFY_CONNECT is acknowledged; then the slot is reset silently (no event, as libenet's own
   * handshake timeout) and counted in `stats.halfOpenTimeouts`. Default 5000 ms, ENet's
   * PEER_TIMEOUT_MINIMUM, the shortest time libenet itself gives up on a silent peer; libenet
   * holds such a slot until the 32× RTO limit (≈ 31.5 s). 1..2147483647.
   */
  halfOpenTimeout?: number;
  /**
   * meshpunch hardening (issue 13): when every slot is taken, a new CONNECT takes the slot of the
   * oldest handshake still in progress (counted in `stats.halfOpenEvictions`) instead of being
   * ignored, as a SYN cache does: CONNECTs spoofed from many addresses then cannot keep a host
   * full, since a real handshake finishes in one round trip. Default true; false = libenet's
   * behaviour (the CONNECT is ignored).
   */
  evictHalfOpen?: boolean;
  /**
   * meshpunch hardening (issue 13): undelivered received bytes across all peers (the sum of their
   * waiting data, fragment buffers included) beyond which data commands are refused as for one
   * peer's maximumWaitingData (§8.2). Default 128 MiB: four maximum-size packets in reassembly.
   */
  maximumHostWaitingData?: number;
  /** Fills `out` with random bytes; used for connectIDs (§5.1). Required: the core has no RNG. */
  random: (out: Uint8Array) => void;
  /** Optional checksum (§2.2); null = none (libenet's and Godot's default). */
  checksum?: ChecksumFunction | null;
  /** Optional compressor (§2.3); null = none (the default). */
  compressor?: Compressor | null;
  /** Pending ACKs kept per peer; beyond this new ACKs are dropped and counted. Default 8192. */
  maxPendingAcknowledgements?: number;
  /** Outgoing commands queued per peer; a send that would exceed it is refused. Default 131072. */
  maxOutgoingCommands?: number;
  /** Datagrams queued by disconnectNow awaiting pollTransmit; beyond this they are dropped. Default 4096. */
  maxUrgentDatagrams?: number;
  /**
   * Most commands packed into one datagram, 1..1024. libenet stops at 32
   * (ENET_PROTOCOL_MAXIMUM_PACKET_COMMANDS, the size of its send iovec array, not a wire rule:
   * its receiver reads commands until the datagram ends). Default 1024, i.e. only the MTU
   * limits a datagram: 172 ACKs fit in one instead of 32, so a burst of small packets costs
   * the receiver a fifth of the ACK datagrams (issue #3). 32 reproduces libenet's datagrams.
   */
  maxCommandsPerDatagram?: number;
}

/** Validated, frozen host configuration. */
export interface HostCoreConfig {
  readonly peerCount: number;
  readonly channelLimit: number;
  readonly incomingBandwidth: number;
  readonly outgoingBandwidth: number;
  readonly mtu: number;
  readonly maximumPacketSize: number;
  readonly maximumWaitingData: number;
  readonly duplicatePeers: number;
  readonly maxHalfOpenPerAddress: number;
  readonly halfOpenTimeout: number;
  readonly evictHalfOpen: boolean;
  readonly maximumHostWaitingData: number;
  readonly random: (out: Uint8Array) => void;
  readonly checksum: ChecksumFunction | null;
  readonly compressor: Compressor | null;
  readonly maxPendingAcknowledgements: number;
  readonly maxOutgoingCommands: number;
  readonly maxUrgentDatagrams: number;
  readonly maxCommandsPerDatagram: number;
}

function intIn(name: string, v: number | undefined, def: number, lo: number, hi: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new CoreUsageError(`${name} must be an integer ${lo}..${hi}, got ${String(v)}`, name, v);
  return v;
}

function boolIn(name: string, v: boolean | undefined, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new CoreUsageError(`${name} must be a boolean, got ${String(v)}`, name, v);
  return v;
}

/** §1: channelLimit 0 or > 255 means 255, < 1 means 1. */
export function clampChannelLimit(limit: number): number {
  if (limit === 0 || limit > PROTOCOL_MAXIMUM_CHANNEL_COUNT) return PROTOCOL_MAXIMUM_CHANNEL_COUNT;
  return limit < 1 ? 1 : limit;
}

/**
 * Validates options once and fills defaults (docs/design.md §3).
 * @throws CoreUsageError for a value outside its documented range.
 */
export function resolveHostCoreOptions(o: HostCoreOptions): HostCoreConfig {
  if (typeof o.random !== 'function') throw new CoreUsageError('random must be a function filling a Uint8Array, got ' + typeof o.random, 'random', o.random);
  const u32 = 0xffffffff;
  return Object.freeze({
    peerCount: intIn('peerCount', o.peerCount, 32, 1, PROTOCOL_MAXIMUM_PEER_ID),
    channelLimit: clampChannelLimit(intIn('channelLimit', o.channelLimit, 0, 0, u32)),
    incomingBandwidth: intIn('incomingBandwidth', o.incomingBandwidth, 0, 0, u32),
    outgoingBandwidth: intIn('outgoingBandwidth', o.outgoingBandwidth, 0, 0, u32),
    mtu: intIn('mtu', o.mtu, HOST_DEFAULT_MTU, PROTOCOL_MINIMUM_MTU, PROTOCOL_MAXIMUM_MTU),
    maximumPacketSize: intIn('maximumPacketSize', o.maximumPacketSize, HOST_DEFAULT_MAXIMUM_PACKET_SIZE, 1, u32),
    maximumWaitingData: intIn('maximumWaitingData', o.maximumWaitingData, HOST_DEFAULT_MAXIMUM_WAITING_DATA, 1, u32),
    duplicatePeers: intIn('duplicatePeers', o.duplicatePeers, PROTOCOL_MAXIMUM_PEER_ID, 1, PROTOCOL_MAXIMUM_PEER_ID),
    maxHalfOpenPerAddress: intIn('maxHalfOpenPerAddress', o.maxHalfOpenPerAddress, HOST_DEFAULT_MAX_HALF_OPEN_PER_ADDRESS, 1, PROTOCOL_MAXIMUM_PEER_ID),
    halfOpenTimeout: intIn('halfOpenTimeout', o.halfOpenTimeout, HOST_DEFAULT_HALF_OPEN_TIMEOUT, 1, 0x7fffffff),
    evictHalfOpen: boolIn('evictHalfOpen', o.evictHalfOpen, true),
    maximumHostWaitingData: intIn('maximumHostWaitingData', o.maximumHostWaitingData, HOST_DEFAULT_MAXIMUM_HOST_WAITING_DATA, 1, Number.MAX_SAFE_INTEGER),
    random: o.random,
    checksum: o.checksum ?? null,
    compressor: o.compressor ?? null,
    maxPendingAcknowledgements: intIn('maxPendingAcknowledgements', o.maxPendingAcknowledgements, 8192, 1, 1 << 24),
    maxOutgoingCommands: intIn('maxOutgoingCommands', o.maxOutgoingCommands, 131072, 1, 1 << 26),
    maxUrgentDatagrams: intIn('maxUrgentDatagrams', o.maxUrgentDatagrams, 4096, 1, 1 << 20),
    maxCommandsPerDatagram: intIn('maxCommandsPerDatagram', o.maxCommandsPerDatagram, MAX_COMMANDS_PER_DATAGRAM, 1, MAX_COMMANDS_PER_DATAGRAM),
  });
}
