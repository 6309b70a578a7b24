// Core: ENet 1.3.17 protocol and host/peer constants (docs/specs/enet-protocol.md §1).
// Values are libenet's `protocol.h` / `enet.h`; each is cited to the spec section that uses it.

/** §1: clamp range of the negotiated MTU (bytes). */
export const PROTOCOL_MINIMUM_MTU = 576;
/** §1, §2.5: upper MTU clamp and libenet's receive buffer size (bytes). */
export const PROTOCOL_MAXIMUM_MTU = 4096;
/** §2.5: commands libenet's sender packs into one datagram at most (its iovec array size). */
export const PROTOCOL_MAXIMUM_PACKET_COMMANDS = 32;
/** Commands in the largest datagram (MAXIMUM_MTU / PING's 4 bytes): the `maxCommandsPerDatagram` cap. */
export const MAX_COMMANDS_PER_DATAGRAM = 1024;
/** §1: window size clamp (bytes). */
export const PROTOCOL_MINIMUM_WINDOW_SIZE = 4096;
export const PROTOCOL_MAXIMUM_WINDOW_SIZE = 65536;
/** §1: channel count range; channel id 0xFF is the connection-control "channel". */
export const PROTOCOL_MINIMUM_CHANNEL_COUNT = 1;
export const PROTOCOL_MAXIMUM_CHANNEL_COUNT = 255;
/** §1: 12-bit peer id; 0xFFF means "no peer yet" (CONNECT). */
export const PROTOCOL_MAXIMUM_PEER_ID = 0xfff;
/** §1, §8.5: most fragments one packet may have. */
export const PROTOCOL_MAXIMUM_FRAGMENT_COUNT = 1048576;
/** §3.1: channel id of control commands. */
export const CONTROL_CHANNEL = 0xff;

/** §1: libenet 1.3.17 default MTU (1.3.18 and Godot use 1392). */
export const HOST_DEFAULT_MTU = 1400;
/** §1, §2.5: biggest message (and fragment totalLength) accepted (bytes). */
export const HOST_DEFAULT_MAXIMUM_PACKET_SIZE = 32 * 1024 * 1024;
/** §8.2: undelivered received bytes per peer before data commands are refused (bytes). */
export const HOST_DEFAULT_MAXIMUM_WAITING_DATA = 32 * 1024 * 1024;
/** meshpunch hardening (not libenet): half-open handshakes allowed per source IP (config.ts). */
export const HOST_DEFAULT_MAX_HALF_OPEN_PER_ADDRESS = 8;
/** meshpunch hardening (not libenet): ms a received CONNECT may stay unacknowledged (= PEER_TIMEOUT_MINIMUM). */
export const HOST_DEFAULT_HALF_OPEN_TIMEOUT = 5000;
/** meshpunch hardening (not libenet): undelivered received bytes across all peers (4 × the packet maximum). */
export const HOST_DEFAULT_MAXIMUM_HOST_WAITING_DATA = 128 * 1024 * 1024;
/**
 * meshpunch hardening (not libenet): fragment buffers of packets larger than this are allocated
 * in chunks of this size as fragments land in them, so a header announcing 32 MiB costs one
 * chunk, not 32 MiB (libenet allocates totalLength on the first fragment). 16 KiB: a datagram
 * (≤ 4096 bytes) spans at most two chunks, and a 32 MiB packet needs a table of 2048.
 */
export const REASSEMBLY_CHUNK_SIZE = 16 * 1024;
/** §9.3: period of the host bandwidth throttle (ms). */
export const HOST_BANDWIDTH_THROTTLE_INTERVAL = 1000;

/** §7.1: RTT assumed before the first sample (ms). */
export const PEER_DEFAULT_ROUND_TRIP_TIME = 500;
/** §9.1: packet throttle start value and scale. */
export const PEER_DEFAULT_PACKET_THROTTLE = 32;
export const PEER_PACKET_THROTTLE_SCALE = 32;
/** §9.1: throttle counter step (libenet hard-wires 7). */
export const PEER_PACKET_THROTTLE_COUNTER = 7;
export const PEER_PACKET_THROTTLE_ACCELERATION = 2;
export const PEER_PACKET_THROTTLE_DECELERATION = 2;
/** §7.1: throttle epoch length (ms). */
export const PEER_PACKET_THROTTLE_INTERVAL = 5000;
/** §9.4: packet loss is a fraction of this scale. */
export const PEER_PACKET_LOSS_SCALE = 65536;
/** §9.4: packet loss statistics period (ms). */
export const PEER_PACKET_LOSS_INTERVAL = 10000;
/** §5.1: bandwidth → window size scale. */
export const PEER_WINDOW_SIZE_SCALE = 65536;
/** §7.2: RTO back-off multiple at which a peer may be declared dead. */
export const PEER_TIMEOUT_LIMIT = 32;
/** §7.2: minimum / maximum time without any ACK before disconnect (ms). */
export const PEER_TIMEOUT_MINIMUM = 5000;
export const PEER_TIMEOUT_MAXIMUM = 30000;
/** §7.3: idle ping interval (ms). */
export const PEER_PING_INTERVAL = 500;
/** §8.4: unsequenced duplicate-filter window (groups) and its lookahead in windows. */
export const PEER_UNSEQUENCED_WINDOW_SIZE = 1024;
export const PEER_FREE_UNSEQUENCED_WINDOWS = 32;
/** §8.1: reliable sequence windows per channel and their size. */
export const PEER_RELIABLE_WINDOWS = 16;
export const PEER_RELIABLE_WINDOW_SIZE = 0x1000;
/** §8.1: windows ahead of the delivered one the receiver accepts (7; the ACK band is 7..8). */
export const PEER_FREE_RELIABLE_WINDOWS = 8;

/** §2.1 header flags in the peerID word. */
export const HEADER_FLAG_COMPRESSED = 0x4000;
export const HEADER_FLAG_SENT_TIME = 0x8000;
export const HEADER_FLAG_MASK = HEADER_FLAG_COMPRESSED | HEADER_FLAG_SENT_TIME;
export const HEADER_SESSION_MASK = 0x3000;
export const HEADER_SESSION_SHIFT = 12;

/** §2.5: biggest datagram the core emits or accepts (libenet's receive buffer, bytes). */
export const MAX_DATAGRAM_SIZE = 4096;
