// Godot 4's ENetMultiplayerPeer over @meshpunch/enet: server, client and mesh modes with Godot's
// wire conventions (connect data = unique id, channel layout, flags). Source: godot-enet.md §2.
import { isBindIp } from './adapter/bind-ip.js';
import { checkBandwidth, checkIntRange, MAX_PEERS_PER_HOST } from './core/arguments.js';
import { enetChannelFor, enetFlagsFor, transferChannelFromEnet, transferModeFromFlags } from './core/channel-map.js';
import { ConnectionStatus, MAX_PACKET_SIZE, MAX_USER_CHANNELS, SYSCH_MAX } from './core/constants.js';
import { checkConnectId, isPeerId } from './core/peer-id.js';
import { isRoutableTarget, PeerMode, selectRecipients } from './core/routing.js';
import { defaultConnectionFactory } from './adapter/connection-factory.js';
import { destroyQuietly, HostEventBridge, HostReaper } from './adapter/host-lifecycle.js';
import { PeerTable } from './core/peer-table.js';
import type { ENetConnection, ENetPacketPeer } from '@meshpunch/enet';
import { EnetEvent, PEER_STATE_CONNECTED, type EventShape, type HostShape, type PeerShape } from './enet-shapes.js';
import { MultiplayerError } from './errors.js';
import { MultiplayerPeer, type MultiplayerPeerOptions } from './multiplayer-peer.js';

/** Construction options of ENetMultiplayerPeer. All optional. */
export interface ENetMultiplayerPeerOptions extends MultiplayerPeerOptions {
  // autoPollIntervalMs defaults to 50 here: host events drive autoPoll, the timer is a fallback.
  /**
   * Makes the (not yet created) ENetConnection used by createServer/createClient. Default: a new
   * `ENetConnection` of @meshpunch/enet. Tests inject in-memory hosts here.
   */
  createConnection?: () => HostShape;
}

/**
 * Most ENet events handled per host per `poll()`. Bounds the work of one call under a flood;
 * the rest waits for the next poll (ENet keeps them queued). 4096 ≈ a full receive burst of a
 * 32-peer server at 60 Hz with room to spare.
 */
const MAX_EVENTS_PER_POLL = 4096;

/**
 * autoPoll timer period when host events drive delivery (ms): only catches peers that went
 * inactive without an event, so it can be slow.
 */
const AUTO_POLL_FALLBACK_MS = 50;

/** Counters for bad input and refused work; never reset. */
export interface ENetMultiplayerPeerStats {
  /** CONNECTs reset because refusing, id < 2, id ≥ 2^31 or id in use (§2.5). */
  rejectedConnections: number;
  /** CONNECTs on mesh hosts reset (mesh hosts accept no new peers, §2.9). */
  rejectedMeshConnections: number;
  /** Events for peers this object does not know (e.g. already force-removed); ignored. */
  ignoredEvents: number;
  /** Sends ENet refused (recipient not CONNECTED any more, channel beyond its channel count). */
  refusedSends: number;
}

/**
 * Godot 4 `ENetMultiplayerPeer` (godot-enet.md §2). Wire-compatible with Godot 4 games: the
 * client's unique id travels as ENet CONNECT data, the server is id 1, channel 0 carries
 * reliable, channel 1 unreliable(-ordered), transfer channel k uses ENet channel k + 1, and
 * payloads have no header.
 *
 * ```ts
 * const peer = new ENetMultiplayerPeer();
 * await peer.createServer(7777);
 * peer.on('peerConnected', (id) => console.log('joined', id));
 * peer.autoPoll = true; // or call peer.poll() every frame
 * ```
 */
export class ENetMultiplayerPeer extends MultiplayerPeer {
  private peerMode: PeerMode;
  private uniqueId: number;
  private status: ConnectionStatus;
  /** Host per key: 0 for server/client, the remote peer id in mesh mode (as Godot's `hosts`). */
  private readonly hosts: Map<number, HostShape>;
  /** Connected/accepted ENet peer per unique id (as Godot's `peers` and `_net_id` meta). */
  private readonly peers: PeerTable<PeerShape>;
  private bindIp: string;
  private creating: boolean;
  private readonly createConnection: () => HostShape;
  private readonly recipients: number[];
  private readonly counters: ENetMultiplayerPeerStats;
  /** Hosts to destroy on the next event-loop turn (see {@link destroyLater}). */
  private readonly reaper: HostReaper;
  /** Hosts switched to autoService while autoPoll runs. */
  private readonly bridge: HostEventBridge;

  constructor(options: ENetMultiplayerPeerOptions = {}) {
    super({ ...options, autoPollIntervalMs: options.autoPollIntervalMs ?? AUTO_POLL_FALLBACK_MS });
    this.peerMode = PeerMode.NONE;
    this.uniqueId = 0;
    this.status = ConnectionStatus.CONNECTION_DISCONNECTED;
    this.hosts = new Map();
    this.peers = new PeerTable();
    this.bindIp = '*';
    this.creating = false;
    this.createConnection = options.createConnection ?? defaultConnectionFactory;
    this.recipients = [];
    this.counters = { rejectedConnections: 0, rejectedMeshConnections: 0, ignoredEvents: 0, refusedSends: 0 };
    this.reaper = new HostReaper();
    this.bridge = new HostEventBridge();
  }

  /** Bad-input and refusal counters (DESIGN rule 4). */
  get stats(): Readonly<ENetMultiplayerPeerStats> {
    return this.counters;
  }

  protected isActive(): boolean {
    return this.peerMode !== PeerMode.NONE;
  }

  private assertIdle(): void {
    if (this.isActive() || this.creating) {
      throw new MultiplayerError('ERR_ALREADY_IN_USE', 'the multiplayer peer is already active; call close() first');
    }
  }

  // ---- creation ----

  /**
   * Starts a server on `port` (bound to the bind IP, default all interfaces). The server's
   * unique id is 1 and its status CONNECTED at once; no event is emitted.
   *
   * Unlike Godot 4 (godot-enet.md §2.3, godot#123254) `maxChannels` really limits the channels
   * (`maxChannels + 2` ENet channels, 0 = 255) and `inBandwidth` is passed through.
   *
   * @param port UDP port 0..65535 (0 = any free port; read it from `host.getLocalPort()`).
   * @param maxClients 1..4095 simultaneous clients. @param maxChannels 0..253 user channels.
   * @param inBandwidth @param outBandwidth bytes/s, 0 = unlimited.
   * @throws MultiplayerError ERR_ALREADY_IN_USE if active, ERR_INVALID_PARAMETER for a bad
   *   argument (rejected before any socket), ERR_CANT_CREATE if the socket cannot be bound.
   */
  async createServer(port: number, maxClients = 32, maxChannels = 0, inBandwidth = 0, outBandwidth = 0): Promise<void> {
    this.assertIdle();
    checkIntRange('port', port, 0, 65535);
    checkIntRange('maxClients', maxClients, 1, MAX_PEERS_PER_HOST);
    checkIntRange('maxChannels', maxChannels, 0, MAX_USER_CHANNELS);
    checkBandwidth('inBandwidth', inBandwidth);
    checkBandwidth('outBandwidth', outBandwidth);
    this.refuseNewConnections = false;
    this.creating = true;
    let host: HostShape;
    try {
      host = await this.createHost(async (h) =>
        h.createHostBound(this.bindIp, port, maxClients, maxChannels > 0 ? maxChannels + SYSCH_MAX : 0, inBandwidth, outBandwidth),
      );
    } finally {
      this.creating = false;
    }
    this.peerMode = PeerMode.SERVER;
    this.uniqueId = 1;
    this.status = ConnectionStatus.CONNECTION_CONNECTED;
    this.hosts.set(0, host);
    this.syncAutoPoll();
  }

  /**
   * Starts connecting to a server. Status becomes CONNECTING; `peerConnected(1)` follows in a
   * later `poll()` once ENet has connected. The unique id is random in 2..2^31−1 and travels in
   * the ENet CONNECT data. With `localPort` ≠ 0 the client binds to bind IP:localPort.
   *
   * @param address IP literal or host name. @param port 1..65535.
   * @param channelCount 0..253 user channels (0 = ENet maximum).
   * @param inBandwidth @param outBandwidth bytes/s, 0 = unlimited. @param localPort 0..65535.
   * @throws MultiplayerError ERR_ALREADY_IN_USE if active; ERR_INVALID_PARAMETER for a bad
   *   channel count, bandwidth or local port; ERR_CANT_CREATE if the socket cannot be bound, the
   *   port is out of range or the address cannot be resolved (as Godot, §2.4).
   */
  async createClient(address: string, port: number, channelCount = 0, inBandwidth = 0, outBandwidth = 0, localPort = 0): Promise<void> {
    this.assertIdle();
    if (typeof address !== 'string' || address.length === 0) {
      throw new MultiplayerError('ERR_CANT_CREATE', `address must be a non-empty string, got ${String(address)}`, { got: address });
    }
    checkIntRange('port', port, 1, 65535, 'ERR_CANT_CREATE');
    checkIntRange('channelCount', channelCount, 0, MAX_USER_CHANNELS);
    checkBandwidth('inBandwidth', inBandwidth);
    checkBandwidth('outBandwidth', outBandwidth);
    checkIntRange('localPort', localPort, 0, 65535);
    this.refuseNewConnections = false;
    this.creating = true;
    let host: HostShape;
    let server: PeerShape;
    let id: number;
    try {
      host = await this.createHost(async (h) =>
        localPort !== 0 ? h.createHostBound(this.bindIp, localPort, 1, 0, inBandwidth, outBandwidth) : h.createHost(1, 0, inBandwidth, outBandwidth),
      );
      id = this.generateUniqueId();
      try {
        // Host names resolve in the socket's address family (Godot resolves in connect_to_host).
        server = await host.connectToHostAsync(address, port, channelCount > 0 ? channelCount + SYSCH_MAX : 0, id);
      } catch (err) {
        destroyQuietly(host);
        throw new MultiplayerError('ERR_CANT_CREATE', `cannot connect to ${address}:${port}: ${(err as Error).message}`, { address, port }, err);
      }
    } finally {
      this.creating = false;
    }
    this.peerMode = PeerMode.CLIENT;
    this.uniqueId = id;
    this.status = ConnectionStatus.CONNECTION_CONNECTING;
    this.peers.add(1, server);
    this.hosts.set(0, host);
    this.syncAutoPoll();
  }

  /** Makes a connection object, runs `create` on it, maps ENet errors to ours. */
  private async createHost(create: (h: HostShape) => Promise<unknown>): Promise<HostShape> {
    // A host released by close() must free its port before we bind again.
    const pending = this.reaper.pending;
    if (pending !== undefined) await pending;
    const host = this.createConnection();
    try {
      await create(host);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_INVALID_PARAMETER') throw new MultiplayerError(code, (err as Error).message, {}, err);
      throw new MultiplayerError('ERR_CANT_CREATE', `cannot create the ENet host: ${(err as Error).message}`, {}, err);
    }
    return host;
  }

  /**
   * Enters mesh mode with the given unique id (1 allowed). Status is CONNECTED at once; add
   * peers with {@link addMeshPeer}.
   * @param uniqueId 1..2^31−1.
   * @throws MultiplayerError ERR_INVALID_PARAMETER for a bad id, ERR_ALREADY_IN_USE if active.
   */
  createMesh(uniqueId: number): void {
    if (!isPeerId(uniqueId)) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `uniqueId must be an integer 1..2147483647, got ${String(uniqueId)}`, { got: uniqueId });
    }
    this.assertIdle();
    this.refuseNewConnections = false;
    this.peerMode = PeerMode.MESH;
    this.uniqueId = uniqueId;
    this.status = ConnectionStatus.CONNECTION_CONNECTED;
    this.syncAutoPoll();
  }

  /**
   * Adds a mesh peer: `host` must hold exactly one ENet peer, in state CONNECTED (the caller
   * bound, connected/punched and serviced it). Ownership of `host` passes to this object: it is
   * serviced by `poll()` (its `autoService` is switched off) and destroyed when the peer leaves
   * or on `close()`; its `intercept` hook is left as is. Emits
   * `peerConnected(peerId)` synchronously.
   *
   * Stricter than Godot (which overwrites silently): `peerId` must be a valid id other than our
   * own and not already in the mesh.
   * @throws MultiplayerError ERR_INVALID_PARAMETER for a missing host, a host without exactly
   *   one CONNECTED peer, or a bad id; ERR_UNCONFIGURED if not in mesh mode (call createMesh);
   *   ERR_ALREADY_IN_USE if `peerId` is already a mesh peer.
   */
  addMeshPeer(peerId: number, host: ENetConnection | HostShape): void {
    if (host === null || host === undefined) throw new MultiplayerError('ERR_INVALID_PARAMETER', 'host must be an ENetConnection, got ' + String(host));
    if (this.peerMode !== PeerMode.MESH) {
      throw new MultiplayerError('ERR_UNCONFIGURED', 'the multiplayer peer is not configured as a mesh; call createMesh() first');
    }
    const hostPeers = host.getPeers();
    if (hostPeers.length !== 1 || hostPeers[0]!.getState() !== PEER_STATE_CONNECTED) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', 'the host must have exactly one peer in the CONNECTED state', {
        peers: hostPeers.length,
        state: hostPeers.length === 1 ? hostPeers[0]!.getState() : undefined,
      });
    }
    if (!isPeerId(peerId) || peerId === this.uniqueId) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `peerId must be an integer 1..2147483647 other than our own id ${this.uniqueId}, got ${String(peerId)}`, {
        got: peerId,
      });
    }
    if (this.peers.has(peerId)) throw new MultiplayerError('ERR_ALREADY_IN_USE', `peer ${peerId} is already in the mesh`, { peerId });
    const peer = hostPeers[0]!;
    // poll() reads events with serviceSync(), which an autoService host never feeds.
    if (host.autoService === true) host.autoService = false;
    this.hosts.set(peerId, host);
    this.peers.add(peerId, peer);
    this.emit('peerConnected', peerId);
    if (this.autoPoll && this.hosts.get(peerId) === host) this.listen(peerId, host);
  }

  // ---- sending ----

  /**
   * Sends `data` (copied) to the target peer with the current transfer mode and channel, then
   * flushes, so one call usually produces a UDP datagram at once (§2.7). A recipient whose ENet
   * peer refuses the packet is skipped and counted in `stats.refusedSends` (Godot ignores it).
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive or not CONNECTED yet;
   *   ERR_INVALID_PARAMETER if the target is not 0 and |target| is not a connected peer, or the
   *   payload is not a Uint8Array of at most 2^24 bytes; ERR_BUG if a client lost its server peer.
   */
  putPacket(data: Uint8Array): void {
    if (!this.isActive()) throw new MultiplayerError('ERR_UNCONFIGURED', 'the multiplayer peer is not active');
    if (this.status !== ConnectionStatus.CONNECTION_CONNECTED) {
      throw new MultiplayerError('ERR_UNCONFIGURED', 'the multiplayer peer is not connected yet');
    }
    if (!(data instanceof Uint8Array) || data.length > MAX_PACKET_SIZE) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `packet must be a Uint8Array of at most ${MAX_PACKET_SIZE} bytes`, {
        got: data instanceof Uint8Array ? data.length : typeof data,
        limit: MAX_PACKET_SIZE,
      });
    }
    const target = this.targetPeer;
    if (!isRoutableTarget(target, (id) => this.peers.has(id))) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `invalid target peer: ${target}`, { target });
    }
    if (this.peerMode === PeerMode.CLIENT && !this.peers.has(1)) throw new MultiplayerError('ERR_BUG', 'client has no server peer');

    const mode = this.transferMode;
    const channel = enetChannelFor(mode, this.transferChannel);
    const flags = enetFlagsFor(mode);
    const n = selectRecipients(this.peerMode, target, this.peers.ids, this.recipients);
    for (let i = 0; i < n; i++) {
      const id = this.recipients[i]!;
      const peer = this.peers.get(id);
      if (peer === undefined) continue;
      // ENetPacketPeer.send copies the payload. A refusal (peer already disconnecting, channel
      // beyond what it negotiated) is counted and otherwise ignored, as Godot does (§10.4).
      if (peer.send(channel, data, flags) === false) this.counters.refusedSends++;
      if (this.peerMode === PeerMode.MESH) this.hosts.get(id)?.flush();
    }
    if (this.peerMode !== PeerMode.MESH) this.hosts.get(0)?.flush();
  }

  // ---- polling ----

  /**
   * Processes network events without blocking: drops peers that went inactive, then services
   * the host(s) once and handles every ready event (at most 4096 per host), emitting
   * `peerConnected`, `peerDisconnected` and queueing (or emitting) packets. Does nothing when
   * inactive (Godot prints an error).
   */
  poll(): void {
    if (!this.isActive()) return;
    this.disconnectInactivePeers();
    if (this.peerMode === PeerMode.CLIENT && !this.peers.has(1)) {
      this.close();
      return;
    }
    // Snapshot: handling an event may drop a mesh host or close everything.
    const keys = [...this.hosts.keys()];
    for (const key of keys) {
      const host = this.hosts.get(key);
      if (host === undefined) continue;
      for (let n = 0; n < MAX_EVENTS_PER_POLL && this.hosts.get(key) === host; n++) {
        const ev = host.serviceSync();
        if (ev.type === EnetEvent.NONE || !this.handleEvent(key, ev)) break;
      }
      if (!this.isActive()) return;
    }
  }

  /**
   * Godot's per-mode event handling (§2.6 table). Returns false when the host must not be
   * drained further (it was dropped or everything was closed).
   */
  private handleEvent(key: number, ev: EventShape): boolean {
    switch (this.peerMode) {
      case PeerMode.CLIENT:
        return this.handleClientEvent(ev);
      case PeerMode.SERVER:
        return this.handleServerEvent(ev);
      case PeerMode.MESH:
        return this.handleMeshEvent(key, ev);
      default:
        return false;
    }
  }

  private handleClientEvent(ev: EventShape): boolean {
    switch (ev.type) {
      case EnetEvent.CONNECT:
        this.status = ConnectionStatus.CONNECTION_CONNECTED;
        this.emit('peerConnected', 1);
        return true;
      case EnetEvent.DISCONNECT: {
        // A failed attempt (still CONNECTING) emits nothing (§2.6).
        const wasConnected = this.status === ConnectionStatus.CONNECTION_CONNECTED;
        try {
          if (wasConnected) this.emit('peerDisconnected', 1);
        } finally {
          this.close();
        }
        return false;
      }
      case EnetEvent.RECEIVE:
        this.store(1, ev);
        return true;
      default:
        this.close();
        return false;
    }
  }

  private handleServerEvent(ev: EventShape): boolean {
    switch (ev.type) {
      case EnetEvent.CONNECT:
        this.acceptClient(ev);
        return true;
      case EnetEvent.DISCONNECT: {
        const id = ev.peer === undefined ? undefined : this.peers.idOf(ev.peer);
        if (id === undefined || this.peers.get(id) !== ev.peer) {
          // Never accepted, or already force-removed: no signal (§2.6).
          this.counters.ignoredEvents++;
          return true;
        }
        this.peers.remove(id);
        this.emit('peerDisconnected', id);
        return this.isActive();
      }
      case EnetEvent.RECEIVE: {
        const id = ev.peer === undefined ? undefined : this.peers.idOf(ev.peer);
        if (id === undefined) this.counters.ignoredEvents++;
        else this.store(id, ev);
        return true;
      }
      default:
        // Godot closes the whole server on a host error, without signals (§2.6, §10.7).
        this.close();
        return false;
    }
  }

  /** Server side of the handshake (§2.5): validate the id in the CONNECT data or reset. */
  private acceptClient(ev: EventShape): void {
    const peer = ev.peer;
    if (peer === undefined) {
      this.counters.ignoredEvents++;
      return;
    }
    const why = checkConnectId(ev.data, this.refusing, (id) => this.peers.has(id));
    if (why !== undefined) {
      this.counters.rejectedConnections++;
      peer.reset();
      return;
    }
    const id = ev.data >>> 0;
    this.peers.add(id, peer);
    this.emit('peerConnected', id);
  }

  private handleMeshEvent(id: number, ev: EventShape): boolean {
    const meshPeer = this.peers.get(id);
    if (ev.type === EnetEvent.CONNECT) {
      // Mesh hosts accept no new peers (§2.9). Our own peer's CONNECT may still be queued if
      // the caller watched getState() instead of service events; Godot would reset it too.
      if (ev.peer !== undefined && ev.peer !== meshPeer) {
        this.counters.rejectedMeshConnections++;
        ev.peer.reset();
      }
      return true;
    }
    if (ev.type === EnetEvent.RECEIVE) {
      if (ev.peer !== undefined && ev.peer !== meshPeer) this.counters.ignoredEvents++;
      else this.store(id, ev);
      return true;
    }
    // DISCONNECT or ERROR on a mesh host: that link is gone (§2.6).
    this.dropMeshHost(id);
    if (meshPeer !== undefined) {
      this.peers.remove(id);
      this.emit('peerDisconnected', id);
    }
    return false;
  }

  /** Godot's `_disconnect_inactive_peers` (§2.6 step 2). */
  private disconnectInactivePeers(): void {
    let dropped: number[] | undefined;
    for (const [id, peer] of this.peers.entries()) {
      if (!peer.isActive()) (dropped ??= []).push(id);
    }
    if (dropped === undefined) return;
    for (const id of dropped) {
      const peer = this.peers.get(id);
      if (peer === undefined) continue;
      this.peers.remove(id);
      if (this.peerMode === PeerMode.MESH) this.dropMeshHost(id);
      if (this.peerMode === PeerMode.CLIENT) {
        // A failed attempt (still CONNECTING) emits nothing, as the DISCONNECT path (§2.6).
        const wasConnected = this.status === ConnectionStatus.CONNECTION_CONNECTED;
        try {
          if (wasConnected) this.emit('peerDisconnected', id);
        } finally {
          this.close();
        }
        return;
      }
      this.emit('peerDisconnected', id);
      if (!this.isActive()) return;
    }
  }

  private dropMeshHost(id: number): void {
    const host = this.hosts.get(id);
    if (host === undefined) return;
    this.hosts.delete(id);
    this.destroyLater(host);
  }

  /** Stops listening to `host` and destroys it on the next event-loop turn (see HostReaper). */
  private destroyLater(host: HostShape): void {
    this.bridge.unlisten(host);
    this.reaper.destroyLater(host);
  }

  /**
   * autoPoll, event-driven: the host emits its events as datagrams arrive (autoService) and we
   * handle each at once, so latency is not bounded by the autoPoll timer.
   */
  protected override onAutoPollChanged(on: boolean): void {
    if (on) {
      for (const [key, host] of this.hosts) this.listen(key, host);
    } else {
      this.bridge.unlistenAll();
    }
  }

  private listen(key: number, host: HostShape): void {
    this.bridge.listen(host, (ev) => {
      if (this.hosts.get(key) === host) this.handleEvent(key, ev);
    });
  }

  private store(from: number, ev: EventShape): void {
    const data = ev.packet ?? new Uint8Array(0);
    this.deliverPacket(data, from, transferChannelFromEnet(ev.channel), transferModeFromFlags(ev.flags ?? 0));
  }

  // ---- closing ----

  /**
   * Drops every connection at once (§2.8): CONNECTED ENet peers get an immediate DISCONNECT,
   * hosts are flushed and destroyed (their sockets close on the next event-loop turn, after the
   * DISCONNECT datagrams left; a new create* on this object waits for that), queued packets are discarded, the status becomes
   * DISCONNECTED and the unique id 0. Emits no `peerDisconnected`. No-op when inactive.
   */
  close(): void {
    if (!this.isActive()) return;
    for (const peer of this.peers.values()) {
      if (peer.getState() === PEER_STATE_CONNECTED) {
        try {
          peer.peerDisconnectNow(0);
        } catch {
          // A peer that cannot be disconnected any more is gone anyway.
        }
      }
    }
    const hosts = [...this.hosts.values()];
    for (const host of hosts) {
      try {
        host.flush();
      } catch {
        // Destroyed below either way.
      }
    }
    this.peerMode = PeerMode.NONE;
    this.queue.clear();
    this.peers.clear();
    this.hosts.clear();
    this.uniqueId = 0;
    this.status = ConnectionStatus.CONNECTION_DISCONNECTED;
    this.refusing = false;
    for (const host of hosts) this.destroyLater(host);
    this.syncAutoPoll();
  }

  /**
   * Disconnects one peer gracefully (ENet DISCONNECT, data 0) and flushes. `peerDisconnected(id)`
   * follows in a later `poll()` when ENet confirms. With `force`, the peer is forgotten at once
   * and no `peerDisconnected` is emitted; a client forcing its server (id 1) closes itself; a
   * mesh peer's host is destroyed.
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive, ERR_INVALID_PARAMETER if `id` is
   *   not a connected peer.
   */
  disconnectPeer(id: number, force = false): void {
    if (!this.isActive()) throw new MultiplayerError('ERR_UNCONFIGURED', 'the multiplayer peer is not active');
    const peer = this.peers.get(id);
    if (peer === undefined) throw new MultiplayerError('ERR_INVALID_PARAMETER', `peer ${id} is not connected`, { peerId: id });
    peer.peerDisconnect(0);
    const hostKey = this.peerMode === PeerMode.MESH ? id : 0;
    this.hosts.get(hostKey)?.flush();
    if (!force) return;
    this.peers.remove(id);
    if (this.peerMode === PeerMode.MESH) this.dropMeshHost(id);
    if (this.peerMode === PeerMode.CLIENT) this.close();
  }

  // ---- queries ----

  /** Current status: DISCONNECTED, CONNECTING (client before ENet connect) or CONNECTED. */
  getConnectionStatus(): ConnectionStatus {
    return this.status;
  }

  /**
   * Our unique id: 1 for a server, the random id of a client, the given id in a mesh.
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive (Godot returns 0 with an error).
   */
  getUniqueId(): number {
    if (!this.isActive()) throw new MultiplayerError('ERR_UNCONFIGURED', 'the multiplayer peer is not active');
    return this.uniqueId;
  }

  /** True in server mode. */
  override isServer(): boolean {
    return this.peerMode === PeerMode.SERVER;
  }

  /** True in server and client mode (the upper layer may relay), false in mesh mode. */
  override isServerRelaySupported(): boolean {
    return this.peerMode === PeerMode.SERVER || this.peerMode === PeerMode.CLIENT;
  }

  /**
   * The ENet host of a server or client, or null when inactive or in mesh mode (Godot returns
   * null with an error there).
   */
  get host(): ENetConnection | null {
    if (this.peerMode === PeerMode.NONE || this.peerMode === PeerMode.MESH) return null;
    return (this.hosts.get(0) as ENetConnection | undefined) ?? null;
  }
  /** Godot `get_host()`; same as {@link host}. */
  getHost(): ENetConnection | null {
    return this.host;
  }

  /**
   * The ENet peer of a connected unique id (a client only has 1, the server).
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive, ERR_INVALID_PARAMETER if `id` is not
   *   connected.
   */
  getPeer(id: number): ENetPacketPeer {
    if (!this.isActive()) throw new MultiplayerError('ERR_UNCONFIGURED', 'the multiplayer peer is not active');
    const peer = this.peers.get(id);
    if (peer === undefined) throw new MultiplayerError('ERR_INVALID_PARAMETER', `peer ${id} is not connected`, { peerId: id });
    return peer as ENetPacketPeer;
  }

  /**
   * Sets the IP createServer (and createClient with a local port) binds to; `"*"` (default) is
   * every interface.
   * @throws MultiplayerError ERR_INVALID_PARAMETER if `ip` is neither an IP literal nor `"*"`.
   */
  setBindIp(ip: string): void {
    if (!isBindIp(ip)) throw new MultiplayerError('ERR_INVALID_PARAMETER', `bind IP must be an IPv4/IPv6 address or "*", got ${String(ip)}`, { got: ip });
    this.bindIp = ip;
  }
}
