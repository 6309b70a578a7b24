// Adapter: ENetConnection — Godot's host wrapper (docs/specs/godot-enet.md §5): argument checks
// and the Godot API over the parts that do the work, one host at a time:
//   host-socket.ts      the UDP socket: binding, dual-stack, address forms, raw sends
//   core-driver.ts      the core (plain or DTLS) driven by that socket and one timer
//   zero-copy-sender.ts ENet's datagrams leaving without a copy, failed sends sampled
//   event-delivery.ts   who gets each event (service(), serviceSync() or autoService), socket failures
//   compressor-registry.ts, connection-arguments.ts  compress(mode)'s factories; argument ranges
// Whoever takes the events, the network is serviced continuously: datagrams go to the core the
// moment they arrive and one timer runs ACKs, retransmissions and pings between service() calls.
import { randomFillSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { unmappedIp } from '@meshpunch/base';
import type { ChecksumFunction, Compressor } from '../core/config.js';
import { PROTOCOL_MAXIMUM_PEER_ID } from '../core/constants.js';
import type { CoreEndpoint } from '../core/host-context.js';
import { HostCore } from '../core/host.js';
import { SecureHost } from '../core/secure-host.js';
import type { HostStatistics } from '../core/statistics.js';
import { ENetError } from '../errors.js';
import { compressorFor } from './compressor-registry.js';
import { checkDatagram, connectFilterOf, intArg, resolveConnectionOptions, type AcceptedSource, type ENetConnectionOptions } from './connection-arguments.js';
import { CoreDriver, type DriverHooks } from './core-driver.js';
import { CompressionMode, EventType, FLAG_ALLOWED, HostStatistic, type CompressionModeValue, type HostStatisticValue } from './enums.js';
import { ENetPacketPeer, toU32, type PeerOwner } from './enet-packet-peer.js';
import { EventDelivery, NONE_EVENT, type ENetConnectionEvents, type ENetEvent } from './event-delivery.js';
import { familyOf, HostSocket, resolveAddress, type DatagramSource } from './host-socket.js';
import { dtlsTransportFor, type TLSOptions } from './tls-options.js';

/** An ENet host on one UDP socket (Godot ENetConnection). */
export class ENetConnection extends EventEmitter<ENetConnectionEvents> implements PeerOwner, DriverHooks {
  /**
   * Sees every incoming datagram before ENet; returning true consumes it (STUN responses and
   * punch probes share the ENet socket this way). Addresses are canonical (v4-mapped → IPv4).
   * A hook that throws loses that datagram (counted in `interceptErrors`).
   */
  intercept: ((from: DatagramSource, bytes: Uint8Array) => boolean) | null = null;
  /**
   * meshpunch extension for a path layer below ENet (relay.md §3 "Moving a live ENet peer"):
   * sees every ENet datagram before it goes to the socket; returning true means the hook sent
   * it (e.g. through a TURN relay) and the socket does not. `to` is the peer's endpoint as ENet
   * knows it (its fixed virtual endpoint); `to` and `bytes` are reused after the call returns,
   * so a hook that keeps the bytes copies them. A hook that throws loses that datagram (counted
   * in `egressErrors`). Raw `socketSend` datagrams (punch probes, STUN) do not pass here.
   */
  egress: ((to: DatagramSource, bytes: Uint8Array) => boolean) | null = null;
  readonly #options: Readonly<ENetConnectionOptions>;
  #connectFilter: ((from: CoreEndpoint) => boolean) | null = null;
  readonly #events = new EventDelivery(this, this);
  /** The running host, from createHost to destroy(). */
  #driver: CoreDriver | null = null;
  #statBase = [0, 0, 0, 0];
  #lastDeliverRaw = '';
  #lastDeliverSource = '';
  /** Socket errors (failed sends) seen so far. */
  sendErrors = 0;
  /** Datagrams dropped because `intercept` threw. */
  interceptErrors = 0;
  /** ENet datagrams dropped because `egress` threw. */
  egressErrors = 0;
  /** ENet datagrams `egress` sent instead of the socket. */
  egressHandled = 0;
  /** Datagrams handed to ENet through `deliver`. */
  delivered = 0;
  /**
   * Times node:dgram queued a datagram instead of sending it at once, so its bytes could not
   * be reused (the kernel send buffer was full); each costs one fresh scratch buffer.
   */
  queuedScratchSwaps = 0;

  /**
   * @param options meshpunch extension: ENet limits beyond Godot's API (validated here).
   * @throws ENetError ERR_INVALID_PARAMETER for an option out of range.
   */
  constructor(options: ENetConnectionOptions = {}) {
    super();
    this.#options = resolveConnectionOptions(options);
  }

  /**
   * meshpunch extension (docs/godot-api-map.md): accept incoming CONNECTs only from these
   * sources. A list of `{ address, port? }` (no port = any port of that IP) or a predicate of
   * the canonical source address and port; null (the default) accepts everyone. Others are
   * ignored without taking a slot and counted in `statistics.filteredConnects`. Outgoing
   * connections are not affected. Kept across destroy()/createHost.
   * @throws ENetError ERR_INVALID_PARAMETER for an entry that is not an IP literal or a bad port.
   */
  acceptFrom(sources: readonly AcceptedSource[] | ((address: string, port: number) => boolean) | null): void {
    const filter = connectFilterOf(sources);
    this.#connectFilter = filter;
    this.#driver?.core.setConnectFilter(filter);
  }

  /** @internal PeerOwner */
  get coreOrNull(): HostCore | null {
    return this.#driver === null ? null : this.#driver.core;
  }

  /** The core's counters (drops by reason, totals), or null without a host. */
  get statistics(): HostStatistics | null {
    return this.#driver === null ? null : this.#driver.core.stats;
  }

  /** Who gets events (event-delivery.ts): false (default) service() calls, true emitted at once. */
  get autoService(): boolean {
    return this.#events.autoService;
  }

  set autoService(on: boolean) {
    this.#events.autoService = on;
  }

  /**
   * Creates the host on a random port of all interfaces (IPv4 and IPv6).
   * @throws ENetError ERR_ALREADY_IN_USE, ERR_INVALID_PARAMETER, ERR_CANT_CREATE.
   */
  async createHost(maxPeers = 32, maxChannels = 0, inBandwidth = 0, outBandwidth = 0): Promise<void> {
    return this.createHostBound('*', 0, maxPeers, maxChannels, inBandwidth, outBandwidth);
  }

  /**
   * Creates the host bound to `bindAddress` ("*" = all interfaces, dual-stack when the OS has
   * IPv6) and `bindPort` (0 = random). `maxPeers` 1..4095, `maxChannels` 0..255 (0 = 255),
   * bandwidths in bytes/s (0 = unlimited).
   * @throws ENetError ERR_ALREADY_IN_USE when a host exists, ERR_INVALID_PARAMETER for bad
   * arguments, ERR_CANT_CREATE when the socket cannot be bound (port taken, address not local).
   */
  async createHostBound(bindAddress: string, bindPort: number, maxPeers = 32, maxChannels = 0, inBandwidth = 0, outBandwidth = 0): Promise<void> {
    if (this.#driver !== null) throw new ENetError('ERR_ALREADY_IN_USE', 'createHost was already called on this ENetConnection; destroy() it first', {});
    const addr = bindAddress === '*' ? '*' : unmappedIp(bindAddress);
    if (addr === undefined) throw new ENetError('ERR_INVALID_PARAMETER', `bindAddress must be "*" or an IP address, got ${JSON.stringify(bindAddress)}`, { argument: 'bindAddress', got: bindAddress });
    intArg('bindPort', bindPort, 0, 65535);
    intArg('maxPeers', maxPeers, 1, PROTOCOL_MAXIMUM_PEER_ID);
    intArg('maxChannels', maxChannels, 0, 255);
    intArg('inBandwidth', inBandwidth, 0, 0xffffffff);
    intArg('outBandwidth', outBandwidth, 0, 0xffffffff);
    const socket = await HostSocket.open(addr, bindPort);
    if (this.#driver !== null) {
      socket.close();
      throw new ENetError('ERR_ALREADY_IN_USE', 'createHost was already called on this ENetConnection; destroy() it first', {});
    }
    this.#statBase = [0, 0, 0, 0];
    const core = new HostCore({
      peerCount: maxPeers,
      channelLimit: maxChannels,
      incomingBandwidth: inBandwidth,
      outgoingBandwidth: outBandwidth,
      ...this.#options,
      random: (out) => randomFillSync(out),
    });
    core.setConnectFilter(this.#connectFilter);
    this.#driver = new CoreDriver(core, socket, this.#events, this);
    this.#events.attach(core);
  }

  #requireHost(what: string): CoreDriver {
    if (this.#driver === null) throw new ENetError('ERR_UNCONFIGURED', `${what} needs a host; call createHost or createHostBound first`, {});
    return this.#driver;
  }

  /**
   * Starts connecting to `address:port` (IP literal or "localhost") with `channels` channels
   * (0 = 255) and the 32-bit `data` the remote sees in its CONNECT event. Returns the peer in
   * state CONNECTING at once; use `connectToHostAsync` for host names. As Godot
   * (godot-enet.md §5.3), a host that already has a peer (connecting, connected or
   * disconnecting; incoming or outgoing) connects to nothing else: one host, one peer.
   * @throws ENetError ERR_UNCONFIGURED without a host, ERR_ALREADY_IN_USE when the host already
   * has a peer, ERR_INVALID_PARAMETER for bad arguments or an address family the socket cannot
   * reach, ERR_CANT_RESOLVE for a host name, ERR_CANT_CREATE when every peer slot is in use.
   */
  connectToHost(address: string, port: number, channels = 0, data = 0): ENetPacketPeer {
    const driver = this.#requireHost('connectToHost');
    const core = driver.core;
    const has = this.#events.activePeerCount();
    if (has > 0) {
      throw new ENetError('ERR_ALREADY_IN_USE', `connectToHost needs a host without peers (Godot: "already connected to a peer"), this one has ${has}`, { peers: has });
    }
    intArg('port', port, 1, 65535);
    intArg('channels', channels, 0, 255);
    const u = toU32('data', data);
    const socket = driver.socket;
    const addr = socket.literal(address);
    if (addr === null) throw new ENetError('ERR_CANT_RESOLVE', `connectToHost takes an IP address, got ${JSON.stringify(address)}; use connectToHostAsync for host names`, { address });
    if (!socket.reachable(addr)) {
      throw new ENetError('ERR_INVALID_PARAMETER', `address ${addr} is IPv${familyOf(addr)} but the host socket is IPv${socket.family} only`, { address: addr, family: socket.family });
    }
    const peer = core.connect(addr, port, channels === 0 ? 255 : channels, u);
    if (peer === null) throw new ENetError('ERR_CANT_CREATE', `no free peer slot: all ${core.peers.length} are in use`, { limit: core.peers.length });
    const wrapper = new ENetPacketPeer(this, peer);
    peer.user = wrapper;
    this.#events.track(wrapper);
    driver.scheduleFlush();
    return wrapper;
  }

  /**
   * `connectToHost` after resolving a host name (node:dns lookup, family matching the socket).
   * @throws ENetError ERR_CANT_RESOLVE when the name does not resolve, plus connectToHost's codes.
   */
  async connectToHostAsync(address: string, port: number, channels = 0, data = 0): Promise<ENetPacketPeer> {
    return this.connectToHost(await this.#resolve(address), port, channels, data);
  }

  /** `address` itself when it is a literal, else its node:dns lookup in the socket's family. */
  #resolve(address: string): Promise<string> {
    const socket = this.#driver?.socket;
    return resolveAddress(address, socket?.family ?? 4, socket?.dualStack ?? false);
  }

  /**
   * Waits up to `timeoutMs` (0 = do not wait) for the next event. Due timers run and queued
   * output is flushed first. Resolves NONE on timeout, in autoService mode, or on destroy;
   * ERROR (with `error`) after a socket failure (see serviceSync).
   * @throws ENetError ERR_UNCONFIGURED without a host; ERR_INVALID_PARAMETER for a bad timeout.
   */
  async service(timeoutMs = 0): Promise<ENetEvent> {
    intArg('timeoutMs', timeoutMs, 0, 0x7fffffff);
    const ev = this.serviceSync();
    if (ev.type !== EventType.NONE || timeoutMs === 0 || this.#events.autoService) return ev;
    return this.#events.wait(timeoutMs);
  }

  /**
   * Synchronous service: returns the next queued event; when none is queued, runs due timers,
   * flushes output and returns what that produced, or NONE (always NONE in autoService mode).
   * For frame-driven loops (Godot's `poll()`): call it until it returns NONE or ERROR.
   * Godot returns EVENT_ERROR when libenet's service fails (godot-enet.md §5.4); here that is
   * the socket failing: after a socket 'error' or a failed send (ENet's sends are checked once
   * per second (zero-copy-sender.ts), as node:dgram reports nothing else) the next call returns one ERROR
   * (queued events first), and once the socket closed underneath every call returns ERROR until
   * `destroy()`. The event's `error` says why (ENET_SOCKET_ERROR, `cause` = Node's error).
   * @throws ENetError ERR_UNCONFIGURED without a host.
   */
  serviceSync(): ENetEvent {
    const driver = this.#requireHost('serviceSync');
    const events = this.#events;
    if (!events.autoService) {
      // libenet's service returns an already-dispatched event at once, without I/O (§10).
      const queued = events.next();
      if (queued !== undefined) return queued;
      const failed = events.takeSocketError();
      if (failed !== undefined) return failed;
    }
    driver.serviceDue();
    if (events.autoService) return NONE_EVENT;
    return events.next() ?? NONE_EVENT;
  }

  /**
   * Godot `dtls_server_setup(server_options)`: from now on every ENet datagram of this host
   * travels as DTLS 1.2 application data, one DTLS session per remote on the host's socket
   * (up to the host's peer count), after a cookie exchange. Plain ENet can no longer reach it.
   * Call right after createHost*. `options`: `TLSOptions.server(…)` or `TLSOptions.pinned(…)`.
   * @throws ENetError ERR_UNCONFIGURED without a host, ERR_ALREADY_IN_USE when DTLS is already
   * set up, ERR_INVALID_PARAMETER for client options or options DTLS refuses.
   */
  dtlsServerSetup(options: TLSOptions): void {
    this.#setupDtls('server', options, '');
  }

  /**
   * Godot `dtls_client_setup(hostname, client_options)`: ENet datagrams to a remote go as DTLS
   * application data once a handshake with it succeeds (started by the first datagram; ENet's
   * CONNECT waits for it). Verification is on unless `TLSOptions.clientUnsafe()`; `hostname` is
   * the name the server certificate must carry (TLSOptions.client). Call before connectToHost
   * (or in the same event-loop turn: nothing leaves before the turn ends).
   * @throws ENetError as dtlsServerSetup, and ERR_INVALID_PARAMETER for server options.
   */
  dtlsClientSetup(hostname: string, options: TLSOptions): void {
    if (typeof hostname !== 'string') throw new ENetError('ERR_INVALID_PARAMETER', `hostname must be a string, got ${typeof hostname}`, { argument: 'hostname' });
    this.#setupDtls('client', options, hostname);
  }

  /** Whether dtlsServerSetup / dtlsClientSetup made this host DTLS (meshpunch extension). */
  isDtls(): boolean {
    return this.#driver !== null && this.#driver.secure !== null;
  }

  #setupDtls(role: 'client' | 'server', options: TLSOptions, hostname: string): void {
    const driver = this.#requireHost(role === 'server' ? 'dtlsServerSetup' : 'dtlsClientSetup');
    if (driver.secure !== null) throw new ENetError('ERR_ALREADY_IN_USE', 'DTLS is already set up on this host; destroy() it and create a new one', {});
    const core = driver.core;
    driver.secureWith(new SecureHost(core, dtlsTransportFor(role, options, hostname, core.peers.length)));
  }

  /** Sends everything queued now (Godot flush). @throws ENetError ERR_UNCONFIGURED */
  flush(): void {
    this.#requireHost('flush').flush();
  }

  /**
   * Queues `packet` to every connected peer. @throws ENetError ERR_UNCONFIGURED,
   * ERR_INVALID_PARAMETER for a channel ≥ the host's channel limit or unknown flags.
   */
  broadcast(channel: number, packet: Uint8Array, flags: number): void {
    const driver = this.#requireHost('broadcast');
    const core = driver.core;
    intArg('channel', channel, 0, core.channelLimit - 1);
    if (!(packet instanceof Uint8Array)) throw new ENetError('ERR_INVALID_PARAMETER', `packet must be a Uint8Array, got ${typeof packet}`, { argument: 'packet' });
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~FLAG_ALLOWED) !== 0) {
      throw new ENetError('ERR_INVALID_PARAMETER', `flags must be a combination of 1, 2 and 8, got ${String(flags)}`, { argument: 'flags', got: flags });
    }
    core.broadcast(channel, packet, flags);
    driver.scheduleFlush();
  }

  /** Host bandwidth in bytes/s (0 = unlimited); peers are told within ~1 s. @throws ENetError */
  bandwidthLimit(inBandwidth = 0, outBandwidth = 0): void {
    const driver = this.#requireHost('bandwidthLimit');
    driver.core.bandwidthLimit(intArg('inBandwidth', inBandwidth, 0, 0xffffffff), intArg('outBandwidth', outBandwidth, 0, 0xffffffff));
    driver.rearm();
  }

  /** Channel cap for future incoming connections (0 = 255). @throws ENetError */
  channelLimit(limit: number): void {
    this.#requireHost('channelLimit').core.setChannelLimit(intArg('limit', limit, 0, 255));
  }

  /**
   * meshpunch extension: while true, incoming CONNECTs are ignored (the remote times out) and
   * counted in `statistics.refusedConnects`. Godot only applies this to DTLS servers.
   */
  refuseNewConnections(refuse: boolean): void {
    this.#requireHost('refuseNewConnections').core.refuseNewConnections(refuse);
  }

  /**
   * Sends a raw (non-ENet) datagram from the host's socket — NAT punching, STUN. `address` is
   * an IP literal or "localhost"; Godot's `socket_send` also resolves host names, which needs
   * an await here: use `socketSendAsync`. A send that fails (or a socket already closed) is
   * only counted in `sendErrors`: Godot's `socket_send` prints an error and returns, and a punch
   * probe to an unroutable candidate must not fail the host (ENet's own sends do, see serviceSync).
   * @throws ENetError ERR_UNCONFIGURED, ERR_CANT_RESOLVE for a host name, ERR_INVALID_PARAMETER
   * for a bad port or size or an address family the socket cannot reach.
   */
  socketSend(address: string, port: number, bytes: Uint8Array): void {
    const socket = this.#requireHost('socketSend').socket;
    intArg('port', port, 1, 65535);
    const addr = socket.literal(address);
    if (addr === null) throw new ENetError('ERR_CANT_RESOLVE', `socketSend takes an IP address, got ${JSON.stringify(address)}; use socketSendAsync for host names`, { address });
    if (!socket.reachable(addr)) throw new ENetError('ERR_INVALID_PARAMETER', `address ${addr} is IPv${familyOf(addr)} but the host socket is IPv${socket.family} only`, { address: addr });
    checkDatagram(bytes);
    if (!socket.isOpen) {
      this.sendErrors++;
      return;
    }
    socket.sendCopy(bytes, port, addr, () => this.sendErrors++);
  }

  /**
   * `socketSend` after resolving a host name (node:dns lookup, family matching the socket), as
   * Godot's `socket_send` does (godot-enet.md §5.5). Arguments are checked and the bytes
   * copied before the lookup.
   * @throws ENetError ERR_CANT_RESOLVE when the name does not resolve, plus socketSend's codes (rejects).
   */
  async socketSendAsync(address: string, port: number, bytes: Uint8Array): Promise<void> {
    this.#requireHost('socketSendAsync');
    intArg('port', port, 1, 65535);
    checkDatagram(bytes);
    const copy = bytes.slice();
    this.socketSend(await this.#resolve(address), port, copy);
  }

  /** The bound UDP port. @throws ENetError ERR_UNCONFIGURED without a host or after its socket closed */
  getLocalPort(): number {
    const socket = this.#requireHost('getLocalPort').socket;
    if (!socket.isOpen) throw new ENetError('ERR_UNCONFIGURED', 'getLocalPort needs an open socket; this host\'s socket closed (service() reports ERROR until destroy())', {});
    return socket.localPort;
  }

  /** The bind address ("*" for all interfaces). @throws ENetError ERR_UNCONFIGURED */
  getLocalAddress(): string {
    return this.#requireHost('getLocalAddress').socket.bindAddress;
  }

  /** Channel limit for incoming connections. @throws ENetError ERR_UNCONFIGURED */
  getMaxChannels(): number {
    return this.#requireHost('getMaxChannels').core.channelLimit;
  }

  /** Peers known to this host (connecting, connected or disconnecting). */
  getPeers(): ENetPacketPeer[] {
    return this.#events.peers();
  }

  /** Returns a HostStatistic counter and resets it to 0. @throws ENetError */
  popStatistic(stat: HostStatisticValue | number): number {
    const core = this.#requireHost('popStatistic').core;
    intArg('stat', stat, 0, 3);
    const s = core.stats;
    const value = stat === HostStatistic.TOTAL_SENT_DATA ? s.totalSentData
      : stat === HostStatistic.TOTAL_SENT_PACKETS ? s.totalSentPackets
        : stat === HostStatistic.TOTAL_RECEIVED_DATA ? s.totalReceivedData : s.totalReceivedPackets;
    const out = value - this.#statBase[stat]!;
    this.#statBase[stat] = value;
    return out;
  }

  /**
   * Godot `compress(mode)`: NONE removes compression; RANGE_CODER installs libenet's range
   * coder (a fresh instance per host). Both ends must use the same mode.
   * @throws ENetError ERR_UNCONFIGURED, ERR_UNAVAILABLE for a mode meshpunch does not implement.
   */
  compress(mode: CompressionModeValue): void {
    const core = this.#requireHost('compress').core;
    if (mode === CompressionMode.NONE) {
      core.setCompressor(null);
      return;
    }
    core.setCompressor(compressorFor(mode));
  }

  /** Installs a custom compressor (or null); see Compressor. @throws ENetError ERR_UNCONFIGURED */
  setCompressor(compressor: Compressor | null): void {
    this.#requireHost('setCompressor').core.setCompressor(compressor);
  }

  /** Installs libenet's optional datagram checksum (or null). Both ends must agree. @throws ENetError */
  setChecksum(checksum: ChecksumFunction | null): void {
    this.#requireHost('setChecksum').core.setChecksum(checksum);
  }

  /**
   * Destroys the host: output already queued is sent (DTLS associations end with close_notify),
   * then peers are reset without notice (remotes time out), wrappers detach, the socket closes, pending service() calls resolve NONE. The object can create a host again.
   * Calling it without a host does nothing (Godot prints an error and returns).
   */
  destroy(): void {
    const driver = this.#driver;
    if (driver === null) return;
    driver.destroy();
    this.#driver = null;
    this.#events.detach();
  }

  /** @internal PeerOwner: coalesces transmissions of one event-loop turn into few datagrams. */
  scheduleFlush(): void {
    this.#driver?.scheduleFlush();
  }

  /** @internal PeerOwner */
  flushNow(): void {
    this.#driver?.flush();
  }

  /** @internal PeerOwner */
  forget(peer: ENetPacketPeer): void {
    this.#events.forget(peer);
  }

  /**
   * meshpunch extension for a path layer below ENet (relay.md §3): hands ENet a datagram that
   * arrived by another path, as if the socket had received it from `from` — the peer's fixed
   * virtual endpoint, so ENet keeps one peer whatever path carries it. `intercept` is not
   * called (the layer below already consumed the datagram). Packets ENet delivers may be views
   * into `bytes` (no copy): pass a buffer that is not reused. Without a host it does nothing.
   * The caller is responsible for only delivering datagrams from a validated path; ENet still
   * drops what does not match a peer's address and session (counted in `statistics`).
   * @throws ENetError ERR_INVALID_PARAMETER for an address that is not an IP literal, a port
   * outside 1..65535 or bytes that are not a Uint8Array of at most 65507 bytes.
   */
  deliver(from: DatagramSource, bytes: Uint8Array): void {
    let address = from.address;
    if (address !== this.#lastDeliverRaw) {
      const c = unmappedIp(address);
      if (c === undefined) throw new ENetError('ERR_INVALID_PARAMETER', `deliver's from.address must be an IP address, got ${JSON.stringify(address)}`, { argument: 'from.address', got: address });
      this.#lastDeliverRaw = address;
      this.#lastDeliverSource = c;
    }
    address = this.#lastDeliverSource;
    const port = from.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) intArg('from.port', port, 1, 65535);
    if (!(bytes instanceof Uint8Array) || bytes.length > 65507) checkDatagram(bytes);
    this.#driver?.deliver(address, port, bytes);
  }
}
