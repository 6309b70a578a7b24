// Core: the receive path (enet-protocol.md §2.4) — header checks, decompression, checksum,
// the command loop, and the handlers of the control commands (§3.3, §5, §6, §9.3).
// Data commands are handled in delivery.ts. Nothing here throws on network input.
import { viewOf } from '@meshpunch/base';
import {
  CONTROL_CHANNEL, HEADER_FLAG_COMPRESSED, MAX_DATAGRAM_SIZE, HEADER_FLAG_SENT_TIME, HEADER_SESSION_MASK, HEADER_SESSION_SHIFT,
  PROTOCOL_MAXIMUM_CHANNEL_COUNT, PROTOCOL_MAXIMUM_MTU, PROTOCOL_MAXIMUM_PEER_ID,
  PROTOCOL_MAXIMUM_WINDOW_SIZE, PROTOCOL_MINIMUM_CHANNEL_COUNT, PROTOCOL_MINIMUM_MTU,
} from './constants.js';
import {
  handleSendFragment, handleSendReliable, handleSendUnreliable, handleSendUnreliableFragment, handleSendUnsequenced,
} from './delivery.js';
import { isHoldable } from './commands.js';
import type { CoreEndpoint, HostContext } from './host-context.js';
import { clampWindow, sendWindow, windowForBandwidth } from './window.js';
import { Peer, PeerState } from './peer.js';
import { COMMAND_FLAG_ACKNOWLEDGE, COMMAND_MASK, COMMAND_SIZE_TABLE, Command, Off, readU16, readU32 } from './protocol.js';
import { isInNoAckBand, reconstructSentTime, timeDiff } from './sequence.js';
import { updateRoundTripTime } from './throttle.js';

/** Entry point for one datagram (§2.4 steps 1–8). */
export function receiveDatagram(host: HostContext, now: number, from: CoreEndpoint, bytes: Uint8Array): void {
  const stats = host.stats;
  const len = bytes.length;
  if (len < 2 || len > MAX_DATAGRAM_SIZE) {
    stats.droppedMalformed++;
    stats.droppedDatagrams++;
    return;
  }
  const word = (bytes[0]! << 8) | bytes[1]!;
  const hasTime = (word & HEADER_FLAG_SENT_TIME) !== 0;
  const checksum = host.checksum;
  const headerSize = (hasTime ? 4 : 2) + (checksum !== null ? 4 : 0);
  if (len < headerSize) {
    stats.droppedMalformed++;
    stats.droppedDatagrams++;
    return;
  }
  const peerID = word & PROTOCOL_MAXIMUM_PEER_ID;
  let peer: Peer | null = null;
  if (peerID !== PROTOCOL_MAXIMUM_PEER_ID) {
    if (peerID >= host.peers.length) {
      stats.droppedUnknownPeer++;
      stats.droppedDatagrams++;
      return;
    }
    peer = host.peers[peerID]!;
    if (peer.state === PeerState.Disconnected || peer.state === PeerState.Zombie) {
      stats.droppedUnknownPeer++;
      stats.droppedDatagrams++;
      return;
    }
    if (peer.address !== from.address || peer.port !== from.port) {
      stats.droppedWrongAddress++;
      stats.droppedDatagrams++;
      return;
    }
    if (peer.outgoingPeerID < PROTOCOL_MAXIMUM_PEER_ID && ((word & HEADER_SESSION_MASK) >>> HEADER_SESSION_SHIFT) !== peer.incomingSessionID) {
      stats.droppedWrongSession++;
      stats.droppedDatagrams++;
      return;
    }
  }
  let data = bytes;
  let end = len;
  if ((word & HEADER_FLAG_COMPRESSED) !== 0) {
    const compressor = host.compressor;
    if (compressor === null) {
      stats.droppedDecompress++;
      stats.droppedDatagrams++;
      return;
    }
    const scratch = host.scratch;
    scratch.set(viewOf(bytes, 0, headerSize));
    let n = 0;
    try {
      n = compressor.decompress(viewOf(bytes, headerSize, len - headerSize), scratch.subarray(headerSize), MAX_DATAGRAM_SIZE - headerSize);
    } catch {
      n = 0; // a plug-in decompressor must not throw, but a throwing one still only drops this datagram
    }
    if (!(n > 0) || headerSize + n > MAX_DATAGRAM_SIZE) {
      stats.droppedDecompress++;
      stats.droppedDatagrams++;
      return;
    }
    data = scratch;
    end = headerSize + n;
  }
  if (checksum !== null) {
    if (data !== host.scratch) {
      host.scratch.set(bytes);
      data = host.scratch;
    }
    const at = hasTime ? 4 : 2;
    const stored = ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
    // §2.2: the seed is the addressed peer's connectID, zeros for peerID 0xFFF.
    const seed = peer !== null ? peer.connectID : 0;
    data[at] = seed >>> 24;
    data[at + 1] = (seed >>> 16) & 0xff;
    data[at + 2] = (seed >>> 8) & 0xff;
    data[at + 3] = seed & 0xff;
    host.checksumBuffers[0] = data.subarray(0, end);
    if ((checksum(host.checksumBuffers) >>> 0) !== stored) {
      stats.droppedBadChecksum++;
      stats.droppedDatagrams++;
      return;
    }
  }
  if (peer !== null) peer.incomingDataTotal += end;
  const sentTime = hasTime ? (data[2]! << 8) | data[3]! : 0;
  handleCommands(host, now, from, peer, data, headerSize, end, hasTime, sentTime);
}

function handleCommands(host: HostContext, now: number, from: CoreEndpoint, peer: Peer | null, data: Uint8Array,
  pos: number, end: number, hasTime: boolean, sentTime: number): void {
  while (pos < end) {
    const commandByte = data[pos]!;
    const n = commandByte & COMMAND_MASK;
    // A truncated or unknown command, or anything but CONNECT from an unknown peer, ends the
    // datagram (§2.4 step 8); counted with the handler failures.
    if (end - pos < 4 || n === Command.None || n >= Command.Count || end - pos < COMMAND_SIZE_TABLE[n]! || (peer === null && n !== Command.Connect)) {
      host.stats.commandFailures++;
      break;
    }
    const channelID = data[pos + 1]!;
    const seq = (data[pos + 2]! << 8) | data[pos + 3]!;
    let next = pos + COMMAND_SIZE_TABLE[n]!;
    switch (n) {
      case Command.Acknowledge:
        if (!handleAcknowledge(host, peer!, data, pos, channelID, now)) next = -1;
        break;
      case Command.Connect:
        if (peer !== null) next = -1;
        else {
          peer = handleConnect(host, from, data, pos);
          if (peer === null) next = -1;
        }
        break;
      case Command.VerifyConnect:
        if (!handleVerifyConnect(host, peer!, data, pos)) next = -1;
        break;
      case Command.Disconnect:
        handleDisconnect(host, peer!, data, pos, commandByte);
        break;
      case Command.Ping:
        if (!peer!.isConnectedForData()) next = -1;
        break;
      case Command.SendReliable:
        next = handleSendReliable(host, peer!, data, pos, end, channelID);
        break;
      case Command.SendUnreliable:
        next = handleSendUnreliable(host, peer!, data, pos, end, channelID);
        break;
      case Command.SendUnsequenced:
        next = handleSendUnsequenced(host, peer!, data, pos, end, channelID);
        break;
      case Command.SendFragment:
        next = handleSendFragment(host, peer!, data, pos, end, channelID);
        break;
      case Command.SendUnreliableFragment:
        next = handleSendUnreliableFragment(host, peer!, data, pos, end, channelID);
        break;
      case Command.BandwidthLimit:
        if (!handleBandwidthLimit(host, peer!, data, pos)) next = -1;
        break;
      case Command.ThrottleConfigure:
        if (!peer!.isConnectedForData()) next = -1;
        else {
          peer!.packetThrottleInterval = readU32(data, pos + Off.throttleInterval);
          peer!.packetThrottleAcceleration = readU32(data, pos + Off.throttleAcceleration);
          peer!.packetThrottleDeceleration = readU32(data, pos + Off.throttleDeceleration);
        }
        break;
      default:
        next = -1;
        break;
    }
    if (next < 0) {
      host.stats.commandFailures++;
      break;
    }
    pos = next;
    if (peer !== null && (commandByte & COMMAND_FLAG_ACKNOWLEDGE) !== 0) {
      // §2.4 step 8 / §6: no SENT_TIME → stop; otherwise ACK unless the state forbids it.
      if (!hasTime) break;
      const s = peer.state;
      if (s === PeerState.Disconnecting || s === PeerState.AcknowledgingConnect || s === PeerState.Disconnected || s === PeerState.Zombie) continue;
      if (s === PeerState.AcknowledgingDisconnect && n !== Command.Disconnect) continue;
      queueAck(host, peer, channelID, seq, sentTime, n);
    }
  }
}

/** §6 enet_peer_queue_acknowledgement with the window-band filter. */
export function queueAck(host: HostContext, peer: Peer, channelID: number, seq: number, sentTime: number, commandNumber: number): void {
  if (channelID < peer.channelCount) {
    const channel = peer.channels[channelID]!;
    if (isInNoAckBand(seq, channel.incomingReliableSequenceNumber)) return;
  }
  if (peer.acknowledgements.length >= host.config.maxPendingAcknowledgements) {
    host.stats.acknowledgementOverflows++;
    return;
  }
  peer.outgoingDataTotal += COMMAND_SIZE_TABLE[Command.Acknowledge]!;
  peer.acknowledgements.push(commandNumber, channelID, seq, sentTime);
}

/** §6 handle_acknowledge. */
function handleAcknowledge(host: HostContext, peer: Peer, data: Uint8Array, pos: number, channelID: number, now: number): boolean {
  if (peer.state === PeerState.Disconnected || peer.state === PeerState.Zombie) return true;
  const now32 = now >>> 0;
  const t = reconstructSentTime(readU16(data, pos + Off.receivedSentTime), now32);
  if (t < 0) return true;
  let rtt = timeDiff(now32, t);
  if (rtt < 1) rtt = 1;
  updateRoundTripTime(peer, rtt, now);
  peer.lastReceiveTime = now > 1 ? now : 1;
  peer.earliestTimeout = -1;
  const seq = readU16(data, pos + Off.receivedReliableSequenceNumber);
  const acked = removeSentReliableCommand(host, peer, seq, channelID);
  switch (peer.state) {
    case PeerState.AcknowledgingConnect:
      if (acked !== Command.VerifyConnect) return false;
      host.notifyConnect(peer, peer.eventData);
      break;
    case PeerState.Disconnecting:
      if (acked !== Command.Disconnect) return false;
      peer.eventData = 0;
      host.dispatchDisconnect(peer);
      break;
    case PeerState.DisconnectLater:
      if (peer.outgoingCommands.length === 0 && peer.sentReliableCommands.length === 0) host.disconnect(peer, peer.disconnectLaterData);
      break;
    default:
      break;
  }
  return true;
}

/**
 * §6 step 4: removes the acknowledged command from the sent list (or, if it timed out and went
 * back to the outgoing queue, from there). Returns its command number, or 0 when not found.
 */
export function removeSentReliableCommand(host: HostContext, peer: Peer, seq: number, channelID: number): number {
  const sent = peer.sentReliableCommands;
  let idx = -1;
  let inSent = true;
  for (let i = 0; i < sent.length; i++) {
    const c = sent.at(i)!;
    if (c.reliableSequenceNumber === seq && c.channelID === channelID) {
      idx = i;
      break;
    }
  }
  if (idx < 0) {
    inSent = false;
    const q = peer.outgoingCommands;
    for (let i = 0; i < q.length; i++) {
      const c = q.at(i)!;
      if ((c.command & COMMAND_FLAG_ACKNOWLEDGE) === 0) continue;
      if (c.sendAttempts < 1) break;
      if (c.reliableSequenceNumber === seq && c.channelID === channelID) {
        idx = i;
        break;
      }
    }
    if (idx < 0) return Command.None;
  }
  const cmd = inSent ? sent.removeAt(idx)! : peer.outgoingCommands.removeAt(idx)!;
  if (!inSent && !isHoldable(cmd)) peer.outgoingUnheld--;
  const number = cmd.command & COMMAND_MASK;
  if (cmd.channelID !== CONTROL_CHANNEL && cmd.channelID < peer.channelCount && cmd.data !== null) {
    // §8.1: one fewer unacknowledged first transmission in this reliable window.
    const channel = peer.channels[cmd.channelID]!;
    const w = (cmd.reliableSequenceNumber / 4096) | 0;
    if (channel.reliableWindows[w]! > 0) {
      channel.reliableWindows[w]!--;
      if (channel.reliableWindows[w] === 0) channel.usedReliableWindows &= ~(1 << w);
    }
  }
  if (inSent && cmd.data !== null) peer.reliableDataInTransit -= cmd.fragmentLength;
  host.freeCommand(cmd);
  if (sent.length > 0) {
    const head = sent.peekFront()!;
    peer.nextTimeout = head.sentTime + head.roundTripTimeout;
  }
  return number;
}

/** §5.1 server side: a CONNECT from `from`; returns the new peer, or null (handler failure). */
function handleConnect(host: HostContext, from: CoreEndpoint, data: Uint8Array, pos: number): Peer | null {
  const channelCountIn = readU32(data, pos + Off.channelCount);
  if (channelCountIn < PROTOCOL_MINIMUM_CHANNEL_COUNT || channelCountIn > PROTOCOL_MAXIMUM_CHANNEL_COUNT) return null;
  if (host.refusing) {
    host.stats.refusedConnects++;
    return null;
  }
  if (host.connectFilter !== null && !acceptedByFilter(host, from)) {
    host.stats.filteredConnects++;
    host.stats.refusedConnects++;
    return null;
  }
  const connectID = readU32(data, pos + Off.connectID);
  let peer: Peer | null = null;
  let duplicates = 0;
  let halfOpen = 0;
  for (let i = 0; i < host.peers.length; i++) {
    const p = host.peers[i]!;
    if (p.state === PeerState.Disconnected) {
      if (peer === null) peer = p;
    } else if (p.state !== PeerState.Connecting && p.address === from.address) {
      if (p.port === from.port && p.connectID === connectID) return null; // retransmitted CONNECT
      duplicates++;
      if (p.state === PeerState.AcknowledgingConnect) halfOpen++;
    }
  }
  if (halfOpen >= host.config.maxHalfOpenPerAddress) {
    // Spoofed CONNECTs from one address (any source ports) hold at most this many slots.
    host.stats.halfOpenRefusals++;
    host.stats.refusedConnects++;
    return null;
  }
  if (duplicates >= host.config.duplicatePeers) {
    host.stats.refusedConnects++;
    return null;
  }
  if (peer === null) peer = evictOldestHalfOpen(host);
  if (peer === null) {
    host.stats.refusedConnects++;
    return null;
  }
  const channelCount = Math.min(channelCountIn, host.channelLimit);
  peer.setupChannels(channelCount);
  peer.state = PeerState.AcknowledgingConnect;
  peer.halfOpenDeadline = host.serviceTime + host.config.halfOpenTimeout;
  peer.connectID = connectID;
  peer.address = from.address;
  peer.port = from.port;
  peer.outgoingPeerID = readU16(data, pos + Off.outgoingPeerID);
  peer.incomingBandwidth = readU32(data, pos + Off.incomingBandwidth);
  peer.outgoingBandwidth = readU32(data, pos + Off.outgoingBandwidth);
  peer.packetThrottleInterval = readU32(data, pos + Off.packetThrottleInterval);
  peer.packetThrottleAcceleration = readU32(data, pos + Off.packetThrottleAcceleration);
  peer.packetThrottleDeceleration = readU32(data, pos + Off.packetThrottleDeceleration);
  peer.eventData = readU32(data, pos + Off.connectData);
  // §5.1 step 5: session ids, skipping the previous value of the slot.
  const inSession = data[pos + Off.incomingSessionID]!;
  const outSession = data[pos + Off.outgoingSessionID]!;
  let a = ((inSession === 0xff ? peer.outgoingSessionID : inSession) + 1) & 3;
  if (a === peer.outgoingSessionID) a = (a + 1) & 3;
  peer.outgoingSessionID = a;
  let b = ((outSession === 0xff ? peer.incomingSessionID : outSession) + 1) & 3;
  if (b === peer.incomingSessionID) b = (b + 1) & 3;
  peer.incomingSessionID = b;
  // §5.1 step 6 (1.3.18 rule, wire-compatible with 1.3.17 clients): min(own, clamp(asked)).
  let mtu = readU32(data, pos + Off.mtu);
  if (mtu < PROTOCOL_MINIMUM_MTU) mtu = PROTOCOL_MINIMUM_MTU;
  else if (mtu > PROTOCOL_MAXIMUM_MTU) mtu = PROTOCOL_MAXIMUM_MTU;
  peer.mtu = Math.min(mtu, host.mtu);
  // §5.1 step 7: our send window from our upstream and their downstream bandwidth.
  peer.windowSize = sendWindow(host.outgoingBandwidth, peer.incomingBandwidth);
  // §5.1 step 8: the window we announce.
  let w = host.incomingBandwidth === 0 ? PROTOCOL_MAXIMUM_WINDOW_SIZE : windowForBandwidth(host.incomingBandwidth);
  const asked = readU32(data, pos + Off.windowSize);
  if (w > asked) w = asked;
  w = clampWindow(w);
  const body = new Uint8Array(COMMAND_SIZE_TABLE[Command.VerifyConnect]! - 4);
  const v = new DataView(body.buffer);
  v.setUint16(Off.outgoingPeerID - 4, peer.index);
  body[Off.incomingSessionID - 4] = a;
  body[Off.outgoingSessionID - 4] = b;
  v.setUint32(Off.mtu - 4, peer.mtu);
  v.setUint32(Off.windowSize - 4, w);
  v.setUint32(Off.channelCount - 4, channelCount);
  v.setUint32(Off.incomingBandwidth - 4, host.incomingBandwidth);
  v.setUint32(Off.outgoingBandwidth - 4, host.outgoingBandwidth);
  v.setUint32(Off.packetThrottleInterval - 4, peer.packetThrottleInterval);
  v.setUint32(Off.packetThrottleAcceleration - 4, peer.packetThrottleAcceleration);
  v.setUint32(Off.packetThrottleDeceleration - 4, peer.packetThrottleDeceleration);
  v.setUint32(Off.connectID - 4, connectID);
  host.queueControl(peer, Command.VerifyConnect | COMMAND_FLAG_ACKNOWLEDGE, body);
  return peer;
}

/**
 * Youngest handshake (ms since its CONNECT) that a new CONNECT may evict: VERIFY_CONNECT has
 * been sent and retransmitted twice by then at ENet's initial 500 ms RTO, so a real client on
 * any working path has answered; under a flood the spoofed ones are this old first.
 */
const HALF_OPEN_EVICTION_AGE = 1000;

/**
 * Every slot is taken: a handshake nobody finished (a SYN cache's answer to spoofed CONNECTs
 * from many addresses, which the per-address cap cannot see) gives way to the new CONNECT. The
 * oldest one goes: a real handshake completes in one round trip, so under a flood it is the
 * youngest. Returns the freed slot, or null when no handshake is old enough (or eviction is off).
 */
function evictOldestHalfOpen(host: HostContext): Peer | null {
  if (!host.config.evictHalfOpen) return null;
  let oldest: Peer | null = null;
  for (let i = 0; i < host.peers.length; i++) {
    const p = host.peers[i]!;
    if (p.state === PeerState.AcknowledgingConnect && (oldest === null || p.halfOpenDeadline < oldest.halfOpenDeadline)) oldest = p;
  }
  if (oldest === null) return null;
  // Only a handshake that has stayed unanswered through two VERIFY_CONNECT retransmissions: a
  // younger one may be a real client mid-handshake (or one that already took VERIFY_CONNECT as
  // "connected"), which must not lose its slot to the next CONNECT of another real client.
  const since = oldest.halfOpenDeadline - host.config.halfOpenTimeout;
  if (host.serviceTime - since < Math.min(HALF_OPEN_EVICTION_AGE, host.config.halfOpenTimeout)) return null;
  host.stats.halfOpenEvictions++;
  host.resetPeer(oldest);
  return oldest;
}

/** The connect filter's verdict; a throwing filter rejects (network input never throws). */
function acceptedByFilter(host: HostContext, from: CoreEndpoint): boolean {
  try {
    return host.connectFilter!(from) === true;
  } catch {
    return false;
  }
}

/** §5.1 client side: VERIFY_CONNECT completes the handshake. */
function handleVerifyConnect(host: HostContext, peer: Peer, data: Uint8Array, pos: number): boolean {
  if (peer.state !== PeerState.Connecting) return true;
  const channelCount = readU32(data, pos + Off.channelCount);
  if (channelCount < PROTOCOL_MINIMUM_CHANNEL_COUNT || channelCount > PROTOCOL_MAXIMUM_CHANNEL_COUNT
    || readU32(data, pos + Off.packetThrottleInterval) !== peer.packetThrottleInterval
    || readU32(data, pos + Off.packetThrottleAcceleration) !== peer.packetThrottleAcceleration
    || readU32(data, pos + Off.packetThrottleDeceleration) !== peer.packetThrottleDeceleration
    || readU32(data, pos + Off.connectID) !== peer.connectID) {
    peer.eventData = 0;
    host.dispatchDisconnect(peer);
    return false;
  }
  removeSentReliableCommand(host, peer, 1, CONTROL_CHANNEL);
  if (channelCount < peer.channelCount) {
    peer.channelCount = channelCount;
    peer.channels.length = channelCount;
  }
  peer.outgoingPeerID = readU16(data, pos + Off.outgoingPeerID);
  peer.incomingSessionID = data[pos + Off.incomingSessionID]!;
  peer.outgoingSessionID = data[pos + Off.outgoingSessionID]!;
  let mtu = readU32(data, pos + Off.mtu);
  if (mtu < PROTOCOL_MINIMUM_MTU) mtu = PROTOCOL_MINIMUM_MTU;
  else if (mtu > PROTOCOL_MAXIMUM_MTU) mtu = PROTOCOL_MAXIMUM_MTU;
  if (mtu < peer.mtu) peer.mtu = mtu;
  const w = clampWindow(readU32(data, pos + Off.windowSize));
  if (w < peer.windowSize) peer.windowSize = w;
  peer.incomingBandwidth = readU32(data, pos + Off.incomingBandwidth);
  peer.outgoingBandwidth = readU32(data, pos + Off.outgoingBandwidth);
  host.notifyConnect(peer, 0);
  return true;
}

/** §5.4 receiving DISCONNECT. */
function handleDisconnect(host: HostContext, peer: Peer, data: Uint8Array, pos: number, commandByte: number): void {
  const s = peer.state;
  if (s === PeerState.Disconnected || s === PeerState.Zombie || s === PeerState.AcknowledgingDisconnect) return;
  const disconnectData = readU32(data, pos + Off.disconnectData);
  host.resetPeerQueues(peer);
  if (s === PeerState.ConnectionSucceeded || s === PeerState.Disconnecting || s === PeerState.Connecting) {
    peer.eventData = disconnectData;
    host.dispatchDisconnect(peer);
  } else if (s !== PeerState.Connected && s !== PeerState.DisconnectLater) {
    if (s === PeerState.ConnectionPending) host.recalculateBandwidthLimits = true;
    host.resetPeer(peer);
  } else if ((commandByte & COMMAND_FLAG_ACKNOWLEDGE) !== 0) {
    peer.eventData = disconnectData;
    host.changeState(peer, PeerState.AcknowledgingDisconnect);
  } else {
    peer.eventData = disconnectData;
    host.dispatchDisconnect(peer);
  }
}

/** §9.3: the remote's bandwidths; recompute our send window. */
function handleBandwidthLimit(host: HostContext, peer: Peer, data: Uint8Array, pos: number): boolean {
  if (!peer.isConnectedForData()) return false;
  if (peer.incomingBandwidth !== 0) host.bandwidthLimitedPeers--;
  peer.incomingBandwidth = readU32(data, pos + Off.bandwidthIncoming);
  peer.outgoingBandwidth = readU32(data, pos + Off.bandwidthOutgoing);
  if (peer.incomingBandwidth !== 0) host.bandwidthLimitedPeers++;
  peer.windowSize = sendWindow(host.outgoingBandwidth, peer.incomingBandwidth);
  return true;
}
