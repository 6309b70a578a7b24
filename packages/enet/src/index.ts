// Public surface of @meshpunch/enet: re-exports only.
export { ENetError } from './errors.js';
export type { ENetErrorCode } from './errors.js';
export { RangeCoder } from './core/range-coder.js';
export type { Compressor } from './core/range-coder.js';
export { crc32, crc32Update, crc32Final, enetCrc32 } from './core/crc32.js';
export type { ChecksumFunction } from './core/crc32.js';

// Sans-IO core (usable directly with @meshpunch/sim or any driver).
export { HostCore } from './core/host.js';
export type { CoreEndpoint } from './core/host.js';
export type { HostCoreOptions, HostCoreConfig } from './core/config.js';
export { resolveHostCoreOptions } from './core/config.js';
export { CoreEvent, PacketFlag } from './core/events.js';
export type { CoreEventType } from './core/events.js';
export { Peer, PeerState } from './core/peer.js';
export type { PeerStateValue } from './core/peer.js';
export { HostStatistics } from './core/statistics.js';
export { CoreUsageError } from './core/usage-error.js';
export { Command, COMMAND_FLAG_ACKNOWLEDGE, COMMAND_FLAG_UNSEQUENCED, COMMAND_SIZES } from './core/protocol.js';
export { decodeDatagram, encodeDatagram } from './core/codec.js';
export type { WireCommand, WireDatagram, DecodeResult, DecodeStatus } from './core/codec.js';
export * as constants from './core/constants.js';
