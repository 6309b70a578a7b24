// Core: the state of one ENet host (libenet ENetHost's fields) and the bookkeeping every pass
// shares — command pool, sequence numbering, peer state changes, queued events, urgent
// datagrams. HostCore (host.ts) owns one privately; the receive/transmit passes see it as a
// HostContext (host-context.ts).
import { CONTROL_CHANNEL, MAX_DATAGRAM_SIZE } from './constants.js';
import { isHoldable, OutgoingCommand } from './commands.js';
import type { ChecksumFunction, Compressor, HostCoreConfig } from './config.js';
import { Deque } from './deque.js';
import { CoreEvent } from './events.js';
import type { CoreEndpoint, HostContext } from './host-context.js';
import { SendPacer } from './pacing.js';
import { PayloadSlab } from './payload-slab.js';
import { Peer, PeerState } from './peer.js';
import { COMMAND_FLAG_ACKNOWLEDGE, COMMAND_FLAG_UNSEQUENCED, COMMAND_SIZE_TABLE, Command } from './protocol.js';
import { HostStatistics } from './statistics.js';
import { buildDatagram } from './transmit.js';
import { TxState } from './tx-state.js';

/** Freed outgoing commands kept for reuse; beyond this they are left to the GC. */
const COMMAND_POOL_LIMIT = 4096;

/** A datagram built outside pollTransmit (disconnectNow's flush), sent ahead of everything. */
export interface UrgentDatagram {
  address: string;
  port: number;
  bytes: Uint8Array;
}

export class HostState implements HostContext {
  readonly config: HostCoreConfig;
  readonly peers: Peer[] = [];
  readonly stats = new HostStatistics();
  mtu: number;
  channelLimit: number;
  incomingBandwidth: number;
  outgoingBandwidth: number;
  refusing = false;
  connectFilter: ((from: CoreEndpoint) => boolean) | null = null;
  checksum: ChecksumFunction | null;
  compressor: Compressor | null;
  serviceTime = 0;
  bandwidthThrottleEpoch = 0;
  recalculateBandwidthLimits = false;
  connectedPeers = 0;
  bandwidthLimitedPeers = 0;
  waitingData = 0;
  readonly scratch = new Uint8Array(MAX_DATAGRAM_SIZE);
  readonly compressScratch = new Uint8Array(MAX_DATAGRAM_SIZE);
  readonly checksumBuffers: Uint8Array[] = [new Uint8Array(0)];
  readonly tx = new TxState();
  readonly pacer = new SendPacer();
  /** Events waiting for pollEvent. */
  readonly events = new Deque<CoreEvent>(64);
  /** Datagrams built outside pollTransmit, sent first. */
  readonly urgent = new Deque<UrgentDatagram>(8);
  /** Scratch for datagrams built outside pollTransmit (disconnectNow's flush). */
  readonly urgentScratch = new Uint8Array(MAX_DATAGRAM_SIZE);
  /** Buffer for connectID randomness. */
  readonly randomBytes = new Uint8Array(4);
  /** Where `send` copies small packets (payload-slab.ts). */
  readonly payloadSlab = new PayloadSlab();
  readonly #pool: OutgoingCommand[] = [];

  constructor(config: HostCoreConfig) {
    this.config = config;
    this.mtu = config.mtu;
    this.channelLimit = config.channelLimit;
    this.incomingBandwidth = config.incomingBandwidth;
    this.outgoingBandwidth = config.outgoingBandwidth;
    this.checksum = config.checksum;
    this.compressor = config.compressor;
    for (let i = 0; i < config.peerCount; i++) this.peers.push(new Peer(i, this.mtu));
  }

  allocCommand(): OutgoingCommand {
    return this.#pool.pop() ?? new OutgoingCommand();
  }

  freeCommand(cmd: OutgoingCommand): void {
    if (cmd.slab !== null) this.payloadSlab.release(cmd.slab);
    cmd.reset();
    if (this.#pool.length < COMMAND_POOL_LIMIT) this.#pool.push(cmd);
  }

  queueControl(peer: Peer, commandByte: number, body: Uint8Array | null): void {
    const cmd = this.allocCommand();
    cmd.command = commandByte;
    cmd.channelID = CONTROL_CHANNEL;
    cmd.body = body;
    this.setupOutgoing(peer, cmd);
  }

  /** §4 sequence numbering, then append to the outgoing queue. */
  setupOutgoing(peer: Peer, cmd: OutgoingCommand): void {
    peer.outgoingDataTotal += COMMAND_SIZE_TABLE[cmd.command & 0x0f]! + cmd.fragmentLength;
    if (cmd.channelID === CONTROL_CHANNEL) {
      peer.outgoingReliableSequenceNumber = (peer.outgoingReliableSequenceNumber + 1) & 0xffff;
      cmd.reliableSequenceNumber = peer.outgoingReliableSequenceNumber;
      cmd.unreliableSequenceNumber = 0;
    } else {
      const channel = peer.channels[cmd.channelID]!;
      if ((cmd.command & COMMAND_FLAG_ACKNOWLEDGE) !== 0) {
        channel.outgoingReliableSequenceNumber = (channel.outgoingReliableSequenceNumber + 1) & 0xffff;
        channel.outgoingUnreliableSequenceNumber = 0;
        cmd.reliableSequenceNumber = channel.outgoingReliableSequenceNumber;
        cmd.unreliableSequenceNumber = 0;
      } else if ((cmd.command & COMMAND_FLAG_UNSEQUENCED) !== 0) {
        peer.outgoingUnsequencedGroup = (peer.outgoingUnsequencedGroup + 1) & 0xffff;
        cmd.reliableSequenceNumber = 0;
        cmd.unreliableSequenceNumber = peer.outgoingUnsequencedGroup;
      } else {
        if (cmd.fragmentOffset === 0) channel.outgoingUnreliableSequenceNumber = (channel.outgoingUnreliableSequenceNumber + 1) & 0xffff;
        cmd.reliableSequenceNumber = channel.outgoingReliableSequenceNumber;
        cmd.unreliableSequenceNumber = channel.outgoingUnreliableSequenceNumber;
      }
    }
    cmd.sendAttempts = 0;
    cmd.sentTime = 0;
    cmd.roundTripTimeout = 0;
    cmd.roundTripTimeoutLimit = 0;
    if (!isHoldable(cmd)) peer.outgoingUnheld++;
    peer.outgoingCommands.pushBack(cmd);
  }

  ping(peer: Peer): void {
    if (peer.state !== PeerState.Connected) return;
    this.queueControl(peer, Command.Ping | COMMAND_FLAG_ACKNOWLEDGE, null);
  }

  disconnect(peer: Peer, data: number): void {
    const s = peer.state;
    if (s === PeerState.Disconnecting || s === PeerState.Disconnected || s === PeerState.AcknowledgingDisconnect || s === PeerState.Zombie) return;
    this.resetPeerQueues(peer);
    const connected = s === PeerState.Connected || s === PeerState.DisconnectLater;
    const body = new Uint8Array(4);
    new DataView(body.buffer).setUint32(0, data >>> 0);
    this.queueControl(peer, Command.Disconnect | (connected ? COMMAND_FLAG_ACKNOWLEDGE : COMMAND_FLAG_UNSEQUENCED), body);
    if (connected) {
      this.changeState(peer, PeerState.Disconnecting);
    } else {
      this.flushPeerNow(peer);
      this.resetPeer(peer);
    }
  }

  resetPeer(peer: Peer): void {
    if (peer.state === PeerState.Connected || peer.state === PeerState.DisconnectLater) this.#onDisconnect(peer);
    this.waitingData -= peer.totalWaitingData;
    peer.incarnation++;
    peer.generation++;
    peer.reset(this.mtu, (c) => this.freeCommand(c));
  }

  /** Builds this peer's datagram(s) now and queues them ahead of everything (flush). */
  flushPeerNow(peer: Peer): void {
    for (let guard = 0; guard < 64; guard++) {
      const len = buildDatagram(this, peer, this.serviceTime, this.urgentScratch);
      if (len === 0) return;
      if (this.urgent.length >= this.config.maxUrgentDatagrams) {
        this.stats.urgentOverflows++;
        continue;
      }
      this.urgent.pushBack({ address: peer.address, port: peer.port, bytes: this.urgentScratch.slice(0, len) });
    }
  }

  resetPeerQueues(peer: Peer): void {
    peer.generation++;
    this.waitingData -= peer.totalWaitingData;
    peer.resetQueues((c) => this.freeCommand(c));
  }

  /** libenet enet_protocol_change_state. */
  changeState(peer: Peer, state: number): void {
    if (state === PeerState.Connected || state === PeerState.DisconnectLater) this.#onConnect(peer);
    else this.#onDisconnect(peer);
    peer.state = state;
  }

  dispatchDisconnect(peer: Peer): void {
    this.changeState(peer, PeerState.Zombie);
    peer.needsDispatch = true;
    this.events.pushBack(new CoreEvent('disconnect', peer, peer.eventData, 0, null, 0, peer.incarnation, 0));
  }

  /** data = CONNECT data on the server, 0 on the client. */
  notifyConnect(peer: Peer, data: number): void {
    this.recalculateBandwidthLimits = true;
    this.changeState(peer, PeerState.Connected);
    peer.needsDispatch = true;
    this.events.pushBack(new CoreEvent('connect', peer, data, 0, null, 0, peer.incarnation, 0));
  }

  /** libenet enet_protocol_notify_disconnect. */
  notifyDisconnect(peer: Peer): void {
    if (peer.state >= PeerState.ConnectionPending) this.recalculateBandwidthLimits = true;
    if (peer.state !== PeerState.Connecting && peer.state < PeerState.ConnectionSucceeded) {
      this.resetPeer(peer);
    } else {
      peer.eventData = 0;
      this.dispatchDisconnect(peer);
    }
  }

  deliver(peer: Peer, channelID: number, packet: Uint8Array, flags: number, cost: number): void {
    this.events.pushBack(new CoreEvent('receive', peer, 0, channelID, packet, flags, peer.generation, cost));
  }

  #onConnect(peer: Peer): void {
    if (peer.state !== PeerState.Connected && peer.state !== PeerState.DisconnectLater) {
      if (peer.incomingBandwidth !== 0) this.bandwidthLimitedPeers++;
      this.connectedPeers++;
    }
  }

  #onDisconnect(peer: Peer): void {
    if (peer.state === PeerState.Connected || peer.state === PeerState.DisconnectLater) {
      if (peer.incomingBandwidth !== 0) this.bandwidthLimitedPeers--;
      this.connectedPeers--;
    }
  }
}
