// Core: structured (allocating) ENet datagram codec for tests, tools and traces — not the hot
// path (the host reads fields in place). Layouts are in protocol.ts (enet-protocol.md §2–§3).
import {
  HEADER_FLAG_COMPRESSED, HEADER_FLAG_SENT_TIME, HEADER_SESSION_MASK, HEADER_SESSION_SHIFT,
} from './constants.js';
import { COMMAND_MASK, COMMAND_SIZE_TABLE, Command, Off, dataLengthOffset } from './protocol.js';
import { CoreUsageError } from './usage-error.js';

/** One decoded command; which optional fields are set depends on `command & 0x0f`. */
export interface WireCommand {
  /** Full command byte: number | ACKNOWLEDGE (0x80) | UNSEQUENCED (0x40). */
  command: number;
  channelID: number;
  reliableSequenceNumber: number;
  receivedReliableSequenceNumber?: number;
  receivedSentTime?: number;
  outgoingPeerID?: number;
  incomingSessionID?: number;
  outgoingSessionID?: number;
  mtu?: number;
  windowSize?: number;
  channelCount?: number;
  incomingBandwidth?: number;
  outgoingBandwidth?: number;
  packetThrottleInterval?: number;
  packetThrottleAcceleration?: number;
  packetThrottleDeceleration?: number;
  /** Opaque 4 bytes (§0: never byte-swapped). */
  connectID?: Uint8Array;
  /** CONNECT data or DISCONNECT data (u32). */
  data?: number;
  unreliableSequenceNumber?: number;
  unsequencedGroup?: number;
  startSequenceNumber?: number;
  fragmentCount?: number;
  fragmentNumber?: number;
  totalLength?: number;
  fragmentOffset?: number;
  payload?: Uint8Array;
}

/** A decoded datagram. Compressed datagrams keep their command bytes in `compressedBody`. */
export interface WireDatagram {
  peerID: number;
  sessionID: number;
  compressed: boolean;
  /** Present iff the SENT_TIME flag is set. */
  sentTime?: number;
  /** Present iff decoded with `hasChecksum`. */
  checksum?: number;
  commands: WireCommand[];
  compressedBody?: Uint8Array;
}

/** Why a datagram did not decode completely. */
export type DecodeStatus = 'ok' | 'short-header' | 'truncated-command' | 'bad-command' | 'truncated-payload';

/** What decodeDatagram returns: a status and whatever decoded before the first problem. */
export interface DecodeResult {
  status: DecodeStatus;
  /** Everything decoded before the first problem (commands after it are ignored, §2.4). */
  datagram: WireDatagram | null;
}

/**
 * Decodes a datagram (never throws). `hasChecksum` says whether a 4-byte checksum follows the
 * header (nothing in the datagram tells, §2.2). Decoding stops at the first bad command and
 * reports why, like libenet's receive loop (§2.4 step 8).
 */
export function decodeDatagram(bytes: Uint8Array, hasChecksum = false): DecodeResult {
  if (bytes.length < 2) return { status: 'short-header', datagram: null };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = view.getUint16(0);
  const hasTime = (word & HEADER_FLAG_SENT_TIME) !== 0;
  const headerSize = (hasTime ? 4 : 2) + (hasChecksum ? 4 : 0);
  if (bytes.length < headerSize) return { status: 'short-header', datagram: null };
  const dg: WireDatagram = {
    peerID: word & 0x0fff,
    sessionID: (word & HEADER_SESSION_MASK) >>> HEADER_SESSION_SHIFT,
    compressed: (word & HEADER_FLAG_COMPRESSED) !== 0,
    commands: [],
  };
  if (hasTime) dg.sentTime = view.getUint16(2);
  if (hasChecksum) dg.checksum = view.getUint32(hasTime ? 4 : 2);
  if (dg.compressed) {
    dg.compressedBody = bytes.slice(headerSize);
    return { status: 'ok', datagram: dg };
  }
  const status = decodeCommands(bytes, view, headerSize, dg.commands);
  return { status, datagram: dg };
}

/** Decodes the commands in `bytes[pos..]` into `out`; returns the status at the stop point. */
export function decodeCommands(bytes: Uint8Array, view: DataView, pos: number, out: WireCommand[]): DecodeStatus {
  while (pos < bytes.length) {
    if (bytes.length - pos < 4) return 'truncated-command';
    const commandByte = bytes[pos]!;
    const n = commandByte & COMMAND_MASK;
    if (n === Command.None || n >= Command.Count) return 'bad-command';
    const size = COMMAND_SIZE_TABLE[n]!;
    if (bytes.length - pos < size) return 'truncated-command';
    const c: WireCommand = {
      command: commandByte,
      channelID: bytes[pos + 1]!,
      reliableSequenceNumber: view.getUint16(pos + 2),
    };
    const u16 = (o: number): number => view.getUint16(pos + o);
    const u32 = (o: number): number => view.getUint32(pos + o);
    switch (n) {
      case Command.Acknowledge:
        c.receivedReliableSequenceNumber = u16(Off.receivedReliableSequenceNumber);
        c.receivedSentTime = u16(Off.receivedSentTime);
        break;
      case Command.Connect:
      case Command.VerifyConnect:
        c.outgoingPeerID = u16(Off.outgoingPeerID);
        c.incomingSessionID = bytes[pos + Off.incomingSessionID]!;
        c.outgoingSessionID = bytes[pos + Off.outgoingSessionID]!;
        c.mtu = u32(Off.mtu);
        c.windowSize = u32(Off.windowSize);
        c.channelCount = u32(Off.channelCount);
        c.incomingBandwidth = u32(Off.incomingBandwidth);
        c.outgoingBandwidth = u32(Off.outgoingBandwidth);
        c.packetThrottleInterval = u32(Off.packetThrottleInterval);
        c.packetThrottleAcceleration = u32(Off.packetThrottleAcceleration);
        c.packetThrottleDeceleration = u32(Off.packetThrottleDeceleration);
        c.connectID = bytes.slice(pos + Off.connectID, pos + Off.connectID + 4);
        if (n === Command.Connect) c.data = u32(Off.connectData);
        break;
      case Command.Disconnect:
        c.data = u32(Off.disconnectData);
        break;
      case Command.SendUnreliable:
        c.unreliableSequenceNumber = u16(Off.unreliableSequenceNumber);
        break;
      case Command.SendUnsequenced:
        c.unsequencedGroup = u16(Off.unsequencedGroup);
        break;
      case Command.SendFragment:
      case Command.SendUnreliableFragment:
        c.startSequenceNumber = u16(Off.startSequenceNumber);
        c.fragmentCount = u32(Off.fragmentCount);
        c.fragmentNumber = u32(Off.fragmentNumber);
        c.totalLength = u32(Off.totalLength);
        c.fragmentOffset = u32(Off.fragmentOffset);
        break;
      case Command.BandwidthLimit:
        c.incomingBandwidth = u32(Off.bandwidthIncoming);
        c.outgoingBandwidth = u32(Off.bandwidthOutgoing);
        break;
      case Command.ThrottleConfigure:
        c.packetThrottleInterval = u32(Off.throttleInterval);
        c.packetThrottleAcceleration = u32(Off.throttleAcceleration);
        c.packetThrottleDeceleration = u32(Off.throttleDeceleration);
        break;
      default:
        break;
    }
    const dlo = dataLengthOffset(n);
    let next = pos + size;
    if (dlo >= 0) {
      const len = u16(dlo);
      if (bytes.length - next < len) return 'truncated-payload';
      c.payload = bytes.slice(next, next + len);
      next += len;
    }
    out.push(c);
    pos = next;
  }
  return 'ok';
}

/** Size in bytes `encodeDatagram` will produce for `dg` (with `hasChecksum` as given). */
export function encodedSize(dg: WireDatagram, hasChecksum = false): number {
  let n = (dg.sentTime !== undefined ? 4 : 2) + (hasChecksum ? 4 : 0);
  if (dg.compressed && dg.compressedBody) return n + dg.compressedBody.length;
  for (const c of dg.commands) n += COMMAND_SIZE_TABLE[c.command & COMMAND_MASK]! + (c.payload?.length ?? 0);
  return n;
}

/**
 * Encodes a structured datagram byte for byte (the inverse of `decodeDatagram`). The checksum
 * field, when `hasChecksum`, holds `dg.checksum ?? 0`; computing it is the host's job (§2.2).
 * @throws RangeError when a command number is invalid.
 */
export function encodeDatagram(dg: WireDatagram, hasChecksum = false): Uint8Array {
  const out = new Uint8Array(encodedSize(dg, hasChecksum));
  const view = new DataView(out.buffer);
  let word = (dg.peerID & 0x0fff) | ((dg.sessionID & 3) << HEADER_SESSION_SHIFT);
  if (dg.compressed) word |= HEADER_FLAG_COMPRESSED;
  if (dg.sentTime !== undefined) word |= HEADER_FLAG_SENT_TIME;
  view.setUint16(0, word);
  let pos = 2;
  if (dg.sentTime !== undefined) {
    view.setUint16(2, dg.sentTime & 0xffff);
    pos = 4;
  }
  if (hasChecksum) {
    view.setUint32(pos, (dg.checksum ?? 0) >>> 0);
    pos += 4;
  }
  if (dg.compressed && dg.compressedBody) {
    out.set(dg.compressedBody, pos);
    return out;
  }
  for (const c of dg.commands) pos = encodeCommand(c, out, view, pos);
  return out;
}

function encodeCommand(c: WireCommand, out: Uint8Array, view: DataView, pos: number): number {
  const n = c.command & COMMAND_MASK;
  const size = COMMAND_SIZE_TABLE[n];
  if (size === undefined || size === 0) throw new CoreUsageError(`command number must be 1..12, got ${n}`, 'command', n);
  out[pos] = c.command;
  out[pos + 1] = c.channelID;
  view.setUint16(pos + 2, c.reliableSequenceNumber & 0xffff);
  const u16 = (o: number, v: number | undefined): void => view.setUint16(pos + o, (v ?? 0) & 0xffff);
  const u32 = (o: number, v: number | undefined): void => view.setUint32(pos + o, (v ?? 0) >>> 0);
  switch (n) {
    case Command.Acknowledge:
      u16(Off.receivedReliableSequenceNumber, c.receivedReliableSequenceNumber);
      u16(Off.receivedSentTime, c.receivedSentTime);
      break;
    case Command.Connect:
    case Command.VerifyConnect:
      u16(Off.outgoingPeerID, c.outgoingPeerID);
      out[pos + Off.incomingSessionID] = c.incomingSessionID ?? 0;
      out[pos + Off.outgoingSessionID] = c.outgoingSessionID ?? 0;
      u32(Off.mtu, c.mtu);
      u32(Off.windowSize, c.windowSize);
      u32(Off.channelCount, c.channelCount);
      u32(Off.incomingBandwidth, c.incomingBandwidth);
      u32(Off.outgoingBandwidth, c.outgoingBandwidth);
      u32(Off.packetThrottleInterval, c.packetThrottleInterval);
      u32(Off.packetThrottleAcceleration, c.packetThrottleAcceleration);
      u32(Off.packetThrottleDeceleration, c.packetThrottleDeceleration);
      if (c.connectID) out.set(c.connectID.subarray(0, 4), pos + Off.connectID);
      if (n === Command.Connect) u32(Off.connectData, c.data);
      break;
    case Command.Disconnect:
      u32(Off.disconnectData, c.data);
      break;
    case Command.SendUnreliable:
      u16(Off.unreliableSequenceNumber, c.unreliableSequenceNumber);
      break;
    case Command.SendUnsequenced:
      u16(Off.unsequencedGroup, c.unsequencedGroup);
      break;
    case Command.SendFragment:
    case Command.SendUnreliableFragment:
      u16(Off.startSequenceNumber, c.startSequenceNumber);
      u32(Off.fragmentCount, c.fragmentCount);
      u32(Off.fragmentNumber, c.fragmentNumber);
      u32(Off.totalLength, c.totalLength);
      u32(Off.fragmentOffset, c.fragmentOffset);
      break;
    case Command.BandwidthLimit:
      u32(Off.bandwidthIncoming, c.incomingBandwidth);
      u32(Off.bandwidthOutgoing, c.outgoingBandwidth);
      break;
    case Command.ThrottleConfigure:
      u32(Off.throttleInterval, c.packetThrottleInterval);
      u32(Off.throttleAcceleration, c.packetThrottleAcceleration);
      u32(Off.throttleDeceleration, c.packetThrottleDeceleration);
      break;
    default:
      break;
  }
  const dlo = dataLengthOffset(n);
  pos += size;
  if (dlo >= 0) {
    const p = c.payload ?? new Uint8Array(0);
    view.setUint16(pos - size + dlo, p.length);
    out.set(p, pos);
    pos += p.length;
  }
  return pos;
}
