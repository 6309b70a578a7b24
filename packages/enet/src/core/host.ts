// Core: the sans-IO ENet host (libenet ENetHost) — peer table, commands from the user, the
// datagram entry point, timers and the output queues (docs/design.md §2). Receive handlers live in
// receive.ts, ordered delivery in delivery.ts, datagram assembly in transmit.ts.
import {
  CONTROL_CHANNEL, HOST_BANDWIDTH_THROTTLE_INTERVAL, PEER_PING_INTERVAL, PEER_TIMEOUT_LIMIT, PEER_TIMEOUT_MAXIMUM,
  PEER_TIMEOUT_MINIMUM, PROTOCOL_MAXIMUM_CHANNEL_COUNT, PROTOCOL_MAXIMUM_FRAGMENT_COUNT,
  PROTOCOL_MAXIMUM_WINDOW_SIZE, PROTOCOL_MINIMUM_CHANNEL_COUNT,
} from './constants.js';
import { windowForBandwidth } from './window.js';
import { clampChannelLimit, resolveHostCoreOptions, type ChecksumFunction, type Compressor, type HostCoreConfig, type HostCoreOptions } from './config.js';
import { OutgoingCommand } from './commands.js';
import { SendPacer } from './pacing.js';
import { PayloadSlab } from './payload-slab.js';
import { Deque } from './deque.js';
import { CoreEvent, PacketFlag } from './events.js';
import { MAX_DATAGRAM_SIZE } from './constants.js';
import { Peer, PeerState } from './peer.js';
import { COMMAND_FLAG_ACKNOWLEDGE, COMMAND_FLAG_UNSEQUENCED, COMMAND_SIZES, Command, Off, PROTOCOL_HEADER_SIZE } from './protocol.js';
import { receiveDatagram } from './receive.js';
import { HostStatistics } from './statistics.js';
import { bandwidthThrottle } from './throttle.js';
import { buildDatagram, checkTimeouts, pingDue, TxState } from './transmit.js';
import { CoreUsageError } from './usage-error.js';

/** A UDP endpoint as the core sees it: literal IP text (v4 dotted quad or v6) and port. */
export interface CoreEndpoint {
  address: string;
  port: number;
}

/** Freed outgoing commands kept for reuse; beyond this they are left to the GC. */
const COMMAND_POOL_LIMIT = 4096;

interface UrgentDatagram {
  address: string;
  port: number;
  bytes: Uint8Array;
}

/**
 * The ENet host state machine. Inputs: `handleDatagram`, `handleTimeout`, and the commands
 * (`connect`, `send`, `disconnect`, ...). Outputs, drained after every input: `pollTransmit`,
 * `pollTimeout`, `pollEvent`. Structurally satisfies `SansIoCore` of @meshpunch/sim.
 * Network input never throws; API misuse throws `CoreUsageError`.
 */
export class HostCore {
  /** @internal */ readonly config: HostCoreConfig;
  /** @internal */ readonly peers: Peer[];
  /** Counters (Godot's HostStatistic values plus drop reasons). */
  readonly stats = new HostStatistics();
  /** @internal */ mtu: number;
  /** @internal */ channelLimit: number;
  /** @internal */ incomingBandwidth: number;
  /** @internal */ outgoingBandwidth: number;
  /** @internal */ bandwidthThrottleEpoch = 0;
  /** @internal */ recalculateBandwidthLimits = false;
  /** @internal */ connectedPeers = 0;
  /** @internal */ bandwidthLimitedPeers = 0;
  /** @internal */ refusing = false;
  /** @internal See setConnectFilter. */
  connectFilter: ((from: CoreEndpoint) => boolean) | null = null;
  /** Undelivered received bytes of all peers together (the sum of their waiting data, §8.2). */
  waitingData = 0;
  /** @internal Active checksum (§2.2); starts from config, changed by setChecksum. */
  checksum: ChecksumFunction | null;
  /** @internal Active compressor (§2.3); starts from config, changed by setCompressor. */
  compressor: Compressor | null;
  /** @internal */ readonly events = new Deque<CoreEvent>(64);
  /** @internal Latest `now` seen (ms, caller's monotonic clock). */
  serviceTime = 0;
  /** @internal Scratch for decompression / checksum verification / urgent datagrams. */
  readonly scratch = new Uint8Array(MAX_DATAGRAM_SIZE);
  /** @internal Scratch for datagrams built outside pollTransmit (disconnectNow's flush). */
  readonly urgentScratch = new Uint8Array(MAX_DATAGRAM_SIZE);
  /** @internal Scratch for compression output. */
  readonly compressScratch = new Uint8Array(MAX_DATAGRAM_SIZE);
  /** @internal One-element buffer list reused for checksum calls. */
  readonly checksumBuffers: Uint8Array[] = [new Uint8Array(0)];
  /** @internal Cursor of the datagram being built. */
  readonly tx = new TxState();
  /** @internal Send pacing for a host with outgoingBandwidth set (pacing.ts, issue #3). */
  readonly pacer = new SendPacer();
  /** @internal Buffer for connectID randomness. */
  readonly randomBytes = new Uint8Array(4);
  /** @internal Where `send` copies small packets (payload-slab.ts). */
  readonly payloadSlab = new PayloadSlab();
  /** Set when `pollTransmit(…, deferAckOnly)` skipped a peer's ACK-only datagram; the caller clears it. */
  ackOnlyDeferred = false;
  #pool: OutgoingCommand[] = [];
  #urgent = new Deque<UrgentDatagram>(8);
  #cursor = 0;
  #destroyed = false;

  /** @throws CoreUsageError when an option is out of range. */
  constructor(options: HostCoreOptions) {
    this.config = resolveHostCoreOptions(options);
    this.mtu = this.config.mtu;
    this.channelLimit = this.config.channelLimit;
    this.incomingBandwidth = this.config.incomingBandwidth;
    this.outgoingBandwidth = this.config.outgoingBandwidth;
    this.checksum = this.config.checksum;
    this.compressor = this.config.compressor;
    this.peers = [];
    for (let i = 0; i < this.config.peerCount; i++) this.peers.push(new Peer(i, this.mtu));
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Feeds one received UDP datagram. Never throws; bad input is dropped and counted.
   * Delivered packets may be views into `bytes` (zero copy): pass a buffer you will not reuse
   * (node:dgram and the simulator hand out a fresh one per datagram).
   */
  handleDatagram(now: number, from: CoreEndpoint, bytes: Uint8Array): void {
    if (this.#destroyed) return;
    this.serviceTime = now;
    this.stats.totalReceivedData += bytes.length;
    this.stats.totalReceivedPackets++;
    receiveDatagram(this, now, from, bytes);
  }

  /** Runs what is due at `now`: retransmissions and timeouts, the bandwidth throttle. */
  handleTimeout(now: number): void {
    if (this.#destroyed) return;
    this.serviceTime = now;
    if (now - this.bandwidthThrottleEpoch >= HOST_BANDWIDTH_THROTTLE_INTERVAL) bandwidthThrottle(this, now);
    for (let i = 0; i < this.peers.length; i++) {
      const peer = this.peers[i]!;
      if (peer.state === PeerState.Disconnected || peer.state === PeerState.Zombie) continue;
      if (peer.state === PeerState.AcknowledgingConnect && now >= peer.halfOpenDeadline) {
        // A handshake nobody completes (spoofed or abandoned CONNECT) frees its slot early.
        this.stats.halfOpenTimeouts++;
        this.notifyDisconnect(peer);
        continue;
      }
      if (peer.sentReliableCommands.length > 0 && now >= peer.nextTimeout) checkTimeouts(this, peer, now);
    }
  }

  // ---------------------------------------------------------------- outputs

  /**
   * Encodes the next datagram due into `out` (≥ 4096 bytes is always enough; a shorter
   * buffer caps the datagram), fills `to`, and returns its length, or 0 when nothing is due.
   * With `deferAckOnly`, a peer that has nothing to send but ACKs is skipped and
   * `ackOnlyDeferred` is set: the caller promises a full pollTransmit soon (the adapter does
   * one at the end of the event-loop turn), by when its own next packet may carry the ACKs.
   */
  pollTransmit(now: number, out: Uint8Array, to: CoreEndpoint, deferAckOnly = false): number {
    if (this.#destroyed) return 0;
    this.serviceTime = now;
    const urgent = this.#urgent.popFront();
    if (urgent !== undefined) {
      out.set(urgent.bytes);
      to.address = urgent.address;
      to.port = urgent.port;
      this.stats.totalSentData += urgent.bytes.length;
      this.stats.totalSentPackets++;
      return urgent.bytes.length;
    }
    const n = this.peers.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const peer = this.peers[i]!;
      if (peer.state === PeerState.Disconnected || peer.state === PeerState.Zombie) continue;
      if (deferAckOnly && peer.outgoingCommands.length === 0 && peer.acknowledgements.length > 0 && !pingDue(peer, now)) {
        this.ackOnlyDeferred = true;
        continue;
      }
      const len = buildDatagram(this, peer, now, out);
      if (len > 0) {
        to.address = peer.address;
        to.port = peer.port;
        this.#cursor = (i + 1) % n;
        this.stats.totalSentData += len;
        this.stats.totalSentPackets++;
        return len;
      }
    }
    return 0;
  }

  /** Absolute time (ms) of the next deadline, or undefined when nothing is scheduled. */
  pollTimeout(): number | undefined {
    if (this.#destroyed) return undefined;
    let t = Infinity;
    if (this.#urgent.length > 0) t = this.serviceTime;
    for (let i = 0; i < this.peers.length; i++) {
      const peer = this.peers[i]!;
      const s = peer.state;
      if (s === PeerState.Disconnected || s === PeerState.Zombie) continue;
      if (s === PeerState.AcknowledgingConnect && peer.halfOpenDeadline < t) t = peer.halfOpenDeadline;
      if (peer.sentReliableCommands.length > 0) {
        if (peer.nextTimeout < t) t = peer.nextTimeout;
      } else if (s === PeerState.Connected) {
        // §7.3: an idle connected peer pings pingInterval after the last ACK it received.
        const ping = peer.lastReceiveTime + peer.pingInterval;
        if (ping < t) t = ping;
      }
    }
    // Paced data fits again at pacer.wakeAt (only set while outgoingBandwidth is limited).
    if (this.pacer.wakeAt >= 0 && this.pacer.wakeAt < t) t = this.pacer.wakeAt;
    if (this.connectedPeers > 0) {
      const bw = this.bandwidthThrottleEpoch + HOST_BANDWIDTH_THROTTLE_INTERVAL;
      if (bw < t) t = bw;
    }
    return t === Infinity ? undefined : t;
  }

  /** Next event, or undefined. Events of peers reset since they were queued are skipped. */
  pollEvent(): CoreEvent | undefined {
    for (;;) {
      const ev = this.events.popFront();
      if (ev === undefined) return undefined;
      const peer = ev.peer;
      if (ev.type === 'receive') {
        if (ev.stamp !== peer.generation) continue;
        const refund = ev.cost < peer.totalWaitingData ? ev.cost : peer.totalWaitingData;
        peer.totalWaitingData -= refund;
        this.waitingData -= refund;
        return ev;
      }
      if (ev.stamp !== peer.incarnation) continue;
      if (ev.type === 'disconnect') {
        // §5.4: a zombie slot is reset once its DISCONNECT event has been handed out.
        if (peer.state === PeerState.Zombie) this.resetPeer(peer);
        else continue;
      }
      peer.needsDispatch = false;
      return ev;
    }
  }

  /** Events waiting to be polled (receive events of reset peers included until skipped). */
  get pendingEvents(): number {
    return this.events.length;
  }

  // ---------------------------------------------------------------- commands

  /**
   * §5.1: starts connecting to `address:port` with `channelCount` channels (1..255) and the
   * 32-bit `data` carried in CONNECT. Returns the peer (state Connecting), or null when every
   * slot is in use.
   * @throws CoreUsageError for an invalid channel count, data or port.
   */
  connect(address: string, port: number, channelCount: number, data: number): Peer | null {
    if (!Number.isInteger(channelCount) || channelCount < PROTOCOL_MINIMUM_CHANNEL_COUNT || channelCount > PROTOCOL_MAXIMUM_CHANNEL_COUNT) {
      throw new CoreUsageError(`channelCount must be 1..255, got ${channelCount}`, 'channelCount', channelCount);
    }
    checkU32('data', data);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CoreUsageError(`port must be 1..65535, got ${port}`, 'port', port);
    let peer: Peer | null = null;
    for (let i = 0; i < this.peers.length; i++) {
      if (this.peers[i]!.state === PeerState.Disconnected) {
        peer = this.peers[i]!;
        break;
      }
    }
    if (peer === null) return null;
    peer.setupChannels(channelCount);
    peer.state = PeerState.Connecting;
    peer.address = address;
    peer.port = port;
    this.config.random(this.randomBytes);
    peer.connectID = ((this.randomBytes[0]! << 24) | (this.randomBytes[1]! << 16) | (this.randomBytes[2]! << 8) | this.randomBytes[3]!) >>> 0;
    peer.mtu = this.mtu;
    peer.windowSize = this.outgoingBandwidth === 0 ? PROTOCOL_MAXIMUM_WINDOW_SIZE : windowForBandwidth(this.outgoingBandwidth);
    const body = new Uint8Array(COMMAND_SIZES[Command.Connect]! - 4);
    const v = new DataView(body.buffer);
    const o = (off: number): number => off - 4;
    v.setUint16(o(Off.outgoingPeerID), peer.index);
    body[o(Off.incomingSessionID)] = peer.incomingSessionID;
    body[o(Off.outgoingSessionID)] = peer.outgoingSessionID;
    v.setUint32(o(Off.mtu), peer.mtu);
    v.setUint32(o(Off.windowSize), peer.windowSize);
    v.setUint32(o(Off.channelCount), channelCount);
    v.setUint32(o(Off.incomingBandwidth), this.incomingBandwidth);
    v.setUint32(o(Off.outgoingBandwidth), this.outgoingBandwidth);
    v.setUint32(o(Off.packetThrottleInterval), peer.packetThrottleInterval);
    v.setUint32(o(Off.packetThrottleAcceleration), peer.packetThrottleAcceleration);
    v.setUint32(o(Off.packetThrottleDeceleration), peer.packetThrottleDeceleration);
    v.setUint32(o(Off.connectID), peer.connectID);
    v.setUint32(o(Off.connectData), data >>> 0);
    this.queueControl(peer, Command.Connect | COMMAND_FLAG_ACKNOWLEDGE, body);
    return peer;
  }

  /**
   * §4: queues `data` on `channelID` with `flags` (PacketFlag bits). The bytes are copied.
   * Returns false when ENet refuses it (peer not connected, channel ≥ the peer's channel count,
   * larger than maximumPacketSize, too many fragments, or the outgoing queue is full).
   */
  send(peer: Peer, channelID: number, data: Uint8Array, flags: number): boolean {
    if (peer.state !== PeerState.Connected || channelID < 0 || channelID >= peer.channelCount || data.length > this.config.maximumPacketSize) return false;
    // A real copy even for a Node Buffer (whose slice() is a view): callers may reuse `data`.
    return this.#sendOwned(peer, channelID, this.payloadSlab.copy(data), flags);
  }

  /** `send` of bytes the core owns (queued commands only read them, so peers may share them). */
  #sendOwned(peer: Peer, channelID: number, copy: Uint8Array, flags: number): boolean {
    if (peer.state !== PeerState.Connected || channelID < 0 || channelID >= peer.channelCount || copy.length > this.config.maximumPacketSize) return false;
    const channel = peer.channels[channelID]!;
    const fragmentLength = this.fragmentLength(peer);
    if (copy.length > fragmentLength) {
      const fragmentCount = Math.ceil(copy.length / fragmentLength);
      if (fragmentCount > PROTOCOL_MAXIMUM_FRAGMENT_COUNT) return false;
      if (peer.outgoingCommands.length + fragmentCount > this.config.maxOutgoingCommands) {
        this.stats.outgoingOverflows++;
        return false;
      }
      let commandByte: number;
      let start: number;
      let packetFlags: number;
      if ((flags & (PacketFlag.Reliable | PacketFlag.UnreliableFragment)) === PacketFlag.UnreliableFragment && channel.outgoingUnreliableSequenceNumber < 0xffff) {
        commandByte = Command.SendUnreliableFragment;
        start = (channel.outgoingUnreliableSequenceNumber + 1) & 0xffff;
        packetFlags = PacketFlag.UnreliableFragment;
      } else {
        commandByte = Command.SendFragment | COMMAND_FLAG_ACKNOWLEDGE;
        start = (channel.outgoingReliableSequenceNumber + 1) & 0xffff;
        packetFlags = PacketFlag.Reliable;
      }
      for (let i = 0, offset = 0; offset < copy.length; i++, offset += fragmentLength) {
        const cmd = this.allocCommand();
        cmd.command = commandByte;
        cmd.channelID = channelID;
        cmd.data = copy;
        cmd.fragmentOffset = offset;
        cmd.fragmentLength = Math.min(fragmentLength, copy.length - offset);
        cmd.fragmentCount = fragmentCount;
        cmd.fragmentNumber = i;
        cmd.packetFlags = packetFlags;
        this.setupOutgoing(peer, cmd);
        // The start sequence is the same for every fragment (§8.5); setupOutgoing fills the
        // unreliable seq of unreliable fragments with it already.
        if ((commandByte & COMMAND_FLAG_ACKNOWLEDGE) !== 0) cmd.unreliableSequenceNumber = start;
      }
      return true;
    }
    if (peer.outgoingCommands.length >= this.config.maxOutgoingCommands) {
      this.stats.outgoingOverflows++;
      return false;
    }
    const cmd = this.allocCommand();
    cmd.channelID = channelID;
    cmd.data = copy;
    cmd.fragmentOffset = 0;
    cmd.fragmentLength = copy.length;
    if ((flags & (PacketFlag.Reliable | PacketFlag.Unsequenced)) === PacketFlag.Unsequenced) {
      cmd.command = Command.SendUnsequenced | COMMAND_FLAG_UNSEQUENCED;
      cmd.packetFlags = PacketFlag.Unsequenced;
    } else if ((flags & PacketFlag.Reliable) !== 0 || channel.outgoingUnreliableSequenceNumber >= 0xffff) {
      cmd.command = Command.SendReliable | COMMAND_FLAG_ACKNOWLEDGE;
      cmd.packetFlags = PacketFlag.Reliable;
    } else {
      cmd.command = Command.SendUnreliable;
      cmd.packetFlags = 0;
    }
    this.setupOutgoing(peer, cmd);
    return true;
  }

  /** Queues `data` to every connected peer (libenet enet_host_broadcast). */
  broadcast(channelID: number, data: Uint8Array, flags: number): void {
    const copy = this.payloadSlab.copy(data); // one copy shared by every peer's commands
    for (let i = 0; i < this.peers.length; i++) {
      const peer = this.peers[i]!;
      if (peer.state === PeerState.Connected) this.#sendOwned(peer, channelID, copy, flags);
    }
  }

  /** §5.4 enet_peer_disconnect: graceful; a `disconnect` event follows (data 0). */
  disconnect(peer: Peer, data: number): void {
    checkU32('data', data);
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

  /** §5.4 enet_peer_disconnect_later: disconnect once queued outgoing data is delivered. */
  disconnectLater(peer: Peer, data: number): void {
    checkU32('data', data);
    if ((peer.state === PeerState.Connected || peer.state === PeerState.DisconnectLater)
      && (peer.outgoingCommands.length > 0 || peer.sentReliableCommands.length > 0)) {
      this.changeState(peer, PeerState.DisconnectLater);
      peer.disconnectLaterData = data >>> 0;
    } else {
      this.disconnect(peer, data);
    }
  }

  /** §5.4 enet_peer_disconnect_now: sends an unsequenced DISCONNECT at once and resets; no event. */
  disconnectNow(peer: Peer, data: number): void {
    checkU32('data', data);
    if (peer.state === PeerState.Disconnected) return;
    if (peer.state !== PeerState.Zombie && peer.state !== PeerState.Disconnecting) {
      this.resetPeerQueues(peer);
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, data >>> 0);
      this.queueControl(peer, Command.Disconnect | COMMAND_FLAG_UNSEQUENCED, body);
      this.flushPeerNow(peer);
    }
    this.resetPeer(peer);
  }

  /** §5.3 enet_peer_reset: silent local reset (nothing sent; the remote times out). */
  resetPeer(peer: Peer): void {
    if (peer.state === PeerState.Connected || peer.state === PeerState.DisconnectLater) this.onDisconnect(peer);
    this.waitingData -= peer.totalWaitingData;
    peer.incarnation++;
    peer.generation++;
    peer.reset(this.mtu, (c) => this.freeCommand(c));
  }

  /** Queues a PING (libenet enet_peer_ping); only while connected. */
  ping(peer: Peer): void {
    if (peer.state !== PeerState.Connected) return;
    this.queueControl(peer, Command.Ping | COMMAND_FLAG_ACKNOWLEDGE, null);
  }

  /**
   * meshpunch extension for a path layer below ENet (relay.md §3): the peer's datagrams now take
   * another path (relay ↔ direct), so the reliable commands in flight go out again at the next
   * service with their retransmission back-off reset and the silence counted toward the timeout
   * restarted — the old path's losses say nothing about the new one, and a back-off grown while
   * it died would otherwise hold the stream for seconds (the agent's simulator, 5 % loss). The
   * wire format is unchanged: these are ordinary retransmissions.
   */
  retransmitNow(now: number, peer: Peer): void {
    if (peer.state !== PeerState.Connected && peer.state !== PeerState.DisconnectLater) return;
    const rto = Math.max(1, peer.roundTripTime + 4 * peer.roundTripTimeVariance);
    const sent = peer.sentReliableCommands;
    for (let i = 0; i < sent.length; i++) {
      const cmd = sent.at(i)!;
      cmd.roundTripTimeout = rto;
      cmd.roundTripTimeoutLimit = peer.timeoutLimit * rto;
      cmd.sentTime = now - rto;
    }
    peer.earliestTimeout = -1;
    peer.nextTimeout = now;
  }

  /** Sets the idle ping interval (ms); 0 restores the 500 ms default (§7.3). */
  pingInterval(peer: Peer, ms: number): void {
    checkU32('pingInterval', ms);
    peer.pingInterval = ms === 0 ? PEER_PING_INTERVAL : ms;
  }

  /** Sets the timeout parameters (§7.2); 0 restores each default (32 / 5000 / 30000). */
  configureTimeout(peer: Peer, limit: number, minimumMs: number, maximumMs: number): void {
    checkU32('timeoutLimit', limit);
    checkU32('timeoutMinimum', minimumMs);
    checkU32('timeoutMaximum', maximumMs);
    peer.timeoutLimit = limit === 0 ? PEER_TIMEOUT_LIMIT : limit;
    peer.timeoutMinimum = minimumMs === 0 ? PEER_TIMEOUT_MINIMUM : minimumMs;
    peer.timeoutMaximum = maximumMs === 0 ? PEER_TIMEOUT_MAXIMUM : maximumMs;
  }

  /** §9.3: sets the throttle locally and sends THROTTLE_CONFIGURE so the remote uses it too. */
  throttleConfigure(peer: Peer, interval: number, acceleration: number, deceleration: number): void {
    checkU32('interval', interval);
    checkU32('acceleration', acceleration);
    checkU32('deceleration', deceleration);
    peer.packetThrottleInterval = interval;
    peer.packetThrottleAcceleration = acceleration;
    peer.packetThrottleDeceleration = deceleration;
    if (peer.state !== PeerState.Connected && peer.state !== PeerState.DisconnectLater) return;
    const body = new Uint8Array(12);
    const v = new DataView(body.buffer);
    v.setUint32(0, interval);
    v.setUint32(4, acceleration);
    v.setUint32(8, deceleration);
    this.queueControl(peer, Command.ThrottleConfigure | COMMAND_FLAG_ACKNOWLEDGE, body);
  }

  /** §9.3 enet_host_bandwidth_limit (bytes/s, 0 = unlimited); peers learn it within ~1 s. */
  bandwidthLimit(incoming: number, outgoing: number): void {
    checkU32('incomingBandwidth', incoming);
    checkU32('outgoingBandwidth', outgoing);
    this.incomingBandwidth = incoming;
    this.outgoingBandwidth = outgoing;
    this.recalculateBandwidthLimits = true;
  }

  /** Channel cap for future incoming connections; 0 or > 255 = 255 (§1). */
  setChannelLimit(limit: number): void {
    checkU32('channelLimit', limit);
    this.channelLimit = clampChannelLimit(limit);
  }

  /**
   * Installs (or removes, with null) the datagram checksum (§2.2). Both ends must agree; set it
   * before connecting (changing it mid-connection makes every datagram fail verification).
   */
  setChecksum(checksum: ChecksumFunction | null): void {
    this.checksum = checksum;
  }

  /**
   * Installs (or removes, with null) the datagram compressor (§2.3; Godot's `compress(mode)`).
   * A host with a compressor still accepts uncompressed datagrams; one without drops
   * compressed ones.
   */
  setCompressor(compressor: Compressor | null): void {
    this.compressor = compressor;
  }

  /** When true, incoming CONNECTs are ignored and counted in `stats.refusedConnects`. */
  refuseNewConnections(refuse: boolean): void {
    this.refusing = refuse;
  }

  get isRefusingNewConnections(): boolean {
    return this.refusing;
  }

  /**
   * meshpunch extension: while set, a CONNECT is accepted only when `filter(from)` returns true;
   * others are ignored (no slot taken, nothing sent) and counted in `stats.filteredConnects`.
   * Called once per CONNECT command from an unknown source, with a record it must not keep.
   * A throwing filter counts as false. null (the default) accepts every source.
   */
  setConnectFilter(filter: ((from: CoreEndpoint) => boolean) | null): void {
    this.connectFilter = filter;
  }

  /** Resets every peer silently and stops all timers; the core does nothing afterwards. */
  destroy(): void {
    for (let i = 0; i < this.peers.length; i++) {
      const p = this.peers[i]!;
      if (p.state !== PeerState.Disconnected) this.resetPeer(p);
    }
    this.events.clear();
    this.#urgent.clear();
    this.#destroyed = true;
  }

  get isDestroyed(): boolean {
    return this.#destroyed;
  }

  // ---------------------------------------------------------------- internals

  /** §4: fragment payload size for this peer: mtu − header − SEND_FRAGMENT (− checksum). */
  fragmentLength(peer: Peer): number {
    return peer.mtu - PROTOCOL_HEADER_SIZE - COMMAND_SIZES[Command.SendFragment]! - (this.checksum !== null ? 4 : 0);
  }

  /** @internal */
  allocCommand(): OutgoingCommand {
    return this.#pool.pop() ?? new OutgoingCommand();
  }

  /** @internal */
  freeCommand(cmd: OutgoingCommand): void {
    cmd.reset();
    if (this.#pool.length < COMMAND_POOL_LIMIT) this.#pool.push(cmd);
  }

  /** @internal Queues a control command (channel 0xFF) with a pre-encoded body. */
  queueControl(peer: Peer, commandByte: number, body: Uint8Array | null): void {
    const cmd = this.allocCommand();
    cmd.command = commandByte;
    cmd.channelID = CONTROL_CHANNEL;
    cmd.body = body;
    this.setupOutgoing(peer, cmd);
  }

  /** @internal §4 sequence numbering, then append to the outgoing queue. */
  setupOutgoing(peer: Peer, cmd: OutgoingCommand): void {
    peer.outgoingDataTotal += COMMAND_SIZES[cmd.command & 0x0f]! + cmd.fragmentLength;
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

  /** @internal Builds this peer's datagram(s) now and queues them ahead of everything (flush). */
  flushPeerNow(peer: Peer): void {
    for (let guard = 0; guard < 64; guard++) {
      const len = buildDatagram(this, peer, this.serviceTime, this.urgentScratch);
      if (len === 0) return;
      if (this.#urgent.length >= this.config.maxUrgentDatagrams) {
        this.stats.urgentOverflows++;
        continue;
      }
      this.#urgent.pushBack({ address: peer.address, port: peer.port, bytes: this.urgentScratch.slice(0, len) });
    }
  }

  /** @internal Drops queues (§5.4) and invalidates undelivered receive events of the peer. */
  resetPeerQueues(peer: Peer): void {
    peer.generation++;
    this.waitingData -= peer.totalWaitingData;
    peer.resetQueues((c) => this.freeCommand(c));
  }

  /** @internal State change with connected-peer bookkeeping (libenet enet_protocol_change_state). */
  changeState(peer: Peer, state: number): void {
    if (state === PeerState.Connected || state === PeerState.DisconnectLater) this.onConnect(peer);
    else this.onDisconnect(peer);
    peer.state = state;
  }

  /** @internal Moves a peer to Zombie and queues its DISCONNECT event (data = peer.eventData). */
  dispatchDisconnect(peer: Peer): void {
    this.changeState(peer, PeerState.Zombie);
    peer.needsDispatch = true;
    this.events.pushBack(new CoreEvent('disconnect', peer, peer.eventData, 0, null, 0, peer.incarnation, 0));
  }

  /** @internal Peer became connected: CONNECT event (data = CONNECT data on the server, 0 on the client). */
  notifyConnect(peer: Peer, data: number): void {
    this.recalculateBandwidthLimits = true;
    this.changeState(peer, PeerState.Connected);
    peer.needsDispatch = true;
    this.events.pushBack(new CoreEvent('connect', peer, data, 0, null, 0, peer.incarnation, 0));
  }

  /** @internal libenet enet_protocol_notify_disconnect: timeout or failed handshake. */
  notifyDisconnect(peer: Peer): void {
    if (peer.state >= PeerState.ConnectionPending) this.recalculateBandwidthLimits = true;
    if (peer.state !== PeerState.Connecting && peer.state < PeerState.ConnectionSucceeded) {
      this.resetPeer(peer);
    } else {
      peer.eventData = 0;
      this.dispatchDisconnect(peer);
    }
  }

  /** @internal Queues a received packet for delivery (counted in waiting data until polled). */
  deliver(peer: Peer, channelID: number, packet: Uint8Array, flags: number, cost: number): void {
    this.events.pushBack(new CoreEvent('receive', peer, 0, channelID, packet, flags, peer.generation, cost));
  }

  private onConnect(peer: Peer): void {
    if (peer.state !== PeerState.Connected && peer.state !== PeerState.DisconnectLater) {
      if (peer.incomingBandwidth !== 0) this.bandwidthLimitedPeers++;
      this.connectedPeers++;
    }
  }

  private onDisconnect(peer: Peer): void {
    if (peer.state === PeerState.Connected || peer.state === PeerState.DisconnectLater) {
      if (peer.incomingBandwidth !== 0) this.bandwidthLimitedPeers--;
      this.connectedPeers--;
    }
  }
}

/** Reliable data commands are the only ones the reliable windows can hold back (§8.1, §9.2). */
export function isHoldable(cmd: OutgoingCommand): boolean {
  return (cmd.command & COMMAND_FLAG_ACKNOWLEDGE) !== 0 && cmd.channelID !== CONTROL_CHANNEL;
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CoreUsageError(`${name} must be an integer 0..4294967295, got ${String(v)}`, name, v);
}

