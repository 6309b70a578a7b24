// Core: ENet wire layout — command numbers, flags, fixed sizes and field offsets
// (enet-protocol.md §2–§3). All integers big-endian except the opaque 4-byte connectID.
//
// Datagram (§2):
//   +----------------+------------------+-------------------+------------------------+
//   | peerID word u16| sentTime u16     | checksum 4 B      | commands ...           |
//   | always         | iff SENT_TIME    | iff host checksum | (maybe one compressed  |
//   |                |                  | is configured     |  blob, COMPRESSED flag)|
//   +----------------+------------------+-------------------+------------------------+
//   peerID word: bits 0-11 peer id (0xFFF = none), 12-13 session, 14 COMPRESSED, 15 SENT_TIME.
//
// Command header (§3.1), 4 bytes, then the fixed part, then `dataLength` payload bytes:
//   +---------+---------+-------------------------+
//   | cmd u8  | chan u8 | reliableSequenceNumber  |   cmd: bits 0-3 number, 0x40 UNSEQUENCED,
//   +---------+---------+-------------------------+        0x80 ACKNOWLEDGE
//
//   #  command                 size  fields after the header (offset: field)
//   1  ACKNOWLEDGE               8   4 receivedReliableSequenceNumber u16, 6 receivedSentTime u16
//   2  CONNECT                  48   4 outgoingPeerID u16, 6 incomingSessionID u8,
//                                    7 outgoingSessionID u8, 8 mtu, 12 windowSize,
//                                    16 channelCount, 20 incomingBandwidth, 24 outgoingBandwidth,
//                                    28 throttleInterval, 32 throttleAcceleration,
//                                    36 throttleDeceleration (u32 each), 40 connectID (opaque 4),
//                                    44 data u32
//   3  VERIFY_CONNECT           44   CONNECT offsets 4..43
//   4  DISCONNECT                8   4 data u32
//   5  PING                      4   -
//   6  SEND_RELIABLE             6   4 dataLength u16, payload
//   7  SEND_UNRELIABLE           8   4 unreliableSequenceNumber u16, 6 dataLength u16, payload
//   8  SEND_FRAGMENT            24   4 startSequenceNumber u16, 6 dataLength u16,
//                                    8 fragmentCount, 12 fragmentNumber, 16 totalLength,
//                                    20 fragmentOffset (u32 each), payload
//   9  SEND_UNSEQUENCED          8   4 unsequencedGroup u16, 6 dataLength u16, payload
//   10 BANDWIDTH_LIMIT          12   4 incomingBandwidth u32, 8 outgoingBandwidth u32
//   11 THROTTLE_CONFIGURE       16   4 interval, 8 acceleration, 12 deceleration (u32 each)
//   12 SEND_UNRELIABLE_FRAGMENT 24   as SEND_FRAGMENT

/** §1 command numbers (low 4 bits of the command byte). */
export const Command = Object.freeze({
  None: 0,
  Acknowledge: 1,
  Connect: 2,
  VerifyConnect: 3,
  Disconnect: 4,
  Ping: 5,
  SendReliable: 6,
  SendUnreliable: 7,
  SendFragment: 8,
  SendUnsequenced: 9,
  BandwidthLimit: 10,
  ThrottleConfigure: 11,
  SendUnreliableFragment: 12,
  Count: 13,
});

/** §1: mask of the command number in the command byte. */
export const COMMAND_MASK = 0x0f;
/** §3.1: the receiver must acknowledge this command. */
export const COMMAND_FLAG_ACKNOWLEDGE = 0x80;
/** §3.1: sender-side marker of unsequenced sends and fire-and-forget DISCONNECT. */
export const COMMAND_FLAG_UNSEQUENCED = 0x40;

/** §3.2: fixed size of each command (header included), indexed by command number; 0 = invalid. */
export const COMMAND_SIZES: readonly number[] = Object.freeze([0, 8, 48, 44, 8, 4, 6, 8, 24, 8, 12, 16, 24]);
/**
 * COMMAND_SIZES for the receive and transmit passes. V8 reads a frozen array's elements through
 * its generic keyed-load stub, not inline (~15 ns against ~4 ns a read), and these passes read
 * a size several times per command; the frozen array stays the public table.
 */
export const COMMAND_SIZE_TABLE: Uint8Array = Uint8Array.from(COMMAND_SIZES);

/** Size of the command header (§3.1). */
export const COMMAND_HEADER_SIZE = 4;

/** Field offsets inside a command, from the command's first byte (§3.2). */
export const Off = Object.freeze({
  command: 0,
  channelID: 1,
  reliableSequenceNumber: 2,
  // ACKNOWLEDGE
  receivedReliableSequenceNumber: 4,
  receivedSentTime: 6,
  // CONNECT / VERIFY_CONNECT
  outgoingPeerID: 4,
  incomingSessionID: 6,
  outgoingSessionID: 7,
  mtu: 8,
  windowSize: 12,
  channelCount: 16,
  incomingBandwidth: 20,
  outgoingBandwidth: 24,
  packetThrottleInterval: 28,
  packetThrottleAcceleration: 32,
  packetThrottleDeceleration: 36,
  connectID: 40,
  connectData: 44,
  // DISCONNECT
  disconnectData: 4,
  // SEND_RELIABLE
  reliableDataLength: 4,
  // SEND_UNRELIABLE / SEND_UNSEQUENCED
  unreliableSequenceNumber: 4,
  unsequencedGroup: 4,
  unreliableDataLength: 6,
  // SEND_FRAGMENT / SEND_UNRELIABLE_FRAGMENT
  startSequenceNumber: 4,
  fragmentDataLength: 6,
  fragmentCount: 8,
  fragmentNumber: 12,
  totalLength: 16,
  fragmentOffset: 20,
  // BANDWIDTH_LIMIT
  bandwidthIncoming: 4,
  bandwidthOutgoing: 8,
  // THROTTLE_CONFIGURE
  throttleInterval: 4,
  throttleAcceleration: 8,
  throttleDeceleration: 12,
});

/** §2.5 / §4: bytes a sender budgets for the datagram header (the sentTime is always counted). */
export const PROTOCOL_HEADER_SIZE = 4;
/** §2.2: size of the optional checksum field. */
export const CHECKSUM_SIZE = 4;

/** Byte offset of the `dataLength` field of a payload command, or -1 for commands without one. */
export function dataLengthOffset(commandNumber: number): number {
  switch (commandNumber) {
    case Command.SendReliable: return Off.reliableDataLength;
    case Command.SendUnreliable:
    case Command.SendUnsequenced: return Off.unreliableDataLength;
    case Command.SendFragment:
    case Command.SendUnreliableFragment: return Off.fragmentDataLength;
    default: return -1;
  }
}

/**
 * Big-endian u16 at `at` of `bytes`. The receive path reads fields with these rather than a
 * DataView: node:dgram hands every datagram its own ArrayBuffer, so a view would be one more
 * object per datagram. Callers check the command fits before reading its fields.
 */
export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/** Big-endian u32 at `at` of `bytes` (see readU16). */
export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
