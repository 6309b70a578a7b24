// Core: one peer slot of a host (libenet ENetPeer) — connection state, RTT, throttle, queues.
// State machine (enet-protocol.md §5):
//   Disconnected → Connecting (connect) → Connected (VERIFY_CONNECT) → Disconnecting (disconnect)
//   Disconnected → AcknowledgingConnect (CONNECT received) → Connected (ACK of VERIFY_CONNECT)
//   Connected → DisconnectLater (disconnectLater) → Disconnecting (queues drained)
//   Connected → AcknowledgingDisconnect (DISCONNECT with ACK flag) → Zombie (its ACK written)
//   any → Zombie (timeout / remote DISCONNECT / ACK of our DISCONNECT) → Disconnected (event polled)
import {
  HOST_DEFAULT_MTU, PEER_DEFAULT_PACKET_THROTTLE, PEER_DEFAULT_ROUND_TRIP_TIME, PEER_PACKET_THROTTLE_ACCELERATION,
  PEER_PACKET_THROTTLE_DECELERATION, PEER_PACKET_THROTTLE_INTERVAL, PEER_PING_INTERVAL, PEER_TIMEOUT_LIMIT,
  PEER_TIMEOUT_MAXIMUM, PEER_TIMEOUT_MINIMUM, PROTOCOL_MAXIMUM_PEER_ID, PROTOCOL_MAXIMUM_WINDOW_SIZE,
  PEER_UNSEQUENCED_WINDOW_SIZE,
} from './constants.js';
import { AckQueue } from './ack-queue.js';
import { Channel } from './channel.js';
import type { OutgoingCommand } from './commands.js';
import { Deque } from './deque.js';

/** §0 peer states (numeric values are Godot's `ENetPacketPeer.PeerState`). */
export const PeerState = Object.freeze({
  Disconnected: 0,
  Connecting: 1,
  AcknowledgingConnect: 2,
  ConnectionPending: 3,
  ConnectionSucceeded: 4,
  Connected: 5,
  DisconnectLater: 6,
  Disconnecting: 7,
  AcknowledgingDisconnect: 8,
  Zombie: 9,
});
/** One of the PeerState numbers. */
export type PeerStateValue = (typeof PeerState)[keyof typeof PeerState];

/** One peer slot. Fields are public for the host's receive/send code; users read getters. */
export class Peer {
  /** This slot's index = the peer id the remote writes in headers (incomingPeerID). */
  readonly index: number;
  state: number = PeerState.Disconnected;
  /** The remote's slot index, 0xFFF until known. */
  outgoingPeerID = PROTOCOL_MAXIMUM_PEER_ID;
  /** Session ids (§5.1 step 5); 0xFF = never used. Survive resets. */
  incomingSessionID = 0xff;
  outgoingSessionID = 0xff;
  /** Opaque connectID bytes read as a big-endian uint32 (written back the same way). */
  connectID = 0;
  address = '';
  port = 0;
  mtu = HOST_DEFAULT_MTU;
  windowSize = PROTOCOL_MAXIMUM_WINDOW_SIZE;
  channelCount = 0;
  channels: Channel[] = [];
  /** Remote's declared bandwidths (bytes/s, 0 = unlimited). */
  incomingBandwidth = 0;
  outgoingBandwidth = 0;
  incomingDataTotal = 0;
  outgoingDataTotal = 0;
  /** §9.3: host-clock times the bandwidth throttle last adjusted this peer (-1 = never). */
  incomingBandwidthThrottleEpoch = -1;
  outgoingBandwidthThrottleEpoch = -1;
  /** Host-clock ms when a received CONNECT's handshake is given up (AcknowledgingConnect only). */
  halfOpenDeadline = 0;
  /** Host-clock ms of the last ACK received (0 = never; libenet stores max(now, 1)). */
  lastReceiveTime = 0;
  /** Host-clock deadline of the oldest unacknowledged reliable command. */
  nextTimeout = 0;
  /** Host-clock send time of the oldest timed-out command since the last ACK (-1 = none). */
  earliestTimeout = -1;
  packetLossEpoch = 0;
  packetsSent = 0;
  packetsLost = 0;
  packetLoss = 0;
  packetLossVariance = 0;
  packetThrottle = PEER_DEFAULT_PACKET_THROTTLE;
  packetThrottleLimit = PEER_DEFAULT_PACKET_THROTTLE;
  packetThrottleCounter = 0;
  packetThrottleEpoch = 0;
  packetThrottleAcceleration = PEER_PACKET_THROTTLE_ACCELERATION;
  packetThrottleDeceleration = PEER_PACKET_THROTTLE_DECELERATION;
  packetThrottleInterval = PEER_PACKET_THROTTLE_INTERVAL;
  pingInterval = PEER_PING_INTERVAL;
  timeoutLimit = PEER_TIMEOUT_LIMIT;
  timeoutMinimum = PEER_TIMEOUT_MINIMUM;
  timeoutMaximum = PEER_TIMEOUT_MAXIMUM;
  lastRoundTripTime = PEER_DEFAULT_ROUND_TRIP_TIME;
  lowestRoundTripTime = PEER_DEFAULT_ROUND_TRIP_TIME;
  lastRoundTripTimeVariance = 0;
  highestRoundTripTimeVariance = 0;
  roundTripTime = PEER_DEFAULT_ROUND_TRIP_TIME;
  roundTripTimeVariance = 0;
  reliableDataInTransit = 0;
  outgoingReliableSequenceNumber = 0;
  /** Pending ACKs (ack-queue.ts: no object and no float packing per ACK). */
  readonly acknowledgements = new AckQueue(64);
  readonly sentReliableCommands = new Deque<OutgoingCommand>(64);
  readonly outgoingCommands = new Deque<OutgoingCommand>(64);
  /**
   * Queued commands that the reliable windows never hold back (control commands and
   * unreliable sends); lets the packer stop scanning once the window is full and none remain.
   */
  outgoingUnheld = 0;
  /** Set when the event queue holds a CONNECT/DISCONNECT for this peer not yet polled. */
  needsDispatch = false;
  incomingUnsequencedGroup = 0;
  outgoingUnsequencedGroup = 0;
  readonly unsequencedWindow = new Uint32Array(PEER_UNSEQUENCED_WINDOW_SIZE / 32);
  /** CONNECT data (server side) or DISCONNECT data, reported with the next event. */
  eventData = 0;
  /** Undelivered received bytes held for this peer (§8.2 flow control). */
  totalWaitingData = 0;
  /** DISCONNECT_LATER's data, sent when the queues drain. */
  disconnectLaterData = 0;
  /** Datagram needs: true when the peer has ACKs or commands it could not fit last time. */
  continueSending = false;
  /** Bumped whenever undelivered received data is dropped: older receive events are stale. */
  generation = 0;
  /** Bumped on every reset: older connect/disconnect events are stale. */
  incarnation = 0;
  /** Anything the host's user wants to hang on the peer (the adapter keeps its wrapper here). */
  user: unknown = null;

  constructor(index: number, mtu: number) {
    this.index = index;
    this.mtu = mtu;
  }

  /** True in CONNECTED or DISCONNECT_LATER, where data commands are accepted (§3.3). */
  isConnectedForData(): boolean {
    return this.state === PeerState.Connected || this.state === PeerState.DisconnectLater;
  }

  /**
   * §5.3: returns the slot to a fresh state (session ids and `user` survive). Queued commands
   * are handed to `free` so the host can recycle them.
   */
  reset(hostMtu: number, free: (c: OutgoingCommand) => void): void {
    this.outgoingPeerID = PROTOCOL_MAXIMUM_PEER_ID;
    this.connectID = 0;
    this.state = PeerState.Disconnected;
    this.incomingBandwidth = 0;
    this.outgoingBandwidth = 0;
    this.incomingDataTotal = 0;
    this.outgoingDataTotal = 0;
    this.incomingBandwidthThrottleEpoch = -1;
    this.outgoingBandwidthThrottleEpoch = -1;
    this.halfOpenDeadline = 0;
    this.lastReceiveTime = 0;
    this.nextTimeout = 0;
    this.earliestTimeout = -1;
    this.packetLossEpoch = 0;
    this.packetsSent = 0;
    this.packetsLost = 0;
    this.packetLoss = 0;
    this.packetLossVariance = 0;
    this.packetThrottle = PEER_DEFAULT_PACKET_THROTTLE;
    this.packetThrottleLimit = PEER_DEFAULT_PACKET_THROTTLE;
    this.packetThrottleCounter = 0;
    this.packetThrottleEpoch = 0;
    this.packetThrottleAcceleration = PEER_PACKET_THROTTLE_ACCELERATION;
    this.packetThrottleDeceleration = PEER_PACKET_THROTTLE_DECELERATION;
    this.packetThrottleInterval = PEER_PACKET_THROTTLE_INTERVAL;
    this.pingInterval = PEER_PING_INTERVAL;
    this.timeoutLimit = PEER_TIMEOUT_LIMIT;
    this.timeoutMinimum = PEER_TIMEOUT_MINIMUM;
    this.timeoutMaximum = PEER_TIMEOUT_MAXIMUM;
    this.lastRoundTripTime = PEER_DEFAULT_ROUND_TRIP_TIME;
    this.lowestRoundTripTime = PEER_DEFAULT_ROUND_TRIP_TIME;
    this.lastRoundTripTimeVariance = 0;
    this.highestRoundTripTimeVariance = 0;
    this.roundTripTime = PEER_DEFAULT_ROUND_TRIP_TIME;
    this.roundTripTimeVariance = 0;
    this.mtu = hostMtu;
    this.windowSize = PROTOCOL_MAXIMUM_WINDOW_SIZE;
    this.reliableDataInTransit = 0;
    this.outgoingReliableSequenceNumber = 0;
    this.incomingUnsequencedGroup = 0;
    this.outgoingUnsequencedGroup = 0;
    this.eventData = 0;
    this.disconnectLaterData = 0;
    this.unsequencedWindow.fill(0);
    this.needsDispatch = false;
    this.continueSending = false;
    this.resetQueues(free);
    this.channels = [];
    this.channelCount = 0;
  }

  /** Drops every queued command and undelivered received data (§5.4 "drop all queues"). */
  resetQueues(free: (c: OutgoingCommand) => void): void {
    this.acknowledgements.clear();
    for (let c = this.sentReliableCommands.popFront(); c !== undefined; c = this.sentReliableCommands.popFront()) free(c);
    for (let c = this.outgoingCommands.popFront(); c !== undefined; c = this.outgoingCommands.popFront()) free(c);
    this.outgoingUnheld = 0;
    for (let i = 0; i < this.channels.length; i++) {
      const ch = this.channels[i]!;
      ch.incomingReliableCommands = [];
      ch.incomingUnreliableCommands = [];
    }
    this.reliableDataInTransit = 0;
    this.totalWaitingData = 0;
  }

  /** Allocates `count` fresh channels (§5.1 step 3). */
  setupChannels(count: number): void {
    this.channelCount = count;
    this.channels = [];
    for (let i = 0; i < count; i++) this.channels.push(new Channel());
  }
}
