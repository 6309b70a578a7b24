// Core: RTT estimation (enet-protocol.md §7.1), the packet throttle (§9.1), packet-loss
// statistics (§9.4) and the host bandwidth throttle (§9.3). Integer arithmetic as libenet's.
import { HOST_BANDWIDTH_THROTTLE_INTERVAL, PEER_PACKET_LOSS_INTERVAL, PEER_PACKET_LOSS_SCALE, PEER_PACKET_THROTTLE_SCALE } from './constants.js';
import type { HostContext } from './host-context.js';
import { Peer, PeerState } from './peer.js';
import { COMMAND_FLAG_ACKNOWLEDGE, Command } from './protocol.js';

/** §9.1 enet_peer_throttle: adapts the unreliable-drop throttle to an RTT sample. */
export function throttleOnSample(peer: Peer, rtt: number): void {
  if (peer.lastRoundTripTime <= peer.lastRoundTripTimeVariance) {
    peer.packetThrottle = peer.packetThrottleLimit;
  } else if (rtt <= peer.lastRoundTripTime) {
    peer.packetThrottle += peer.packetThrottleAcceleration;
    if (peer.packetThrottle > peer.packetThrottleLimit) peer.packetThrottle = peer.packetThrottleLimit;
  } else if (rtt > peer.lastRoundTripTime + 2 * peer.lastRoundTripTimeVariance) {
    peer.packetThrottle = peer.packetThrottle > peer.packetThrottleDeceleration ? peer.packetThrottle - peer.packetThrottleDeceleration : 0;
  }
}

/** §7.1: folds one RTT sample (ms, ≥ 1) into the estimator; `now` is the host clock. */
export function updateRoundTripTime(peer: Peer, rtt: number, now: number): void {
  if (peer.lastReceiveTime > 0) {
    throttleOnSample(peer, rtt);
    peer.roundTripTimeVariance -= Math.floor(peer.roundTripTimeVariance / 4);
    if (rtt >= peer.roundTripTime) {
      const d = rtt - peer.roundTripTime;
      peer.roundTripTimeVariance += Math.floor(d / 4);
      peer.roundTripTime += Math.floor(d / 8);
    } else {
      const d = peer.roundTripTime - rtt;
      peer.roundTripTimeVariance += Math.floor(d / 4);
      peer.roundTripTime -= Math.floor(d / 8);
    }
  } else {
    peer.roundTripTime = rtt;
    peer.roundTripTimeVariance = Math.floor((rtt + 1) / 2);
  }
  if (peer.roundTripTime < peer.lowestRoundTripTime) peer.lowestRoundTripTime = peer.roundTripTime;
  if (peer.roundTripTimeVariance > peer.highestRoundTripTimeVariance) peer.highestRoundTripTimeVariance = peer.roundTripTimeVariance;
  if (peer.packetThrottleEpoch === 0 || now - peer.packetThrottleEpoch >= peer.packetThrottleInterval) {
    peer.lastRoundTripTime = peer.lowestRoundTripTime;
    peer.lastRoundTripTimeVariance = Math.max(peer.highestRoundTripTimeVariance, 1);
    peer.lowestRoundTripTime = peer.roundTripTime;
    peer.highestRoundTripTimeVariance = peer.roundTripTimeVariance;
    peer.packetThrottleEpoch = now;
  }
}

/** §9.4: updates the smoothed loss (scale 65536) every 10 s of sending. */
export function updatePacketLoss(peer: Peer, now: number): void {
  if (peer.packetLossEpoch === 0) {
    peer.packetLossEpoch = now;
  } else if (now - peer.packetLossEpoch >= PEER_PACKET_LOSS_INTERVAL && peer.packetsSent > 0) {
    const loss = Math.floor(peer.packetsLost * PEER_PACKET_LOSS_SCALE / peer.packetsSent) >>> 0;
    peer.packetLossVariance = Math.floor((peer.packetLossVariance * 3 + Math.abs(loss - peer.packetLoss)) / 4);
    peer.packetLoss = Math.floor((peer.packetLoss * 7 + loss) / 8);
    peer.packetLossEpoch = now;
    peer.packetsSent = 0;
    peer.packetsLost = 0;
  }
}

function isLive(p: Peer): boolean {
  return p.state === PeerState.Connected || p.state === PeerState.DisconnectLater;
}

/**
 * §9.3 enet_host_bandwidth_throttle: per-peer unreliable throttle limits from the host's
 * upstream budget, and BANDWIDTH_LIMIT to every connected peer when limits must be re-sent.
 */
export function bandwidthThrottle(host: HostContext, now: number): void {
  const elapsed = now - host.bandwidthThrottleEpoch;
  if (elapsed < HOST_BANDWIDTH_THROTTLE_INTERVAL) return;
  host.bandwidthThrottleEpoch = now;
  let peersRemaining = host.connectedPeers;
  if (peersRemaining <= 0) return;
  const peers = host.peers;
  let dataTotal = 0xffffffff;
  let bandwidth = 0xffffffff;
  if (host.outgoingBandwidth !== 0) {
    dataTotal = 0;
    bandwidth = Math.floor(host.outgoingBandwidth * elapsed / 1000);
    for (let i = 0; i < peers.length; i++) if (isLive(peers[i]!)) dataTotal += peers[i]!.outgoingDataTotal;
  }
  let needsAdjustment = host.bandwidthLimitedPeers > 0;
  while (peersRemaining > 0 && needsAdjustment) {
    needsAdjustment = false;
    const throttle = dataTotal <= bandwidth ? PEER_PACKET_THROTTLE_SCALE : Math.floor(bandwidth * PEER_PACKET_THROTTLE_SCALE / dataTotal);
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (!isLive(peer) || peer.incomingBandwidth === 0 || peer.outgoingBandwidthThrottleEpoch === now) continue;
      const peerBandwidth = Math.floor(peer.incomingBandwidth * elapsed / 1000);
      if (Math.floor(throttle * peer.outgoingDataTotal / PEER_PACKET_THROTTLE_SCALE) <= peerBandwidth) continue;
      peer.packetThrottleLimit = Math.floor(peerBandwidth * PEER_PACKET_THROTTLE_SCALE / peer.outgoingDataTotal);
      if (peer.packetThrottleLimit === 0) peer.packetThrottleLimit = 1;
      if (peer.packetThrottle > peer.packetThrottleLimit) peer.packetThrottle = peer.packetThrottleLimit;
      peer.outgoingBandwidthThrottleEpoch = now;
      peer.incomingDataTotal = 0;
      peer.outgoingDataTotal = 0;
      needsAdjustment = true;
      peersRemaining--;
      bandwidth -= peerBandwidth;
      dataTotal -= peerBandwidth;
    }
  }
  if (peersRemaining > 0) {
    const throttle = dataTotal <= bandwidth ? PEER_PACKET_THROTTLE_SCALE : Math.floor(bandwidth * PEER_PACKET_THROTTLE_SCALE / dataTotal);
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (!isLive(peer) || peer.outgoingBandwidthThrottleEpoch === now) continue;
      peer.packetThrottleLimit = throttle;
      if (peer.packetThrottle > peer.packetThrottleLimit) peer.packetThrottle = peer.packetThrottleLimit;
      peer.incomingDataTotal = 0;
      peer.outgoingDataTotal = 0;
    }
  }
  if (!host.recalculateBandwidthLimits) return;
  host.recalculateBandwidthLimits = false;
  peersRemaining = host.connectedPeers;
  bandwidth = host.incomingBandwidth;
  let bandwidthLimit = 0;
  needsAdjustment = true;
  if (bandwidth !== 0) {
    while (peersRemaining > 0 && needsAdjustment) {
      needsAdjustment = false;
      bandwidthLimit = Math.floor(bandwidth / peersRemaining);
      for (let i = 0; i < peers.length; i++) {
        const peer = peers[i]!;
        if (!isLive(peer) || peer.incomingBandwidthThrottleEpoch === now) continue;
        if (peer.outgoingBandwidth > 0 && peer.outgoingBandwidth >= bandwidthLimit) continue;
        peer.incomingBandwidthThrottleEpoch = now;
        needsAdjustment = true;
        peersRemaining--;
        bandwidth -= peer.outgoingBandwidth;
      }
    }
  }
  for (let i = 0; i < peers.length; i++) {
    const peer = peers[i]!;
    if (!isLive(peer)) continue;
    const body = new Uint8Array(8);
    const v = new DataView(body.buffer);
    v.setUint32(0, peer.incomingBandwidthThrottleEpoch === now ? peer.outgoingBandwidth : bandwidthLimit);
    v.setUint32(4, host.outgoingBandwidth);
    host.queueControl(peer, Command.BandwidthLimit | COMMAND_FLAG_ACKNOWLEDGE, body);
  }
}

