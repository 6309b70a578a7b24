// Adapter: Godot's ENet enums (docs/specs/godot-enet.md §5.1, §6.1) in TypeScript form.
// Names drop Godot's prefixes (EVENT_, STATE_, HOST_, PEER_) like `EventType`; the prefixed
// Godot spellings are kept as aliases so code ported from GDScript reads the same.

/** `ENetConnection.EventType`: what `service()` returned. */
export const EventType = Object.freeze({ ERROR: -1, NONE: 0, CONNECT: 1, DISCONNECT: 2, RECEIVE: 3 } as const);
/** One of the EventType numbers. */
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** `ENetConnection.HostStatistic` (counters returned and reset by `popStatistic`). */
export const HostStatistic = Object.freeze({
  TOTAL_SENT_DATA: 0,
  TOTAL_SENT_PACKETS: 1,
  TOTAL_RECEIVED_DATA: 2,
  TOTAL_RECEIVED_PACKETS: 3,
  HOST_TOTAL_SENT_DATA: 0,
  HOST_TOTAL_SENT_PACKETS: 1,
  HOST_TOTAL_RECEIVED_DATA: 2,
  HOST_TOTAL_RECEIVED_PACKETS: 3,
} as const);
/** One of the HostStatistic numbers. */
export type HostStatisticValue = (typeof HostStatistic)[keyof typeof HostStatistic];

/** `ENetPacketPeer.PeerStatistic` (raw ENet peer fields, §6.1). */
export const PeerStatistic = Object.freeze({
  PACKET_LOSS: 0,
  PACKET_LOSS_VARIANCE: 1,
  PACKET_LOSS_EPOCH: 2,
  ROUND_TRIP_TIME: 3,
  ROUND_TRIP_TIME_VARIANCE: 4,
  LAST_ROUND_TRIP_TIME: 5,
  LAST_ROUND_TRIP_TIME_VARIANCE: 6,
  PACKET_THROTTLE: 7,
  PACKET_THROTTLE_LIMIT: 8,
  PACKET_THROTTLE_COUNTER: 9,
  PACKET_THROTTLE_EPOCH: 10,
  PACKET_THROTTLE_ACCELERATION: 11,
  PACKET_THROTTLE_DECELERATION: 12,
  PACKET_THROTTLE_INTERVAL: 13,
  PEER_PACKET_LOSS: 0,
  PEER_PACKET_LOSS_VARIANCE: 1,
  PEER_PACKET_LOSS_EPOCH: 2,
  PEER_ROUND_TRIP_TIME: 3,
  PEER_ROUND_TRIP_TIME_VARIANCE: 4,
  PEER_LAST_ROUND_TRIP_TIME: 5,
  PEER_LAST_ROUND_TRIP_TIME_VARIANCE: 6,
  PEER_PACKET_THROTTLE: 7,
  PEER_PACKET_THROTTLE_LIMIT: 8,
  PEER_PACKET_THROTTLE_COUNTER: 9,
  PEER_PACKET_THROTTLE_EPOCH: 10,
  PEER_PACKET_THROTTLE_ACCELERATION: 11,
  PEER_PACKET_THROTTLE_DECELERATION: 12,
  PEER_PACKET_THROTTLE_INTERVAL: 13,
} as const);
/** One of the PeerStatistic numbers. */
export type PeerStatisticValue = (typeof PeerStatistic)[keyof typeof PeerStatistic];

/** `ENetPacketPeer.PeerState` (same numbers as ENet's peer states). */
export const PeerState = Object.freeze({
  DISCONNECTED: 0,
  CONNECTING: 1,
  ACKNOWLEDGING_CONNECT: 2,
  CONNECTION_PENDING: 3,
  CONNECTION_SUCCEEDED: 4,
  CONNECTED: 5,
  DISCONNECT_LATER: 6,
  DISCONNECTING: 7,
  ACKNOWLEDGING_DISCONNECT: 8,
  ZOMBIE: 9,
  STATE_DISCONNECTED: 0,
  STATE_CONNECTING: 1,
  STATE_ACKNOWLEDGING_CONNECT: 2,
  STATE_CONNECTION_PENDING: 3,
  STATE_CONNECTION_SUCCEEDED: 4,
  STATE_CONNECTED: 5,
  STATE_DISCONNECT_LATER: 6,
  STATE_DISCONNECTING: 7,
  STATE_ACKNOWLEDGING_DISCONNECT: 8,
  STATE_ZOMBIE: 9,
} as const);
/** One of the PeerState numbers. */
export type PeerStateCode = (typeof PeerState)[keyof typeof PeerState];

/** `ENetConnection.CompressionMode` (§5.6). meshpunch implements NONE and RANGE_CODER. */
export const CompressionMode = Object.freeze({
  NONE: 0,
  RANGE_CODER: 1,
  FASTLZ: 2,
  ZLIB: 3,
  ZSTD: 4,
  COMPRESS_NONE: 0,
  COMPRESS_RANGE_CODER: 1,
  COMPRESS_FASTLZ: 2,
  COMPRESS_ZLIB: 3,
  COMPRESS_ZSTD: 4,
} as const);
/** One of the CompressionMode numbers. */
export type CompressionModeValue = (typeof CompressionMode)[keyof typeof CompressionMode];

/** `ENetPacketPeer.FLAG_*` send flags (Godot's values = ENet's packet flags). */
export const FLAG_RELIABLE = 1;
export const FLAG_UNSEQUENCED = 2;
export const FLAG_UNRELIABLE_FRAGMENT = 8;
/** Every flag `send`/`broadcast` accept (Godot's FLAG_ALLOWED). */
export const FLAG_ALLOWED = FLAG_RELIABLE | FLAG_UNSEQUENCED | FLAG_UNRELIABLE_FRAGMENT;
/** `ENetPacketPeer.PACKET_LOSS_SCALE` / `PACKET_THROTTLE_SCALE`. */
export const PACKET_LOSS_SCALE = 65536;
export const PACKET_THROTTLE_SCALE = 32;
