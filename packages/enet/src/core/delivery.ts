// Core: handlers of the five data commands and in-order delivery (enet-protocol.md §8):
// reliable windows and ordering, unreliable sequencing, the unsequenced duplicate filter,
// and reassembly of reliable and unreliable fragments. Handlers return the offset of the next
// command, or -1 for a handler failure (the rest of the datagram is then ignored, §2.4).
import { viewOf } from '@meshpunch/base';
import { PEER_FREE_UNSEQUENCED_WINDOWS, PEER_UNSEQUENCED_WINDOW_SIZE, PROTOCOL_MAXIMUM_FRAGMENT_COUNT, REASSEMBLY_CHUNK_SIZE } from './constants.js';
import type { Channel } from './channel.js';
import { IncomingCommand } from './commands.js';
import { PacketFlag } from './events.js';
import type { HostContext } from './host-context.js';
import type { Peer } from './peer.js';
import { PeerState } from './peer.js';
import { COMMAND_SIZE_TABLE, Command, Off, readU16, readU32 } from './protocol.js';
import { isInReceiveWindow, seqKey } from './sequence.js';

/**
 * Bytes charged to a peer's waiting-data budget per held command on top of its payload, so a
 * flood of tiny or empty commands is bounded too (roughly the size of an IncomingCommand).
 */
const INCOMING_OVERHEAD = 64;

/**
 * The packet handed to the user: a view into the datagram the caller passed to handleDatagram
 * (no copy; see its contract), or a copy when the bytes sit in the host's scratch buffer
 * (decompressed or checksum-verified datagrams), which the next datagram overwrites.
 */
function payloadOf(host: HostContext, data: Uint8Array, start: number, end: number): Uint8Array {
  if (data === host.scratch) return data.slice(start, end);
  // A plain Uint8Array view even when `data` is a Node Buffer: Buffer's own subarray() reads
  // three getters and runs FastBuffer's class constructor, twice the cost of this; viewOf reads
  // `buffer` and `byteOffset` without the generic lookup through Buffer.prototype.
  return viewOf(data, start, end - start);
}

function dataChannel(peer: Peer, channelID: number): Channel | null {
  if (channelID >= peer.channelCount || !peer.isConnectedForData()) return null;
  return peer.channels[channelID]!;
}

/**
 * §8.2 flow control, plus the host-wide cap (config.maximumHostWaitingData). Admits while under
 * the cap, so one packet (or one reassembly chunk) may overshoot it; a maximum-size packet
 * therefore still fits a budget equal to maximumPacketSize.
 */
function overBudget(host: HostContext, peer: Peer): boolean {
  if (peer.totalWaitingData >= host.config.maximumWaitingData || host.waitingData >= host.config.maximumHostWaitingData) {
    host.stats.waitingDataOverflows++;
    return true;
  }
  return false;
}

/** Counts `n` bytes held for `peer` against its budget and the host's. */
function charge(host: HostContext, peer: Peer, n: number): void {
  peer.totalWaitingData += n;
  host.waitingData += n;
}

/** SEND_RELIABLE (§8.2). */
export function handleSendReliable(host: HostContext, peer: Peer, data: Uint8Array, pos: number, end: number, channelID: number): number {
  const channel = dataChannel(peer, channelID);
  if (channel === null) return -1;
  const len = readU16(data, pos + Off.reliableDataLength);
  const start = pos + COMMAND_SIZE_TABLE[Command.SendReliable]!;
  const next = start + len;
  if (next > end || len > host.config.maximumPacketSize) return -1;
  if (peer.state === PeerState.DisconnectLater) return next;
  const seq = readU16(data, pos + Off.reliableSequenceNumber);
  const r = channel.incomingReliableSequenceNumber;
  if (!isInReceiveWindow(seq, r) || seq === r) return next;
  const q = channel.incomingReliableCommands;
  if (q.length === 0 && seq === ((r + 1) & 0xffff)) {
    if (overBudget(host, peer)) return -1;
    // Fast path: the next packet in order with nothing queued is delivered without a record.
    channel.incomingReliableSequenceNumber = seq;
    charge(host, peer, len);
    host.deliver(peer, channelID, payloadOf(host, data, start, next), PacketFlag.Reliable, len);
    afterReliableDelivery(host, peer, channel, channelID);
    return next;
  }
  const key = seqKey(seq, r);
  let i = q.length;
  while (i > 0) {
    const k = seqKey(q[i - 1]!.reliableSequenceNumber, r);
    if (k < key) break;
    if (k === key) return next; // duplicate
    i--;
  }
  if (overBudget(host, peer)) return -1;
  const cost = len + INCOMING_OVERHEAD;
  const cmd = new IncomingCommand(seq, 0, Command.SendReliable, payloadOf(host, data, start, next), PacketFlag.Reliable, cost);
  charge(host, peer, cost);
  q.splice(i, 0, cmd);
  dispatchReliable(host, peer, channel, channelID);
  return next;
}

/** SEND_FRAGMENT (§8.5, reliable reassembly). */
export function handleSendFragment(host: HostContext, peer: Peer, data: Uint8Array, pos: number, end: number, channelID: number): number {
  const channel = dataChannel(peer, channelID);
  if (channel === null) return -1;
  const fragmentLength = readU16(data, pos + Off.fragmentDataLength);
  const start = pos + COMMAND_SIZE_TABLE[Command.SendFragment]!;
  const next = start + fragmentLength;
  if (fragmentLength === 0 || next > end || fragmentLength > host.config.maximumPacketSize) return -1;
  const startSeq = readU16(data, pos + Off.startSequenceNumber);
  const r = channel.incomingReliableSequenceNumber;
  if (!isInReceiveWindow(startSeq, r)) return next;
  const fragmentNumber = readU32(data, pos + Off.fragmentNumber);
  const fragmentCount = readU32(data, pos + Off.fragmentCount);
  const fragmentOffset = readU32(data, pos + Off.fragmentOffset);
  const totalLength = readU32(data, pos + Off.totalLength);
  if (!validFragment(host, fragmentNumber, fragmentCount, fragmentOffset, totalLength, fragmentLength)) return -1;
  if (peer.state === PeerState.DisconnectLater || startSeq === r) return next;
  const q = channel.incomingReliableCommands;
  const key = seqKey(startSeq, r);
  let i = q.length;
  let group: IncomingCommand | null = null;
  while (i > 0) {
    const e = q[i - 1]!;
    const k = seqKey(e.reliableSequenceNumber, r);
    if (k < key) break;
    if (k === key) {
      if (e.commandNumber !== Command.SendFragment || e.totalLength !== totalLength || e.fragmentCount !== fragmentCount) return -1;
      group = e;
      break;
    }
    i--;
  }
  if (group === null) {
    if (overBudget(host, peer)) return -1;
    group = newGroup(startSeq, 0, Command.SendFragment, fragmentCount, totalLength, PacketFlag.Reliable);
    charge(host, peer, group.cost);
    q.splice(i, 0, group);
  }
  const added = addFragment(host, peer, group, fragmentNumber, fragmentOffset, data, start, fragmentLength);
  if (added < 0) return -1;
  if (added > 0) dispatchReliable(host, peer, channel, channelID);
  return next;
}

/** SEND_UNRELIABLE (§8.3). */
export function handleSendUnreliable(host: HostContext, peer: Peer, data: Uint8Array, pos: number, end: number, channelID: number): number {
  const channel = dataChannel(peer, channelID);
  if (channel === null) return -1;
  const len = readU16(data, pos + Off.unreliableDataLength);
  const start = pos + COMMAND_SIZE_TABLE[Command.SendUnreliable]!;
  const next = start + len;
  if (next > end || len > host.config.maximumPacketSize) return -1;
  if (peer.state === PeerState.DisconnectLater) return next;
  const R = readU16(data, pos + Off.reliableSequenceNumber);
  const U = readU16(data, pos + Off.unreliableSequenceNumber);
  const r = channel.incomingReliableSequenceNumber;
  if (!isInReceiveWindow(R, r)) return next;
  if (R === r && U <= channel.incomingUnreliableSequenceNumber) return next;
  const q = channel.incomingUnreliableCommands;
  if (q.length === 0 && R === r) {
    if (overBudget(host, peer)) return -1;
    channel.incomingUnreliableSequenceNumber = U;
    charge(host, peer, len);
    host.deliver(peer, channelID, payloadOf(host, data, start, next), 0, len);
    return next;
  }
  const slot = unreliableSlot(q, R, U, r);
  if (slot < 0) return next; // duplicate
  if (overBudget(host, peer)) return -1;
  const cost = len + INCOMING_OVERHEAD;
  q.splice(slot, 0, new IncomingCommand(R, U, Command.SendUnreliable, payloadOf(host, data, start, next), 0, cost));
  charge(host, peer, cost);
  dispatchUnreliable(host, peer, channel, channelID);
  return next;
}

/** SEND_UNRELIABLE_FRAGMENT (§8.5, unreliable reassembly). */
export function handleSendUnreliableFragment(host: HostContext, peer: Peer, data: Uint8Array, pos: number, end: number, channelID: number): number {
  const channel = dataChannel(peer, channelID);
  if (channel === null) return -1;
  const fragmentLength = readU16(data, pos + Off.fragmentDataLength);
  const start = pos + COMMAND_SIZE_TABLE[Command.SendUnreliableFragment]!;
  const next = start + fragmentLength;
  if (fragmentLength === 0 || next > end || fragmentLength > host.config.maximumPacketSize) return -1;
  const R = readU16(data, pos + Off.reliableSequenceNumber);
  const U = readU16(data, pos + Off.startSequenceNumber);
  const r = channel.incomingReliableSequenceNumber;
  if (!isInReceiveWindow(R, r)) return next;
  if (R === r && U <= channel.incomingUnreliableSequenceNumber) return next;
  const fragmentNumber = readU32(data, pos + Off.fragmentNumber);
  const fragmentCount = readU32(data, pos + Off.fragmentCount);
  const fragmentOffset = readU32(data, pos + Off.fragmentOffset);
  const totalLength = readU32(data, pos + Off.totalLength);
  if (!validFragment(host, fragmentNumber, fragmentCount, fragmentOffset, totalLength, fragmentLength)) return -1;
  if (peer.state === PeerState.DisconnectLater) return next;
  const q = channel.incomingUnreliableCommands;
  let group: IncomingCommand | null = null;
  const slot = unreliableSlot(q, R, U, r);
  if (slot < 0) {
    const e = q[-slot - 1]!;
    if (e.commandNumber !== Command.SendUnreliableFragment || e.totalLength !== totalLength || e.fragmentCount !== fragmentCount) return -1;
    group = e;
  } else {
    if (overBudget(host, peer)) return -1;
    group = newGroup(R, U, Command.SendUnreliableFragment, fragmentCount, totalLength, PacketFlag.UnreliableFragment);
    charge(host, peer, group.cost);
    q.splice(slot, 0, group);
  }
  const added = addFragment(host, peer, group, fragmentNumber, fragmentOffset, data, start, fragmentLength);
  if (added < 0) return -1;
  if (added > 0) dispatchUnreliable(host, peer, channel, channelID);
  return next;
}

/** SEND_UNSEQUENCED (§8.4): peer-wide 1024-group duplicate filter, then delivery. */
export function handleSendUnsequenced(host: HostContext, peer: Peer, data: Uint8Array, pos: number, end: number, channelID: number): number {
  const channel = dataChannel(peer, channelID);
  if (channel === null) return -1;
  const len = readU16(data, pos + Off.unreliableDataLength);
  const start = pos + COMMAND_SIZE_TABLE[Command.SendUnsequenced]!;
  const next = start + len;
  if (next > end || len > host.config.maximumPacketSize) return -1;
  const group = readU16(data, pos + Off.unsequencedGroup);
  const index = group % PEER_UNSEQUENCED_WINDOW_SIZE;
  let g = group;
  if (g < peer.incomingUnsequencedGroup) g += 0x10000;
  if (g >= peer.incomingUnsequencedGroup + PEER_FREE_UNSEQUENCED_WINDOWS * PEER_UNSEQUENCED_WINDOW_SIZE) return next;
  g &= 0xffff;
  const word = index >>> 5;
  const bit = 1 << (index & 31);
  if (g - index !== peer.incomingUnsequencedGroup) {
    peer.incomingUnsequencedGroup = g - index;
    peer.unsequencedWindow.fill(0);
  } else if ((peer.unsequencedWindow[word]! & bit) !== 0) {
    return next;
  }
  if (peer.state !== PeerState.DisconnectLater) {
    if (overBudget(host, peer)) return -1;
    const q = channel.incomingUnreliableCommands;
    if (q.length === 0) {
      charge(host, peer, len);
      host.deliver(peer, channelID, payloadOf(host, data, start, next), PacketFlag.Unsequenced, len);
    } else {
      const cost = len + INCOMING_OVERHEAD;
      q.push(new IncomingCommand(0, 0, Command.SendUnsequenced, payloadOf(host, data, start, next), PacketFlag.Unsequenced, cost));
      charge(host, peer, cost);
      dispatchUnreliable(host, peer, channel, channelID);
    }
  }
  peer.unsequencedWindow[word] = peer.unsequencedWindow[word]! | bit;
  return next;
}

/** §8.5 receiver validation (with the 1.3.18 `totalLength ≥ fragmentCount` rule). */
function validFragment(host: HostContext, number: number, count: number, offset: number, total: number, length: number): boolean {
  return count <= PROTOCOL_MAXIMUM_FRAGMENT_COUNT && number < count && total <= host.config.maximumPacketSize
    && offset < total && length <= total - offset && total >= count;
}

const EMPTY = new Uint8Array(0);

/**
 * A new reassembly record. Up to REASSEMBLY_CHUNK_SIZE the whole packet is allocated at once
 * (as libenet); above it only the chunk table, and each chunk when a fragment lands in it
 * (addFragment), so what an announced totalLength costs is bounded by the bytes that arrive.
 * `cost` covers what is allocated here and grows with every chunk.
 */
function newGroup(R: number, U: number, commandNumber: number, count: number, total: number, flags: number): IncomingCommand {
  const words = (count + 31) >>> 5;
  let g: IncomingCommand;
  if (total <= REASSEMBLY_CHUNK_SIZE) {
    g = new IncomingCommand(R, U, commandNumber, new Uint8Array(total), flags, total + words * 4 + INCOMING_OVERHEAD);
  } else {
    const n = Math.ceil(total / REASSEMBLY_CHUNK_SIZE);
    g = new IncomingCommand(R, U, commandNumber, EMPTY, flags, n * 8 + words * 4 + INCOMING_OVERHEAD);
    g.totalLength = total;
    g.chunks = new Array<Uint8Array | null>(n).fill(null);
  }
  g.fragmentCount = count;
  g.fragmentsRemaining = count;
  g.fragments = new Uint32Array(words);
  return g;
}

/**
 * Copies a fragment in (once). Returns 1 when the group just became complete, 0 otherwise, and
 * −1 when a chunk it needs would exceed the waiting-data budget (nothing recorded: the sender
 * retransmits a reliable fragment once the receiver drains).
 */
function addFragment(host: HostContext, peer: Peer, group: IncomingCommand, number: number, offset: number, data: Uint8Array, start: number, length: number): number {
  const bits = group.fragments!;
  const word = number >>> 5;
  const bit = 1 << (number & 31);
  if ((bits[word]! & bit) !== 0) return 0;
  const total = group.totalLength;
  let len = length;
  if (offset + len > total) len = total - offset;
  const chunks = group.chunks;
  if (chunks === null) {
    group.packet.set(viewOf(data, start, len), offset);
  } else {
    const first = (offset / REASSEMBLY_CHUNK_SIZE) | 0;
    const last = ((offset + len - 1) / REASSEMBLY_CHUNK_SIZE) | 0;
    for (let c = first; c <= last; c++) {
      if (chunks[c] !== null) continue;
      if (overBudget(host, peer)) return -1;
      const size = Math.min(REASSEMBLY_CHUNK_SIZE, total - c * REASSEMBLY_CHUNK_SIZE);
      chunks[c] = new Uint8Array(size);
      group.cost += size;
      charge(host, peer, size);
    }
    let at = offset;
    let from = start;
    const end = start + len;
    while (from < end) {
      const c = (at / REASSEMBLY_CHUNK_SIZE) | 0;
      const within = at - c * REASSEMBLY_CHUNK_SIZE;
      const n = Math.min(end - from, REASSEMBLY_CHUNK_SIZE - within);
      chunks[c]!.set(viewOf(data, from, n), within);
      at += n;
      from += n;
    }
  }
  bits[word] = bits[word]! | bit;
  group.fragmentsRemaining--;
  if (group.fragmentsRemaining !== 0) return 0;
  if (chunks !== null) {
    // Complete: join the chunks into the one packet handed to the user. Every byte of it has
    // arrived, so this allocation is paid for; the chunks are released with the table.
    const packet = new Uint8Array(total);
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      if (chunk !== null && chunk !== undefined) packet.set(chunk, c * REASSEMBLY_CHUNK_SIZE);
    }
    group.packet = packet;
    group.chunks = null;
  }
  return 1;
}

/**
 * Where (R, U) goes in an unreliable queue ordered by (R relative to r, U); unsequenced
 * entries are skipped. Returns the insert index, or −(index + 1) of an identical entry.
 */
function unreliableSlot(q: IncomingCommand[], R: number, U: number, r: number): number {
  const key = seqKey(R, r);
  let i = q.length;
  while (i > 0) {
    const e = q[i - 1]!;
    if (e.commandNumber !== Command.SendUnsequenced) {
      const k = seqKey(e.reliableSequenceNumber, r);
      if (k < key) break;
      if (k === key) {
        if (e.unreliableSequenceNumber < U) break;
        if (e.unreliableSequenceNumber === U) return -i;
      }
    }
    i--;
  }
  return i;
}

/** §8.2: delivers complete reliable commands in order from the head of the queue. */
function dispatchReliable(host: HostContext, peer: Peer, channel: Channel, channelID: number): void {
  const q = channel.incomingReliableCommands;
  let r = channel.incomingReliableSequenceNumber;
  let k = 0;
  while (k < q.length) {
    const c = q[k]!;
    if (c.fragmentsRemaining > 0 || c.reliableSequenceNumber !== ((r + 1) & 0xffff)) break;
    r = c.reliableSequenceNumber;
    if (c.fragmentCount > 0) r = (r + c.fragmentCount - 1) & 0xffff;
    host.deliver(peer, channelID, c.packet, c.flags, c.cost);
    k++;
  }
  if (k === 0) return;
  channel.incomingReliableSequenceNumber = r;
  let w = 0;
  for (let i = k; i < q.length; i++) q[w++] = q[i]!;
  q.length = w;
  afterReliableDelivery(host, peer, channel, channelID);
}

function afterReliableDelivery(host: HostContext, peer: Peer, channel: Channel, channelID: number): void {
  channel.incomingUnreliableSequenceNumber = 0;
  if (channel.incomingUnreliableCommands.length > 0) dispatchUnreliable(host, peer, channel, channelID);
}

/**
 * §8.3 delivery pass over the unreliable queue, compacting it in place: unsequenced entries go
 * out at once; complete entries of the current epoch are delivered in order; an incomplete
 * fragment group is dropped once a later entry of its epoch is delivered; entries of an older
 * epoch are dropped; the walk stops at the first entry of a future epoch.
 */
function dispatchUnreliable(host: HostContext, peer: Peer, channel: Channel, channelID: number): void {
  const q = channel.incomingUnreliableCommands;
  const r = channel.incomingReliableSequenceNumber;
  let w = 0;
  let firstIncomplete = -1;
  let stopped = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (stopped) {
      q[w++] = c;
      continue;
    }
    if (c.commandNumber === Command.SendUnsequenced) {
      host.deliver(peer, channelID, c.packet, c.flags, c.cost);
      continue;
    }
    if (c.reliableSequenceNumber === r) {
      if (c.fragmentsRemaining === 0) {
        if (firstIncomplete >= 0) {
          for (let j = firstIncomplete; j < w; j++) release(host, peer, q[j]!);
          w = firstIncomplete;
          firstIncomplete = -1;
        }
        channel.incomingUnreliableSequenceNumber = c.unreliableSequenceNumber;
        host.deliver(peer, channelID, c.packet, c.flags, c.cost);
      } else {
        if (firstIncomplete < 0) firstIncomplete = w;
        q[w++] = c;
      }
    } else if (isInReceiveWindow(c.reliableSequenceNumber, r)) {
      stopped = true;
      q[w++] = c;
    } else {
      release(host, peer, c);
    }
  }
  q.length = w;
}

function release(host: HostContext, peer: Peer, c: IncomingCommand): void {
  const refund = c.cost < peer.totalWaitingData ? c.cost : peer.totalWaitingData;
  peer.totalWaitingData -= refund;
  host.waitingData -= refund;
}
