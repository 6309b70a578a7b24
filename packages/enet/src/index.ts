// Public surface of @meshpunch/enet: re-exports only.
export { ENetError } from './errors.js';
export type { ENetErrorCode } from './errors.js';
export { RangeCoder } from './core/range-coder.js';
export type { Compressor } from './core/range-coder.js';
export { crc32, crc32Update, crc32Final, enetCrc32 } from './core/crc32.js';
export type { ChecksumFunction } from './core/crc32.js';

// Sans-IO core (usable directly with @meshpunch/sim or any driver).
export { HostCore } from './core/host.js';
export type { CoreEndpoint } from './core/host-context.js';
export type { HostCoreOptions, HostCoreConfig } from './core/config.js';
export { resolveHostCoreOptions } from './core/config.js';
export { CoreEvent, PacketFlag } from './core/events.js';
export type { CoreEventType } from './core/events.js';
export { Peer, PeerState as CorePeerState } from './core/peer.js';
export type { PeerStateValue } from './core/peer.js';
export { SecureHost } from './core/secure-host.js';
export type { SecureHostEvent } from './core/secure-host.js';
export { HostStatistics } from './core/statistics.js';
export { CoreUsageError } from './core/usage-error.js';
export { Command, COMMAND_FLAG_ACKNOWLEDGE, COMMAND_FLAG_UNSEQUENCED, COMMAND_SIZES } from './core/protocol.js';
export { decodeDatagram, encodeDatagram } from './core/codec.js';
export type { WireCommand, WireDatagram, DecodeResult, DecodeStatus } from './core/codec.js';
export * as constants from './core/constants.js';

// Node adapter: Godot's ENetConnection / ENetPacketPeer API.
export { ENetConnection } from './adapter/enet-connection.js';
export { registerCompressor } from './adapter/compressor-registry.js';
export type { ENetEvent, ENetConnectionEvents } from './adapter/event-delivery.js';
export type { DatagramSource } from './adapter/host-socket.js';
export type { ENetConnectionOptions, AcceptedSource } from './adapter/connection-arguments.js';
export { TLSOptions } from './adapter/tls-options.js';
export type { PinnedOptions, TrustedChain } from './adapter/tls-options.js';
export { ENetPacketPeer } from './adapter/enet-packet-peer.js';
export {
  EventType, HostStatistic, PeerStatistic, PeerState, CompressionMode,
  FLAG_RELIABLE, FLAG_UNSEQUENCED, FLAG_UNRELIABLE_FRAGMENT, FLAG_ALLOWED, PACKET_LOSS_SCALE, PACKET_THROTTLE_SCALE,
} from './adapter/enums.js';
export type { EventTypeValue, HostStatisticValue, PeerStatisticValue, PeerStateCode, CompressionModeValue } from './adapter/enums.js';
