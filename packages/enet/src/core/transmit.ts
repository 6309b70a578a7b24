// Core: datagram assembly for one peer (enet-protocol.md §2.5, §6, §7.3, §8.1, §9.1, §9.2,
// §10 send pass) and retransmission timeouts (§7.2). Writes straight into the caller's buffer.
import {
  HEADER_FLAG_COMPRESSED, HEADER_FLAG_SENT_TIME, MAX_DATAGRAM_SIZE, HEADER_SESSION_SHIFT, PEER_PACKET_THROTTLE_COUNTER, PEER_PACKET_THROTTLE_SCALE,
  PEER_RELIABLE_WINDOW_SIZE, PEER_RELIABLE_WINDOWS, PEER_FREE_RELIABLE_WINDOWS, PROTOCOL_MAXIMUM_PEER_ID,
} from './constants.js';
import type { Channel } from './channel.js';
import { isHoldable, type OutgoingCommand } from './commands.js';
import type { HostContext } from './host-context.js';
import { Peer, PeerState } from './peer.js';
import { COMMAND_FLAG_ACKNOWLEDGE, COMMAND_MASK, COMMAND_SIZE_TABLE, Command, PROTOCOL_HEADER_SIZE } from './protocol.js';
import { updatePacketLoss } from './throttle.js';
import type { TxState } from './tx-state.js';

function txFor(host: HostContext, out: Uint8Array): TxState {
  const tx = host.tx;
  if (tx.out !== out) {
    tx.out = out;
    tx.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  return tx;
}

/** §8.1 (1.3.17): windows w..w+9 that must be free before starting window w. */
function windowMask(w: number): number {
  const span = (1 << (PEER_FREE_RELIABLE_WINDOWS + 2)) - 1;
  return ((span << w) | (span >>> (PEER_RELIABLE_WINDOWS - w))) & 0xffff;
}

/**
 * Builds the next datagram for `peer` into `out` and returns its length, or 0 when the peer
 * has nothing to send. Order (libenet 1.3.16+): ACKs, then the outgoing queue in order
 * (retransmissions first), then a PING when idle.
 */
export function buildDatagram(host: HostContext, peer: Peer, now: number, out: Uint8Array): number {
  peer.continueSending = false;
  if (host.outgoingBandwidth !== 0) host.pacer.refill(host.outgoingBandwidth, now);
  // Nothing to write (the common case of a service() call between packets): skip the set-up.
  if (peer.acknowledgements.length === 0 && peer.outgoingCommands.length === 0 && !pingDue(peer, now)) return 0;
  const checksum = host.checksum;
  const tx = txFor(host, out);
  const cmdStart = PROTOCOL_HEADER_SIZE + (checksum !== null ? 4 : 0);
  tx.pos = cmdStart;
  tx.packetSize = PROTOCOL_HEADER_SIZE;
  tx.commandCount = 0;
  tx.hasTime = false;
  const room = Math.min(out.length, MAX_DATAGRAM_SIZE) - (checksum !== null ? 4 : 0);
  tx.mtu = peer.mtu < room ? peer.mtu : room;
  writeAcknowledgements(host, peer, tx);
  let canPing = packOutgoing(host, peer, tx, now);
  if (canPing && pingDue(peer, now) && tx.mtu - tx.packetSize >= COMMAND_SIZE_TABLE[Command.Ping]!
    && tx.commandCount < host.config.maxCommandsPerDatagram) {
    host.ping(peer);
    canPing = packOutgoing(host, peer, tx, now);
  }
  if (tx.commandCount === 0) return 0;
  updatePacketLoss(peer, now);
  const headerLen = tx.hasTime ? 4 : 2;
  const bodyStart = headerLen + (checksum !== null ? 4 : 0);
  let end = tx.pos;
  if (bodyStart !== cmdStart) {
    out.copyWithin(bodyStart, cmdStart, end);
    end -= cmdStart - bodyStart;
  }
  let word = peer.outgoingPeerID;
  if (peer.outgoingPeerID < PROTOCOL_MAXIMUM_PEER_ID) word |= peer.outgoingSessionID << HEADER_SESSION_SHIFT;
  if (tx.hasTime) word |= HEADER_FLAG_SENT_TIME;
  let compressedLength = 0;
  const compressor = host.compressor;
  if (compressor !== null) {
    const bodyLength = end - bodyStart;
    let n = 0;
    try {
      n = compressor.compress(out.subarray(bodyStart, end), host.compressScratch, bodyLength);
    } catch {
      n = 0; // §2.3: a failing compressor means "send uncompressed"
    }
    if (n > 0 && n < bodyLength) {
      compressedLength = n;
      word |= HEADER_FLAG_COMPRESSED;
    }
  }
  const view = tx.view;
  view.setUint16(0, word);
  if (tx.hasTime) view.setUint16(2, now & 0xffff);
  if (checksum !== null) {
    // §2.2: CRC over header ‖ seed ‖ uncompressed commands, then the slot holds the CRC.
    view.setUint32(headerLen, peer.outgoingPeerID < PROTOCOL_MAXIMUM_PEER_ID ? peer.connectID : 0);
    host.checksumBuffers[0] = out.subarray(0, end);
    view.setUint32(headerLen, checksum(host.checksumBuffers) >>> 0);
  }
  if (compressedLength > 0) {
    out.set(host.compressScratch.subarray(0, compressedLength), bodyStart);
    end = bodyStart + compressedLength;
  }
  if (host.outgoingBandwidth !== 0) host.pacer.charge(end);
  if (peer.state === PeerState.DisconnectLater && peer.outgoingCommands.length === 0 && peer.sentReliableCommands.length === 0) {
    host.disconnect(peer, peer.disconnectLaterData);
  }
  return end;
}

/** §7.3: an idle connected peer (nothing unacknowledged) pings once pingInterval has passed. */
export function pingDue(peer: Peer, now: number): boolean {
  return peer.state === PeerState.Connected && peer.sentReliableCommands.length === 0 && now - peer.lastReceiveTime >= peer.pingInterval;
}

/** §6: pending ACKs go first; writing the ACK of a DISCONNECT turns the peer into a zombie. */
function writeAcknowledgements(host: HostContext, peer: Peer, tx: TxState): void {
  const acks = peer.acknowledgements;
  const out = tx.out;
  const view = tx.view;
  const size = COMMAND_SIZE_TABLE[Command.Acknowledge]!;
  while (acks.length > 0) {
    if (tx.commandCount >= host.config.maxCommandsPerDatagram || tx.mtu - tx.packetSize < size) {
      peer.continueSending = true;
      return;
    }
    const sentTime = acks.frontSentTime();
    const seq = acks.frontSeq();
    const channelID = acks.frontChannel();
    const number = acks.frontCommand();
    acks.shift();
    const pos = tx.pos;
    out[pos] = Command.Acknowledge;
    out[pos + 1] = channelID;
    view.setUint16(pos + 2, seq);
    view.setUint16(pos + 4, seq);
    view.setUint16(pos + 6, sentTime);
    tx.pos += size;
    tx.packetSize += size;
    tx.commandCount++;
    if (number === Command.Disconnect) host.dispatchDisconnect(peer);
  }
}

/**
 * Packs queued commands in order. Reliable ones obey the window-wrap guard (§8.1) and the
 * in-flight window (§9.2) and move to the sent list; unreliable ones pass the throttle (§9.1)
 * and are freed once written. Returns libenet's `canPing`: no reliable command was eligible.
 */
function packOutgoing(host: HostContext, peer: Peer, tx: TxState, now: number): boolean {
  const q = peer.outgoingCommands;
  let canPing = true;
  let windowExceeded = false;
  let windowWrap = false;
  let paced = false;
  let idx = 0;
  while (idx < q.length) {
    const cmd = q.at(idx)!;
    const canPingBefore: boolean = canPing;
    const isReliable = (cmd.command & COMMAND_FLAG_ACKNOWLEDGE) !== 0;
    let channel: Channel | null = null;
    let reliableWindow = 0;
    if (isReliable) {
      channel = cmd.channelID < peer.channelCount ? peer.channels[cmd.channelID]! : null;
      reliableWindow = (cmd.reliableSequenceNumber / PEER_RELIABLE_WINDOW_SIZE) | 0;
      if (channel !== null) {
        if (!windowWrap && cmd.sendAttempts < 1 && cmd.reliableSequenceNumber % PEER_RELIABLE_WINDOW_SIZE === 0
          && (channel.reliableWindows[(reliableWindow + PEER_RELIABLE_WINDOWS - 1) % PEER_RELIABLE_WINDOWS]! >= PEER_RELIABLE_WINDOW_SIZE
            || (channel.usedReliableWindows & windowMask(reliableWindow)) !== 0)) {
          windowWrap = true;
        }
        if (windowWrap) {
          if (peer.outgoingUnheld === 0) break; // everything left would be held back too
          idx++;
          continue;
        }
      }
      if (cmd.data !== null) {
        if (!windowExceeded) {
          const windowSize = Math.floor(peer.packetThrottle * peer.windowSize / PEER_PACKET_THROTTLE_SCALE);
          if (peer.reliableDataInTransit + cmd.fragmentLength > Math.max(windowSize, peer.mtu)) windowExceeded = true;
        }
        if (windowExceeded) {
          if (peer.outgoingUnheld === 0) break;
          idx++;
          continue;
        }
      }
      canPing = false;
    }
    const size = COMMAND_SIZE_TABLE[cmd.command & COMMAND_MASK]!;
    const payload = cmd.data !== null ? cmd.fragmentLength : 0;
    // Host send pacing (pacing.ts): once one payload command must wait, all later ones wait too
    // (order is kept); control commands behind them still go.
    if (payload > 0 && host.outgoingBandwidth !== 0 && (paced || !host.pacer.allows(host.outgoingBandwidth, tx.packetSize, size + payload, now))) {
      paced = true;
      canPing = canPingBefore; // held back, as a window-limited command: it does not stop a PING
      idx++;
      continue;
    }
    if (tx.commandCount >= host.config.maxCommandsPerDatagram || tx.mtu - tx.packetSize < size + payload) {
      peer.continueSending = true;
      break;
    }
    if (isReliable) {
      if (channel !== null && cmd.sendAttempts < 1) {
        channel.usedReliableWindows |= 1 << reliableWindow;
        channel.reliableWindows[reliableWindow]!++;
      }
      cmd.sendAttempts++;
      if (cmd.roundTripTimeout === 0) {
        cmd.roundTripTimeout = peer.roundTripTime + 4 * peer.roundTripTimeVariance;
        cmd.roundTripTimeoutLimit = peer.timeoutLimit * cmd.roundTripTimeout;
      }
      if (peer.sentReliableCommands.length === 0) peer.nextTimeout = now + cmd.roundTripTimeout;
      q.removeAt(idx);
      if (!isHoldable(cmd)) peer.outgoingUnheld--;
      peer.sentReliableCommands.pushBack(cmd);
      cmd.sentTime = now;
      tx.hasTime = true;
      peer.reliableDataInTransit += payload;
      encodeCommand(tx, cmd);
    } else {
      if (cmd.data !== null && cmd.fragmentOffset === 0) {
        peer.packetThrottleCounter = (peer.packetThrottleCounter + PEER_PACKET_THROTTLE_COUNTER) % PEER_PACKET_THROTTLE_SCALE;
        if (peer.packetThrottleCounter > peer.packetThrottle) {
          // §9.1: throttled — drop this packet and its remaining unreliable fragments.
          host.stats.throttledPackets++;
          const R = cmd.reliableSequenceNumber;
          const U = cmd.unreliableSequenceNumber;
          q.removeAt(idx);
          peer.outgoingUnheld--;
          host.freeCommand(cmd);
          while (idx < q.length) {
            const c = q.at(idx)!;
            if (c.reliableSequenceNumber !== R || c.unreliableSequenceNumber !== U || (c.command & COMMAND_FLAG_ACKNOWLEDGE) !== 0) break;
            q.removeAt(idx);
            peer.outgoingUnheld--;
            host.freeCommand(c);
          }
          continue;
        }
      }
      q.removeAt(idx);
      peer.outgoingUnheld--;
      encodeCommand(tx, cmd);
      host.freeCommand(cmd);
    }
    tx.packetSize += size + payload;
    tx.commandCount++;
    peer.packetsSent++;
  }
  return canPing;
}

/** Writes one command (header, fixed fields, payload) at `tx.pos` (layouts in protocol.ts). */
function encodeCommand(tx: TxState, cmd: OutgoingCommand): void {
  const out = tx.out;
  const view = tx.view;
  const pos = tx.pos;
  const n = cmd.command & COMMAND_MASK;
  out[pos] = cmd.command;
  out[pos + 1] = cmd.channelID;
  view.setUint16(pos + 2, cmd.reliableSequenceNumber);
  let p = pos + 4;
  switch (n) {
    case Command.SendReliable:
      view.setUint16(p, cmd.fragmentLength);
      p += 2;
      break;
    case Command.SendUnreliable:
    case Command.SendUnsequenced:
      view.setUint16(p, cmd.unreliableSequenceNumber);
      view.setUint16(p + 2, cmd.fragmentLength);
      p += 4;
      break;
    case Command.SendFragment:
    case Command.SendUnreliableFragment:
      view.setUint16(p, cmd.unreliableSequenceNumber);
      view.setUint16(p + 2, cmd.fragmentLength);
      view.setUint32(p + 4, cmd.fragmentCount);
      view.setUint32(p + 8, cmd.fragmentNumber);
      view.setUint32(p + 12, cmd.data!.length);
      view.setUint32(p + 16, cmd.fragmentOffset);
      p += 20;
      break;
    default:
      if (cmd.body !== null) {
        out.set(cmd.body, p);
        p += cmd.body.length;
      }
      break;
  }
  if (cmd.data !== null) {
    const data = cmd.data;
    const len = cmd.fragmentLength;
    const off = cmd.fragmentOffset;
    if (len <= 32) {
      for (let i = 0; i < len; i++) out[p + i] = data[off + i]!;
    } else {
      out.set(off === 0 && len === data.length ? data : data.subarray(off, off + len), p);
    }
    p += len;
  }
  tx.pos = p;
}

/**
 * §7.2: retransmission timeouts. Expired commands double their RTO and go back to the front
 * of the outgoing queue in order; a peer silent for too long is disconnected.
 */
export function checkTimeouts(host: HostContext, peer: Peer, now: number): void {
  const sent = peer.sentReliableCommands;
  let insertAt = 0;
  let i = 0;
  let nextTimeout = Infinity;
  while (i < sent.length) {
    const cmd = sent.at(i)!;
    if (now - cmd.sentTime < cmd.roundTripTimeout) {
      const t = cmd.sentTime + cmd.roundTripTimeout;
      if (t < nextTimeout) nextTimeout = t;
      i++;
      continue;
    }
    if (peer.earliestTimeout < 0 || cmd.sentTime < peer.earliestTimeout) peer.earliestTimeout = cmd.sentTime;
    const silentFor = now - peer.earliestTimeout;
    if (silentFor >= peer.timeoutMaximum || (cmd.roundTripTimeout >= cmd.roundTripTimeoutLimit && silentFor >= peer.timeoutMinimum)) {
      host.notifyDisconnect(peer);
      return;
    }
    if (cmd.data !== null) peer.reliableDataInTransit -= cmd.fragmentLength;
    peer.packetsLost++;
    cmd.roundTripTimeout *= 2;
    sent.removeAt(i);
    if (!isHoldable(cmd)) peer.outgoingUnheld++;
    peer.outgoingCommands.insertAt(insertAt++, cmd);
  }
  peer.nextTimeout = nextTimeout === Infinity ? now : nextTimeout;
}
