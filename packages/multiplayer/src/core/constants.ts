// Godot 4 MultiplayerPeer enums and ENetMultiplayerPeer wire constants (core, no I/O).
// Values are Godot's own (godot-enet.md §2, §3, §6.1); changing one breaks wire compatibility.

/** Godot `MultiplayerPeer.ConnectionStatus` (godot-enet.md §3). */
export const ConnectionStatus = {
  CONNECTION_DISCONNECTED: 0,
  CONNECTION_CONNECTING: 1,
  CONNECTION_CONNECTED: 2,
} as const;
/** One of the {@link ConnectionStatus} values. */
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];

/** Godot `MultiplayerPeer.TransferMode` (godot-enet.md §3). */
export const TransferMode = {
  TRANSFER_MODE_UNRELIABLE: 0,
  TRANSFER_MODE_UNRELIABLE_ORDERED: 1,
  TRANSFER_MODE_RELIABLE: 2,
} as const;
/** One of the {@link TransferMode} values. */
export type TransferMode = (typeof TransferMode)[keyof typeof TransferMode];

/** `set_target_peer` value meaning "every peer" (godot-enet.md §3). */
export const TARGET_PEER_BROADCAST = 0;
/** `set_target_peer` value meaning "the server"; the server's unique id is always 1 (§1.4). */
export const TARGET_PEER_SERVER = 1;

/** ENet channel for RELIABLE traffic on transfer channel 0 (Godot `SYSCH_RELIABLE`, §2). */
export const SYSCH_RELIABLE = 0;
/** ENet channel for UNRELIABLE(_ORDERED) traffic on transfer channel 0 (`SYSCH_UNRELIABLE`, §2). */
export const SYSCH_UNRELIABLE = 1;
/** Number of system channels; transfer channel k > 0 uses ENet channel k + 1 (`SYSCH_MAX`, §2). */
export const SYSCH_MAX = 2;

/** ENet packet flag: reliable, sequenced (ENet `ENET_PACKET_FLAG_RELIABLE`, §6.1). */
export const ENET_FLAG_RELIABLE = 1;
/** ENet packet flag: unsequenced (ENet `ENET_PACKET_FLAG_UNSEQUENCED`, §6.1). */
export const ENET_FLAG_UNSEQUENCED = 2;
/** ENet packet flag: fragment unreliably when over MTU (`ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT`). */
export const ENET_FLAG_UNRELIABLE_FRAGMENT = 8;

/** ENet's channel count limit (ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT, enet-protocol.md). */
export const ENET_MAX_CHANNELS = 255;
/** Largest user transfer channel: k maps to ENet channel k + 1, which must stay ≤ 254. */
export const MAX_TRANSFER_CHANNEL = ENET_MAX_CHANNELS - SYSCH_MAX + 1;
/** Largest `maxChannels`/`channelCount` argument: Godot adds the 2 system channels (§2.3). */
export const MAX_USER_CHANNELS = ENET_MAX_CHANNELS - SYSCH_MAX;

/** Smallest client id: 0 means broadcast and 1 is the server (§2.5). */
export const MIN_CLIENT_ID = 2;
/** Largest id: ids are positive signed 32-bit ints, negative targets mean "all but" (§3.4). */
export const MAX_PEER_ID = 0x7fffffff;

/** Largest payload `putPacket` accepts, Godot's `get_max_packet_size()` = 2^24 bytes (§2.7). */
export const MAX_PACKET_SIZE = 1 << 24;
