// Core: the sans-IO ENet host (libenet ENetHost) — commands from the user, the datagram entry
// point, timers and the output queues (docs/design.md §2). Its state lives in host-state.ts;
// receive handlers in receive.ts, ordered delivery in delivery.ts, datagram assembly in
// transmit.ts — they see the state as a HostContext (host-context.ts) and never import this file.
import {
  HOST_BANDWIDTH_THROTTLE_INTERVAL, PEER_PING_INTERVAL, PEER_TIMEOUT_LIMIT, PEER_TIMEOUT_MAXIMUM, PEER_TIMEOUT_MINIMUM,
  PROTOCOL_MAXIMUM_CHANNEL_COUNT, PROTOCOL_MAXIMUM_FRAGMENT_COUNT, PROTOCOL_MAXIMUM_WINDOW_SIZE, PROTOCOL_MINIMUM_CHANNEL_COUNT,
} from './constants.js';
import { windowForBandwidth } from './window.js';
import { clampChannelLimit, resolveHostCoreOptions, type ChecksumFunction, type Compressor, type HostCoreConfig, type HostCoreOptions } from './config.js';
import { CoreEvent, PacketFlag } from './events.js';
import type { CoreEndpoint } from './host-context.js';
import { HostState } from './host-state.js';
import type { Slab } from './payload-slab.js';
import { Peer, PeerState } from './peer.js';
import { COMMAND_FLAG_ACKNOWLEDGE, COMMAND_FLAG_UNSEQUENCED, COMMAND_SIZE_TABLE, Command, Off, PROTOCOL_HEADER_SIZE } from './protocol.js';
import { receiveDatagram } from './receive.js';
import type { HostStatistics } from './statistics.js';
import { bandwidthThrottle } from './throttle.js';
import { buildDatagram, checkTimeouts, pingDue } from './transmit.js';
import { CoreUsageError } from './usage-error.js';


/**
 * The ENet host state machine. Inputs: `handleDatagram`, `handleTimeout`, and the commands
 * (`connect`, `send`, `disconnect`, ...). Outputs, drained after every input: `pollTransmit`,
 * `pollTimeout`, `pollEvent`. Structurally satisfies `SansIoCore` of @meshpunch/sim.
 * Network input never throws; API misuse throws `CoreUsageError`.
 */
export class HostCore {
  /** The host's state, shared with the receive and transmit passes as their HostContext. */
  readonly #s: HostState;
  /** Peer index pollTransmit looks at first (round robin). */
  #cursor = 0;
  #destroyed = false;
  /** When pollTransmitHoldingAcks first passed over ACKs still unsent (ms), or -1: they are due then. */
  #acksHeldSince = -1;

  /** @throws CoreUsageError when an option is out of range. */
  constructor(options: HostCoreOptions) {
    this.#s = new HostState(resolveHostCoreOptions(options));
  }

  /** The options in force (defaults filled in). */
  get config(): HostCoreConfig {
    return this.#s.config;
  }

  /** Every peer slot (index = peer id); users read the peers' getters. */
  get peers(): readonly Peer[] {
    return this.#s.peers;
  }

  /** Counters (Godot's HostStatistic values plus drop reasons). */
  get stats(): HostStatistics {
    return this.#s.stats;
  }

  /** MTU offered to new peers. */
  get mtu(): number {
    return this.#s.mtu;
  }

  /** Channel cap for incoming connections (setChannelLimit). */
  get channelLimit(): number {
    return this.#s.channelLimit;
  }

  /** Bytes/s this host receives and sends (0 = unlimited; bandwidthLimit). */
  get incomingBandwidth(): number {
    return this.#s.incomingBandwidth;
  }

  get outgoingBandwidth(): number {
    return this.#s.outgoingBandwidth;
  }

  /** Undelivered received bytes of all peers together (the sum of their waiting data, §8.2). */
  get waitingData(): number {
    return this.#s.waitingData;
  }

  /** Active checksum (§2.2; setChecksum) and compressor (§2.3; setCompressor). */
  get checksum(): ChecksumFunction | null {
    return this.#s.checksum;
  }

  get compressor(): Compressor | null {
    return this.#s.compressor;
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Feeds one received UDP datagram. Never throws; bad input is dropped and counted.
   * Delivered packets may be views into `bytes` (zero copy): pass a buffer you will not reuse
   * (node:dgram and the simulator hand out a fresh one per datagram).
   */
  handleDatagram(now: number, from: CoreEndpoint, bytes: Uint8Array): void {
    if (this.#destroyed) return;
    const st = this.#s;
    st.serviceTime = now;
    st.stats.totalReceivedData += bytes.length;
    st.stats.totalReceivedPackets++;
    receiveDatagram(st, now, from, bytes);
  }

  /** Runs what is due at `now`: retransmissions and timeouts, the bandwidth throttle. */
  handleTimeout(now: number): void {
    if (this.#destroyed) return;
    const st = this.#s;
    st.serviceTime = now;
    if (now - st.bandwidthThrottleEpoch >= HOST_BANDWIDTH_THROTTLE_INTERVAL) bandwidthThrottle(st, now);
    for (let i = 0; i < st.peers.length; i++) {
      const peer = st.peers[i]!;
      if (peer.state === PeerState.Disconnected || peer.state === PeerState.Zombie) continue;
      if (peer.state === PeerState.AcknowledgingConnect && now >= peer.halfOpenDeadline) {
        // A handshake nobody completes (spoofed or abandoned CONNECT) frees its slot early.
        st.stats.halfOpenTimeouts++;
        st.notifyDisconnect(peer);
        continue;
      }
      if (peer.sentReliableCommands.length > 0 && now >= peer.nextTimeout) checkTimeouts(st, peer, now);
    }
  }

  // ---------------------------------------------------------------- outputs

  /**
   * Encodes the next datagram due into `out` (≥ 4096 bytes is always enough; a shorter
   * buffer caps the datagram), fills `to`, and returns its length, or 0 when nothing is due.
   */
  pollTransmit(now: number, out: Uint8Array, to: CoreEndpoint): number {
    return this.#poll(now, out, to, false);
  }

  /**
   * pollTransmit for a caller that sends more before long (the adapter's service(), flushed at
   * the end of the event-loop turn): a peer with nothing to send but ACKs is passed over, so
   * that the next packet the application sends it carries them. ACKs passed over are due at
   * once: pollTimeout() says so until a pollTransmit sends them.
   */
  pollTransmitHoldingAcks(now: number, out: Uint8Array, to: CoreEndpoint): number {
    return this.#poll(now, out, to, true);
  }

  #poll(now: number, out: Uint8Array, to: CoreEndpoint, holdAcks: boolean): number {
    if (this.#destroyed) return 0;
    const st = this.#s;
    st.serviceTime = now;
    const urgent = st.urgent.popFront();
    if (urgent !== undefined) {
      out.set(urgent.bytes);
      to.address = urgent.address;
      to.port = urgent.port;
      st.stats.totalSentData += urgent.bytes.length;
      st.stats.totalSentPackets++;
      return urgent.bytes.length;
    }
    const peers = st.peers;
    const n = peers.length;
    let held = false;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      const peer = peers[i]!;
      if (peer.state === PeerState.Disconnected || peer.state === PeerState.Zombie) continue;
      if (holdAcks && peer.outgoingCommands.length === 0 && peer.acknowledgements.length > 0 && !pingDue(peer, now)) {
        held = true;
        continue;
      }
      const len = buildDatagram(st, peer, now, out);
      if (len > 0) {
        to.address = peer.address;
        to.port = peer.port;
        this.#cursor = (i + 1) % n;
        st.stats.totalSentData += len;
        st.stats.totalSentPackets++;
        return len;
      }
    }
    // This call looked at every peer: exactly those passed over still hold ACKs.
    if (!held) this.#acksHeldSince = -1;
    else if (this.#acksHeldSince < 0) this.#acksHeldSince = now;
    return 0;
  }

  /** Absolute time (ms) of the next deadline, or undefined when nothing is scheduled. */
  pollTimeout(): number | undefined {
    if (this.#destroyed) return undefined;
    const st = this.#s;
    let t = Infinity;
    if (st.urgent.length > 0) t = st.serviceTime;
    if (this.#acksHeldSince >= 0 && this.#acksHeldSince < t) t = this.#acksHeldSince;
    for (let i = 0; i < st.peers.length; i++) {
      const peer = st.peers[i]!;
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
    if (st.pacer.wakeAt >= 0 && st.pacer.wakeAt < t) t = st.pacer.wakeAt;
    if (st.connectedPeers > 0) {
      const bw = st.bandwidthThrottleEpoch + HOST_BANDWIDTH_THROTTLE_INTERVAL;
      if (bw < t) t = bw;
    }
    return t === Infinity ? undefined : t;
  }

  /** Next event, or undefined. Events of peers reset since they were queued are skipped. */
  pollEvent(): CoreEvent | undefined {
    const st = this.#s;
    for (;;) {
      const ev = st.events.popFront();
      if (ev === undefined) return undefined;
      const peer = ev.peer;
      if (ev.type === 'receive') {
        if (ev.stamp !== peer.generation) continue;
        const refund = ev.cost < peer.totalWaitingData ? ev.cost : peer.totalWaitingData;
        peer.totalWaitingData -= refund;
        st.waitingData -= refund;
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
    return this.#s.events.length;
  }

  // ---------------------------------------------------------------- commands

  /**
   * §5.1: starts connecting to `address:port` with `channelCount` channels (1..255) and the
   * 32-bit `data` carried in CONNECT. Returns the peer (state Connecting), or null when every
   * slot is in use.
   * @throws CoreUsageError for an invalid channel count, data or port.
   */
  connect(address: string, port: number, channelCount: number, data: number): Peer | null {
    const st = this.#s;
    if (!Number.isInteger(channelCount) || channelCount < PROTOCOL_MINIMUM_CHANNEL_COUNT || channelCount > PROTOCOL_MAXIMUM_CHANNEL_COUNT) {
      throw new CoreUsageError(`channelCount must be 1..255, got ${channelCount}`, 'channelCount', channelCount);
    }
    checkU32('data', data);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CoreUsageError(`port must be 1..65535, got ${port}`, 'port', port);
    let peer: Peer | null = null;
    for (let i = 0; i < st.peers.length; i++) {
      if (st.peers[i]!.state === PeerState.Disconnected) {
        peer = st.peers[i]!;
        break;
      }
    }
    if (peer === null) return null;
    peer.setupChannels(channelCount);
    peer.state = PeerState.Connecting;
    peer.address = address;
    peer.port = port;
    st.config.random(st.randomBytes);
    peer.connectID = ((st.randomBytes[0]! << 24) | (st.randomBytes[1]! << 16) | (st.randomBytes[2]! << 8) | st.randomBytes[3]!) >>> 0;
    peer.mtu = st.mtu;
    peer.windowSize = st.outgoingBandwidth === 0 ? PROTOCOL_MAXIMUM_WINDOW_SIZE : windowForBandwidth(st.outgoingBandwidth);
    const body = new Uint8Array(COMMAND_SIZE_TABLE[Command.Connect]! - 4);
    const v = new DataView(body.buffer);
    const o = (off: number): number => off - 4;
    v.setUint16(o(Off.outgoingPeerID), peer.index);
    body[o(Off.incomingSessionID)] = peer.incomingSessionID;
    body[o(Off.outgoingSessionID)] = peer.outgoingSessionID;
    v.setUint32(o(Off.mtu), peer.mtu);
    v.setUint32(o(Off.windowSize), peer.windowSize);
    v.setUint32(o(Off.channelCount), channelCount);
    v.setUint32(o(Off.incomingBandwidth), st.incomingBandwidth);
    v.setUint32(o(Off.outgoingBandwidth), st.outgoingBandwidth);
    v.setUint32(o(Off.packetThrottleInterval), peer.packetThrottleInterval);
    v.setUint32(o(Off.packetThrottleAcceleration), peer.packetThrottleAcceleration);
    v.setUint32(o(Off.packetThrottleDeceleration), peer.packetThrottleDeceleration);
    v.setUint32(o(Off.connectID), peer.connectID);
    v.setUint32(o(Off.connectData), data >>> 0);
    st.queueControl(peer, Command.Connect | COMMAND_FLAG_ACKNOWLEDGE, body);
    return peer;
  }

  /**
   * §4: queues `data` on `channelID` with `flags` (PacketFlag bits). The bytes are copied.
   * Returns false when ENet refuses it (peer not connected, channel ≥ the peer's channel count,
   * larger than maximumPacketSize, too many fragments, or the outgoing queue is full).
   */
  send(peer: Peer, channelID: number, data: Uint8Array, flags: number): boolean {
    const st = this.#s;
    if (peer.state !== PeerState.Connected || channelID < 0 || channelID >= peer.channelCount || data.length > st.config.maximumPacketSize) return false;
    // A real copy even for a Node Buffer (whose slice() is a view): callers may reuse `data`.
    const copy = st.payloadSlab.copy(data);
    return this.#sendOwned(peer, channelID, copy, st.payloadSlab.last, flags);
  }

  /**
   * `send` of bytes the core owns (queued commands only read them, so peers may share them);
   * `slab` is the payload slab they lie in (each command retains it), or null.
   */
  #sendOwned(peer: Peer, channelID: number, copy: Uint8Array, slab: Slab | null, flags: number): boolean {
    const st = this.#s;
    if (peer.state !== PeerState.Connected || channelID < 0 || channelID >= peer.channelCount || copy.length > st.config.maximumPacketSize) return false;
    const channel = peer.channels[channelID]!;
    const fragmentLength = this.fragmentLength(peer);
    if (copy.length > fragmentLength) {
      const fragmentCount = Math.ceil(copy.length / fragmentLength);
      if (fragmentCount > PROTOCOL_MAXIMUM_FRAGMENT_COUNT) return false;
      if (peer.outgoingCommands.length + fragmentCount > st.config.maxOutgoingCommands) {
        st.stats.outgoingOverflows++;
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
        const cmd = st.allocCommand();
        cmd.command = commandByte;
        cmd.channelID = channelID;
        cmd.data = copy;
        if (slab !== null) {
          cmd.slab = slab;
          st.payloadSlab.retain(slab);
        }
        cmd.fragmentOffset = offset;
        cmd.fragmentLength = Math.min(fragmentLength, copy.length - offset);
        cmd.fragmentCount = fragmentCount;
        cmd.fragmentNumber = i;
        cmd.packetFlags = packetFlags;
        st.setupOutgoing(peer, cmd);
        // The start sequence is the same for every fragment (§8.5); setupOutgoing fills the
        // unreliable seq of unreliable fragments with it already.
        if ((commandByte & COMMAND_FLAG_ACKNOWLEDGE) !== 0) cmd.unreliableSequenceNumber = start;
      }
      return true;
    }
    if (peer.outgoingCommands.length >= st.config.maxOutgoingCommands) {
      st.stats.outgoingOverflows++;
      return false;
    }
    const cmd = st.allocCommand();
    cmd.channelID = channelID;
    cmd.data = copy;
    if (slab !== null) {
      cmd.slab = slab;
      st.payloadSlab.retain(slab);
    }
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
    st.setupOutgoing(peer, cmd);
    return true;
  }

  /** Queues `data` to every connected peer (libenet enet_host_broadcast). */
  broadcast(channelID: number, data: Uint8Array, flags: number): void {
    const st = this.#s;
    const copy = st.payloadSlab.copy(data); // one copy shared by every peer's commands
    const slab = st.payloadSlab.last;
    for (let i = 0; i < st.peers.length; i++) {
      const peer = st.peers[i]!;
      if (peer.state === PeerState.Connected) this.#sendOwned(peer, channelID, copy, slab, flags);
    }
  }

  /** §5.4 enet_peer_disconnect: graceful; a `disconnect` event follows (data 0). */
  disconnect(peer: Peer, data: number): void {
    checkU32('data', data);
    this.#s.disconnect(peer, data);
  }

  /** §5.4 enet_peer_disconnect_later: disconnect once queued outgoing data is delivered. */
  disconnectLater(peer: Peer, data: number): void {
    checkU32('data', data);
    if ((peer.state === PeerState.Connected || peer.state === PeerState.DisconnectLater)
      && (peer.outgoingCommands.length > 0 || peer.sentReliableCommands.length > 0)) {
      this.#s.changeState(peer, PeerState.DisconnectLater);
      peer.disconnectLaterData = data >>> 0;
    } else {
      this.disconnect(peer, data);
    }
  }

  /** §5.4 enet_peer_disconnect_now: sends an unsequenced DISCONNECT at once and resets; no event. */
  disconnectNow(peer: Peer, data: number): void {
    const st = this.#s;
    checkU32('data', data);
    if (peer.state === PeerState.Disconnected) return;
    if (peer.state !== PeerState.Zombie && peer.state !== PeerState.Disconnecting) {
      st.resetPeerQueues(peer);
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, data >>> 0);
      st.queueControl(peer, Command.Disconnect | COMMAND_FLAG_UNSEQUENCED, body);
      st.flushPeerNow(peer);
    }
    this.resetPeer(peer);
  }

  /** §5.3 enet_peer_reset: silent local reset (nothing sent; the remote times out). */
  resetPeer(peer: Peer): void {
    this.#s.resetPeer(peer);
  }

  /** Queues a PING (libenet enet_peer_ping); only while connected. */
  ping(peer: Peer): void {
    this.#s.ping(peer);
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
    this.#s.queueControl(peer, Command.ThrottleConfigure | COMMAND_FLAG_ACKNOWLEDGE, body);
  }

  /** §9.3 enet_host_bandwidth_limit (bytes/s, 0 = unlimited); peers learn it within ~1 s. */
  bandwidthLimit(incoming: number, outgoing: number): void {
    const st = this.#s;
    checkU32('incomingBandwidth', incoming);
    checkU32('outgoingBandwidth', outgoing);
    st.incomingBandwidth = incoming;
    st.outgoingBandwidth = outgoing;
    st.recalculateBandwidthLimits = true;
  }

  /** Channel cap for future incoming connections; 0 or > 255 = 255 (§1). */
  setChannelLimit(limit: number): void {
    checkU32('channelLimit', limit);
    this.#s.channelLimit = clampChannelLimit(limit);
  }

  /**
   * Installs (or removes, with null) the datagram checksum (§2.2). Both ends must agree; set it
   * before connecting (changing it mid-connection makes every datagram fail verification).
   */
  setChecksum(checksum: ChecksumFunction | null): void {
    this.#s.checksum = checksum;
  }

  /**
   * Installs (or removes, with null) the datagram compressor (§2.3; Godot's `compress(mode)`).
   * A host with a compressor still accepts uncompressed datagrams; one without drops
   * compressed ones.
   */
  setCompressor(compressor: Compressor | null): void {
    this.#s.compressor = compressor;
  }

  /** When true, incoming CONNECTs are ignored and counted in `stats.refusedConnects`. */
  refuseNewConnections(refuse: boolean): void {
    this.#s.refusing = refuse;
  }

  get isRefusingNewConnections(): boolean {
    return this.#s.refusing;
  }

  /**
   * meshpunch extension: while set, a CONNECT is accepted only when `filter(from)` returns true;
   * others are ignored (no slot taken, nothing sent) and counted in `stats.filteredConnects`.
   * Called once per CONNECT command from an unknown source, with a record it must not keep.
   * A throwing filter counts as false. null (the default) accepts every source.
   */
  setConnectFilter(filter: ((from: CoreEndpoint) => boolean) | null): void {
    this.#s.connectFilter = filter;
  }

  /** Resets every peer silently and stops all timers; the core does nothing afterwards. */
  destroy(): void {
    const st = this.#s;
    for (let i = 0; i < st.peers.length; i++) {
      const p = st.peers[i]!;
      if (p.state !== PeerState.Disconnected) this.resetPeer(p);
    }
    st.events.clear();
    st.urgent.clear();
    this.#destroyed = true;
  }

  get isDestroyed(): boolean {
    return this.#destroyed;
  }

  // ---------------------------------------------------------------- internals

  /** §4: fragment payload size for this peer: mtu − header − SEND_FRAGMENT (− checksum). */
  fragmentLength(peer: Peer): number {
    return peer.mtu - PROTOCOL_HEADER_SIZE - COMMAND_SIZE_TABLE[Command.SendFragment]! - (this.#s.checksum !== null ? 4 : 0);
  }
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CoreUsageError(`${name} must be an integer 0..4294967295, got ${String(v)}`, name, v);
}

