// Adapter: ENetConnection — Godot's host wrapper (docs/specs/godot-enet.md §5) driving one
// HostCore with node:dgram and one timer. The only ENet code that touches sockets and clocks.
//
// Event ownership (one owner per event; none lost, none duplicated):
//   * autoService === false (default): events stay queued in the core until a caller takes
//     them — `service()` (a pending `service(timeout)` call gets the first event produced
//     while it waits) or `serviceSync()`. Nothing is emitted.
//   * autoService === true: every event is emitted (`connect`, `disconnect`, `receive`, each
//     with one ENetEvent argument) as soon as it is produced, including events queued before
//     the switch (emitted synchronously by the setter, so attach listeners first); an event
//     type nobody listens to is dropped, as any unheard EventEmitter event.
//     `service()`/`serviceSync()` then return NONE.
// Socket failure (godot-enet.md §5.4: libenet's service result < 0 → EVENT_ERROR): a socket
// 'error' or a failed send (sampled, see SEND_PROBE_INTERVAL_MS) makes the next service()/serviceSync() return one ERROR event (a
// waiting service(timeout) gets it at once; autoService emits it as 'error' when listened to).
// A socket closed underneath makes every service() return ERROR until destroy().
// Either way the network is serviced continuously: datagrams go to the core the moment they
// arrive and one timer runs ACKs, retransmissions and pings between service() calls.
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import type { ChecksumFunction, Compressor } from '../core/config.js';
import { MAX_DATAGRAM_SIZE, PROTOCOL_MAXIMUM_PEER_ID } from '../core/constants.js';
import type { CoreEvent } from '../core/events.js';
import { RangeCoder } from '../core/range-coder.js';
import { HostCore, type CoreEndpoint } from '../core/host.js';
import { SecureHost, type SecureHostEvent } from '../core/secure-host.js';
import type { HostStatistics } from '../core/statistics.js';
import { ENetError } from '../errors.js';
import { CompressionMode, EventType, FLAG_ALLOWED, HostStatistic, type CompressionModeValue, type EventTypeValue, type HostStatisticValue } from './enums.js';
import { ENetPacketPeer, toU32, type PeerOwner } from './enet-packet-peer.js';
import { dtlsTransportFor, type TLSOptions } from './tls-options.js';
import { ipFamily, monotonicNow as nowMs, unmappedIp } from '@meshpunch/base';

/** What `service()` / `serviceSync()` return and the events emitted in autoService mode. */
export interface ENetEvent {
  type: EventTypeValue;
  /** The peer concerned (absent for NONE / ERROR). */
  peer?: ENetPacketPeer;
  /** CONNECT: remote's connect data (0 on the connecting side); DISCONNECT: remote's data. */
  data: number;
  channel: number;
  /** RECEIVE only: the packet (owned by the caller). */
  packet?: Uint8Array;
  /** RECEIVE only: FLAG_RELIABLE / FLAG_UNSEQUENCED / FLAG_UNRELIABLE_FRAGMENT or 0. */
  flags?: number;
  /** ERROR only (meshpunch extension): code ENET_SOCKET_ERROR, `cause` is Node's socket error. */
  error?: ENetError;
}

/** Typed listener map for autoService mode. */
export interface ENetConnectionEvents {
  connect: [event: ENetEvent];
  disconnect: [event: ENetEvent];
  receive: [event: ENetEvent];
  /** A socket failure (type ERROR); emitted only while someone listens, so it never throws. */
  error: [event: ENetEvent];
  /** meshpunch extension: a DTLS peer authenticated, was refused (typed DtlsError) or closed. */
  dtls: [event: SecureHostEvent];
}

/**
 * meshpunch extension: ENet limits that are not part of Godot's API (docs/security.md).
 * Omitted fields keep the HostCore defaults.
 */
export interface ENetConnectionOptions {
  /** Handshakes in progress allowed per source IP (HostCoreOptions.maxHalfOpenPerAddress); default 8. */
  maxHalfOpenPerAddress?: number;
  /** ms a received CONNECT may stay unacknowledged (HostCoreOptions.halfOpenTimeout); default 5000. */
  halfOpenTimeout?: number;
  /** Give the oldest unfinished handshake's slot to a new CONNECT when all are taken (HostCoreOptions.evictHalfOpen); default true. */
  evictHalfOpen?: boolean;
  /** Undelivered received bytes per peer (HostCoreOptions.maximumWaitingData); default 32 MiB. */
  maximumWaitingData?: number;
  /** Undelivered received bytes of all peers (HostCoreOptions.maximumHostWaitingData); default 128 MiB. */
  maximumHostWaitingData?: number;
}

/** An endpoint CONNECTs are accepted from (`acceptFrom`); no port = any port of that address. */
export interface AcceptedSource {
  address: string;
  port?: number;
}

/** Source of an intercepted datagram. */
export interface DatagramSource {
  address: string;
  port: number;
}

/**
 * Most datagrams read from the core per drain. The core never queues unbounded output, but a
 * cap keeps one drain from monopolising the event loop; the rest goes on the next turn.
 */
const MAX_TRANSMITS_PER_DRAIN = 4096;

/**
 * At most one ENet datagram per this many ms is sent with a callback, the only way node:dgram
 * reports a failed send. 1 s: a failing socket surfaces well inside ENet's smallest peer timeout
 * (5 000 ms), at the cost of one deferred send per second instead of one per datagram.
 */
const SEND_PROBE_INTERVAL_MS = 1000;

const NONE_EVENT: Readonly<ENetEvent> = Object.freeze({ type: EventType.NONE, data: 0, channel: 0 });

/** Factories behind `compress(mode)`: RANGE_CODER is libenet's range coder (range-coder.ts). */
const compressorFactories = new Map<number, () => Compressor>([[CompressionMode.RANGE_CODER, () => new RangeCoder()]]);

/** Registers (or replaces) the compressor `compress(mode)` installs for `mode`, e.g. a FASTLZ port. */
export function registerCompressor(mode: CompressionModeValue, factory: () => Compressor): void {
  compressorFactories.set(mode, factory);
}

function intArg(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new ENetError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${String(v)}`, { argument: name, got: v, min: lo, max: hi });
  }
  return v;
}

/** A raw datagram for socketSend: a Uint8Array within UDP's IPv4 payload limit (65 507 bytes). */
function checkDatagram(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array) || bytes.length > 65507) throw new ENetError('ERR_INVALID_PARAMETER', `bytes must be a Uint8Array of at most 65507 bytes`, { argument: 'bytes' });
}

/** 4 or 6 for an address already checked to be an IP literal. */
function familyOf(address: string): 4 | 6 {
  return ipFamily(address) === 6 ? 6 : 4;
}

interface Waiter {
  resolve: (ev: ENetEvent) => void;
  timer: NodeJS.Timeout | null;
}

/** An ENet host on one UDP socket (Godot ENetConnection). */
export class ENetConnection extends EventEmitter<ENetConnectionEvents> implements PeerOwner {
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
  #core: HostCore | null = null;
  /** Set by dtlsServerSetup / dtlsClientSetup: the core's datagrams then travel as DTLS records. */
  #secure: SecureHost | null = null;
  readonly #options: ENetConnectionOptions;
  #connectFilter: ((from: CoreEndpoint) => boolean) | null = null;
  #socket: Socket | null = null;
  #dualStack = false;
  #family: 4 | 6 = 4;
  #bindAddress = '*';
  #timer: NodeJS.Timeout | null = null;
  #timerAt = -1;
  #flushScheduled = false;
  #autoService = false;
  #waiters: Waiter[] = [];
  #peers = new Set<ENetPacketPeer>();
  /**
   * The core encodes every datagram here and it is sent from here without a copy; replaced
   * only when node:dgram queued a send that still references it (see #transmit).
   */
  #scratch = Buffer.allocUnsafeSlow(MAX_DATAGRAM_SIZE);
  /** The last view of `#scratch` handed to node:dgram (reused while the length repeats). */
  #sendView: Uint8Array | null = null;
  #to: CoreEndpoint = { address: '', port: 0 };
  #from: CoreEndpoint = { address: '', port: 0 };
  #statBase = [0, 0, 0, 0];
  #lastRawSource = '';
  #lastSource = '';
  #lastWireIn = '';
  #lastWireOut = '';
  /** A socket failure not yet reported by service() (transient: reported once). */
  #socketError: ENetError | null = null;
  /** Set when the socket closed underneath: every service() reports it until destroy(). */
  #socketClosed: ENetError | null = null;
  /** When the next ENet datagram is sent with a callback (ms, nowMs clock). */
  #sendProbeAt = 0;
  /** The probe send's callback, made once per host (no closure per send). */
  readonly #onProbeSent = (err: Error | null): void => {
    if (err) this.#onSocketError(err);
  };
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
  #lastDeliverRaw = '';
  #lastDeliverSource = '';
  #deliverFrom: CoreEndpoint = { address: '', port: 0 };
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
    const o: ENetConnectionOptions = {};
    if (options.maxHalfOpenPerAddress !== undefined) o.maxHalfOpenPerAddress = intArg('maxHalfOpenPerAddress', options.maxHalfOpenPerAddress, 1, PROTOCOL_MAXIMUM_PEER_ID);
    if (options.halfOpenTimeout !== undefined) o.halfOpenTimeout = intArg('halfOpenTimeout', options.halfOpenTimeout, 1, 0x7fffffff);
    if (options.evictHalfOpen !== undefined) {
      if (typeof options.evictHalfOpen !== 'boolean') throw new ENetError('ERR_INVALID_PARAMETER', `evictHalfOpen must be a boolean, got ${String(options.evictHalfOpen)}`, { argument: 'evictHalfOpen', got: options.evictHalfOpen });
      o.evictHalfOpen = options.evictHalfOpen;
    }
    if (options.maximumWaitingData !== undefined) o.maximumWaitingData = intArg('maximumWaitingData', options.maximumWaitingData, 1, 0xffffffff);
    if (options.maximumHostWaitingData !== undefined) o.maximumHostWaitingData = intArg('maximumHostWaitingData', options.maximumHostWaitingData, 1, Number.MAX_SAFE_INTEGER);
    this.#options = Object.freeze(o);
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
    let filter: ((from: CoreEndpoint) => boolean) | null;
    if (sources === null) filter = null;
    else if (typeof sources === 'function') filter = (from) => sources(from.address, from.port);
    else {
      const list = sources.map((s, i) => {
        const address = unmappedIp(s.address);
        if (address === undefined) throw new ENetError('ERR_INVALID_PARAMETER', `acceptFrom[${i}].address must be an IP address, got ${JSON.stringify(s.address)}`, { argument: 'sources', got: s.address });
        if (s.port !== undefined) intArg(`acceptFrom[${i}].port`, s.port, 1, 65535);
        return { address, port: s.port };
      });
      filter = (from) => list.some((s) => s.address === from.address && (s.port === undefined || s.port === from.port));
    }
    this.#connectFilter = filter;
    this.#core?.setConnectFilter(filter);
  }

  /** @internal PeerOwner */
  get coreOrNull(): HostCore | null {
    return this.#core;
  }

  /** The core's counters (drops by reason, totals), or null without a host. */
  get statistics(): HostStatistics | null {
    return this.#core === null ? null : this.#core.stats;
  }

  /** See the file header for the event-ownership rule. Default false. */
  get autoService(): boolean {
    return this.#autoService;
  }

  set autoService(on: boolean) {
    this.#autoService = on;
    if (on) {
      this.#resolveWaitersWith(NONE_EVENT);
      this.#emitAll();
    }
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
    if (this.#core !== null) throw new ENetError('ERR_ALREADY_IN_USE', 'createHost was already called on this ENetConnection; destroy() it first', {});
    const addr = bindAddress === '*' ? '*' : unmappedIp(bindAddress);
    if (addr === undefined) throw new ENetError('ERR_INVALID_PARAMETER', `bindAddress must be "*" or an IP address, got ${JSON.stringify(bindAddress)}`, { argument: 'bindAddress', got: bindAddress });
    intArg('bindPort', bindPort, 0, 65535);
    intArg('maxPeers', maxPeers, 1, PROTOCOL_MAXIMUM_PEER_ID);
    intArg('maxChannels', maxChannels, 0, 255);
    intArg('inBandwidth', inBandwidth, 0, 0xffffffff);
    intArg('outBandwidth', outBandwidth, 0, 0xffffffff);
    const socket = await this.#bind(addr, bindPort);
    if (this.#core !== null) {
      socket.close();
      throw new ENetError('ERR_ALREADY_IN_USE', 'createHost was already called on this ENetConnection; destroy() it first', {});
    }
    this.#socket = socket;
    this.#bindAddress = addr;
    this.#statBase = [0, 0, 0, 0];
    this.#core = new HostCore({
      peerCount: maxPeers,
      channelLimit: maxChannels,
      incomingBandwidth: inBandwidth,
      outgoingBandwidth: outBandwidth,
      ...this.#options,
      random: (out) => randomFillSync(out),
    });
    this.#core.setConnectFilter(this.#connectFilter);
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo.address, rinfo.port));
    socket.on('error', (err) => this.#onSocketError(err));
    socket.on('close', () => {
      // destroy() forgets the socket before closing it; any other close is a failure.
      if (this.#socket === socket) this.#onSocketClosed();
    });
  }

  async #bind(addr: string, port: number): Promise<Socket> {
    const attempt = (type: 'udp4' | 'udp6', host: string, ipv6Only: boolean): Promise<Socket> => new Promise((resolve, reject) => {
      // Every address this socket sends to is already a literal IP, so the lookup is the
      // identity and answers synchronously (the default defers each send by a tick).
      const lookupLiteral = (hostname: string, _options: unknown, callback: (err: Error | null, address: string, family: number) => void): void => {
        callback(null, hostname, type === 'udp6' ? 6 : 4);
      };
      const s = createSocket({ type, ipv6Only, recvBufferSize: 262144, sendBufferSize: 262144, lookup: lookupLiteral as never });
      const onError = (err: Error): void => {
        s.close();
        reject(err);
      };
      s.once('error', onError);
      s.bind(port, host, () => {
        s.off('error', onError);
        resolve(s);
      });
    });
    const fail = (err: unknown): ENetError => {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      return new ENetError('ERR_CANT_CREATE', `cannot bind UDP ${addr === '*' ? '*' : addr}:${port} (${code})`, { address: addr, port, errno: code }, err);
    };
    if (addr === '*') {
      try {
        const s = await attempt('udp6', '::', false);
        this.#dualStack = true;
        this.#family = 6;
        return s;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw fail(err);
      }
      try {
        const s = await attempt('udp4', '0.0.0.0', false);
        this.#dualStack = false;
        this.#family = 4;
        return s;
      } catch (err) {
        throw fail(err);
      }
    }
    const family = familyOf(addr);
    try {
      const s = await attempt(family === 6 ? 'udp6' : 'udp4', addr, false);
      this.#dualStack = family === 6 && addr === '::';
      this.#family = family;
      return s;
    } catch (err) {
      throw fail(err);
    }
  }

  #requireCore(what: string): HostCore {
    if (this.#core === null) throw new ENetError('ERR_UNCONFIGURED', `${what} needs a host; call createHost or createHostBound first`, {});
    return this.#core;
  }

  /** Whether the socket can reach `address` (canonical). */
  #reachable(address: string): boolean {
    const fam = familyOf(address);
    return this.#dualStack || fam === this.#family;
  }

  #wireAddress(address: string): string {
    if (!this.#dualStack) return address;
    if (address === this.#lastWireIn) return this.#lastWireOut;
    const out = familyOf(address) === 4 ? `::ffff:${address}` : address;
    this.#lastWireIn = address;
    this.#lastWireOut = out;
    return out;
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
    const core = this.#requireCore('connectToHost');
    const has = this.#activePeerCount();
    if (has > 0) {
      throw new ENetError('ERR_ALREADY_IN_USE', `connectToHost needs a host without peers (Godot: "already connected to a peer"), this one has ${has}`, { peers: has });
    }
    intArg('port', port, 1, 65535);
    intArg('channels', channels, 0, 255);
    const u = toU32('data', data);
    let addr = this.#literal(address);
    if (addr === null) throw new ENetError('ERR_CANT_RESOLVE', `connectToHost takes an IP address, got ${JSON.stringify(address)}; use connectToHostAsync for host names`, { address });
    if (!this.#reachable(addr)) {
      throw new ENetError('ERR_INVALID_PARAMETER', `address ${addr} is IPv${familyOf(addr)} but the host socket is IPv${this.#family} only`, { address: addr, family: this.#family });
    }
    addr = unmappedIp(addr)!;
    const peer = core.connect(addr, port, channels === 0 ? 255 : channels, u);
    if (peer === null) throw new ENetError('ERR_CANT_CREATE', `no free peer slot: all ${core.peers.length} are in use`, { limit: core.peers.length });
    const wrapper = new ENetPacketPeer(this, peer);
    peer.user = wrapper;
    this.#peers.add(wrapper);
    this.scheduleFlush();
    return wrapper;
  }

  /**
   * `connectToHost` after resolving a host name (node:dns lookup, family matching the socket).
   * @throws ENetError ERR_CANT_RESOLVE when the name does not resolve, plus connectToHost's codes.
   */
  async connectToHostAsync(address: string, port: number, channels = 0, data = 0): Promise<ENetPacketPeer> {
    return this.connectToHost(await this.#resolve(address), port, channels, data);
  }

  /** Wrappers still attached and not DISCONNECTED (Godot's `peers` after its inactive sweep). */
  #activePeerCount(): number {
    let n = 0;
    for (const p of this.#peers) if (p.isActive()) n++;
    return n;
  }

  /** An IP literal (canonical) or "localhost" in the socket's family; null for a host name. */
  #literal(address: string): string | null {
    if (address === 'localhost') return this.#family === 6 && !this.#dualStack ? '::1' : '127.0.0.1';
    return unmappedIp(address) ?? null;
  }

  /** `address` itself when it is a literal, else its node:dns lookup in the socket's family. */
  async #resolve(address: string): Promise<string> {
    if (this.#literal(address) !== null) return address;
    try {
      const family = this.#dualStack ? 0 : this.#family;
      return (await lookup(address, { family })).address;
    } catch (err) {
      throw new ENetError('ERR_CANT_RESOLVE', `cannot resolve host name ${JSON.stringify(address)}`, { address }, err);
    }
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
    if (ev.type !== EventType.NONE || timeoutMs === 0 || this.#autoService) return ev;
    return new Promise<ENetEvent>((resolve) => {
      const waiter: Waiter = { resolve, timer: null };
      waiter.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(NONE_EVENT);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Synchronous service: returns the next queued event; when none is queued, runs due timers,
   * flushes output and returns what that produced, or NONE (always NONE in autoService mode).
   * For frame-driven loops (Godot's `poll()`): call it until it returns NONE or ERROR.
   * Godot returns EVENT_ERROR when libenet's service fails (godot-enet.md §5.4); here that is
   * the socket failing: after a socket 'error' or a failed send (ENet's sends are checked once
   * per SEND_PROBE_INTERVAL_MS, 1 s, as node:dgram reports nothing else) the next call returns one ERROR
   * (queued events first), and once the socket closed underneath every call returns ERROR until
   * `destroy()`. The event's `error` says why (ENET_SOCKET_ERROR, `cause` = Node's error).
   * @throws ENetError ERR_UNCONFIGURED without a host.
   */
  serviceSync(): ENetEvent {
    const core = this.#requireCore('serviceSync');
    if (!this.#autoService) {
      // libenet's service returns an already-dispatched event at once, without I/O (§10).
      const queued = this.#nextEvent();
      if (queued !== undefined) return queued;
      const failed = this.#takeSocketError();
      if (failed !== undefined) return failed;
    }
    const now = nowMs();
    const driven = this.#secure ?? core;
    const t = driven.pollTimeout();
    if (t !== undefined && t <= now) driven.handleTimeout(now);
    // ACK-only datagrams wait for the flush at the end of this event-loop turn (scheduled
    // by the datagram that needs the ACK): a frame loop that answers a packet right after
    // this call then carries the ACK in its answer instead of a datagram of its own.
    this.#transmit(true);
    this.#rearm();
    if (this.#autoService) return NONE_EVENT;
    const ev = this.#nextEvent();
    return ev ?? NONE_EVENT;
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
    return this.#secure !== null;
  }

  #setupDtls(role: 'client' | 'server', options: TLSOptions, hostname: string): void {
    const core = this.#requireCore(role === 'server' ? 'dtlsServerSetup' : 'dtlsClientSetup');
    if (this.#secure !== null) throw new ENetError('ERR_ALREADY_IN_USE', 'DTLS is already set up on this host; destroy() it and create a new one', {});
    this.#secure = new SecureHost(core, dtlsTransportFor(role, options, hostname, core.peers.length));
  }

  /** Emits the DTLS layer's events (peer authenticated, refused, closed) as 'dtls'. */
  #emitSecurityEvents(secure: SecureHost): void {
    for (let e = secure.pollSecurityEvent(); e !== undefined; e = secure.pollSecurityEvent()) this.emit('dtls', e);
  }

  /** Sends everything queued now (Godot flush). @throws ENetError ERR_UNCONFIGURED */
  flush(): void {
    this.#requireCore('flush');
    this.#transmit();
    this.#rearm();
  }

  /**
   * Queues `packet` to every connected peer. @throws ENetError ERR_UNCONFIGURED,
   * ERR_INVALID_PARAMETER for a channel ≥ the host's channel limit or unknown flags.
   */
  broadcast(channel: number, packet: Uint8Array, flags: number): void {
    const core = this.#requireCore('broadcast');
    intArg('channel', channel, 0, core.channelLimit - 1);
    if (!(packet instanceof Uint8Array)) throw new ENetError('ERR_INVALID_PARAMETER', `packet must be a Uint8Array, got ${typeof packet}`, { argument: 'packet' });
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~FLAG_ALLOWED) !== 0) {
      throw new ENetError('ERR_INVALID_PARAMETER', `flags must be a combination of 1, 2 and 8, got ${String(flags)}`, { argument: 'flags', got: flags });
    }
    core.broadcast(channel, packet, flags);
    this.scheduleFlush();
  }

  /** Host bandwidth in bytes/s (0 = unlimited); peers are told within ~1 s. @throws ENetError */
  bandwidthLimit(inBandwidth = 0, outBandwidth = 0): void {
    const core = this.#requireCore('bandwidthLimit');
    core.bandwidthLimit(intArg('inBandwidth', inBandwidth, 0, 0xffffffff), intArg('outBandwidth', outBandwidth, 0, 0xffffffff));
    this.#rearm();
  }

  /** Channel cap for future incoming connections (0 = 255). @throws ENetError */
  channelLimit(limit: number): void {
    const core = this.#requireCore('channelLimit');
    core.setChannelLimit(intArg('limit', limit, 0, 255));
  }

  /**
   * meshpunch extension: while true, incoming CONNECTs are ignored (the remote times out) and
   * counted in `statistics.refusedConnects`. Godot only applies this to DTLS servers.
   */
  refuseNewConnections(refuse: boolean): void {
    this.#requireCore('refuseNewConnections').refuseNewConnections(refuse);
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
    this.#requireCore('socketSend');
    intArg('port', port, 1, 65535);
    const addr = this.#literal(address);
    if (addr === null) throw new ENetError('ERR_CANT_RESOLVE', `socketSend takes an IP address, got ${JSON.stringify(address)}; use socketSendAsync for host names`, { address });
    if (!this.#reachable(addr)) throw new ENetError('ERR_INVALID_PARAMETER', `address ${addr} is IPv${familyOf(addr)} but the host socket is IPv${this.#family} only`, { address: addr });
    checkDatagram(bytes);
    const socket = this.#socket;
    if (socket === null) {
      this.sendErrors++;
      return;
    }
    const copy = Buffer.from(bytes);
    socket.send(copy, port, this.#wireAddress(addr), (err) => {
      if (err) this.sendErrors++;
    });
  }

  /**
   * `socketSend` after resolving a host name (node:dns lookup, family matching the socket), as
   * Godot's `socket_send` does (godot-enet.md §5.5). Arguments are checked and the bytes
   * copied before the lookup.
   * @throws ENetError ERR_CANT_RESOLVE when the name does not resolve, plus socketSend's codes (rejects).
   */
  async socketSendAsync(address: string, port: number, bytes: Uint8Array): Promise<void> {
    this.#requireCore('socketSendAsync');
    intArg('port', port, 1, 65535);
    checkDatagram(bytes);
    const copy = bytes.slice();
    this.socketSend(await this.#resolve(address), port, copy);
  }

  /** The bound UDP port. @throws ENetError ERR_UNCONFIGURED without a host or after its socket closed */
  getLocalPort(): number {
    this.#requireCore('getLocalPort');
    if (this.#socket === null) throw new ENetError('ERR_UNCONFIGURED', 'getLocalPort needs an open socket; this host\'s socket closed (service() reports ERROR until destroy())', {});
    return this.#socket.address().port;
  }

  /** The bind address ("*" for all interfaces). @throws ENetError ERR_UNCONFIGURED */
  getLocalAddress(): string {
    this.#requireCore('getLocalAddress');
    return this.#bindAddress;
  }

  /** Channel limit for incoming connections. @throws ENetError ERR_UNCONFIGURED */
  getMaxChannels(): number {
    return this.#requireCore('getMaxChannels').channelLimit;
  }

  /** Peers known to this host (connecting, connected or disconnecting). */
  getPeers(): ENetPacketPeer[] {
    return [...this.#peers];
  }

  /** Returns a HostStatistic counter and resets it to 0. @throws ENetError */
  popStatistic(stat: HostStatisticValue | number): number {
    const core = this.#requireCore('popStatistic');
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
    const core = this.#requireCore('compress');
    if (mode === CompressionMode.NONE) {
      core.setCompressor(null);
      return;
    }
    const factory = compressorFactories.get(mode);
    if (factory === undefined) {
      // FASTLZ, ZLIB and ZSTD are Godot-only callbacks (godot-enet.md §5.6), not libenet; meshpunch
      // does not implement them, so refuse rather than fail to talk to the remote later.
      const name = ['NONE', 'RANGE_CODER', 'FASTLZ', 'ZLIB', 'ZSTD'][mode] ?? String(mode);
      throw new ENetError('ERR_UNAVAILABLE', `compression mode ${name} (${String(mode)}) is not implemented by meshpunch; use NONE or RANGE_CODER on both ends`, { mode });
    }
    core.setCompressor(factory());
  }

  /** Installs a custom compressor (or null); see Compressor. @throws ENetError ERR_UNCONFIGURED */
  setCompressor(compressor: Compressor | null): void {
    this.#requireCore('setCompressor').setCompressor(compressor);
  }

  /** Installs libenet's optional datagram checksum (or null). Both ends must agree. @throws ENetError */
  setChecksum(checksum: ChecksumFunction | null): void {
    this.#requireCore('setChecksum').setChecksum(checksum);
  }

  /**
   * Destroys the host: output already queued is sent, then peers are reset without notice
   * (remotes time out), wrappers detach,
   * the socket closes, pending service() calls resolve NONE. The object can create a host again.
   * Calling it without a host does nothing (Godot prints an error and returns).
   */
  destroy(): void {
    const core = this.#core;
    if (core === null) return;
    // Datagrams already queued (e.g. disconnect_now's DISCONNECT) still leave; nothing new is
    // queued, so remotes of peers still connected time out as with libenet's host destroy.
    // DTLS associations end with close_notify (sent with that output).
    this.#secure?.closeAll(nowMs());
    this.#transmit();
    this.#secure = null;
    for (const p of this.#peers) p.detach();
    this.#peers.clear();
    core.destroy();
    this.#core = null;
    this.#socketError = null;
    this.#socketClosed = null;
    this.#sendProbeAt = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = -1;
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      socket.removeAllListeners('message');
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.#resolveWaitersWith(NONE_EVENT);
  }

  /** @internal PeerOwner: coalesces transmissions of one event-loop turn into few datagrams. */
  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#core === null) return;
      this.#transmit();
      this.#rearm();
    });
  }

  /** @internal PeerOwner */
  flushNow(): void {
    if (this.#core === null) return;
    this.#transmit();
    this.#rearm();
  }

  /** @internal PeerOwner */
  forget(peer: ENetPacketPeer): void {
    this.#peers.delete(peer);
  }

  /** A socket 'error' (a failed receive) or a failed probe send: count it and report one ERROR. */
  #onSocketError(err: Error): void {
    this.sendErrors++;
    if (this.#core === null || this.#socketClosed !== null) return;
    const errno = (err as NodeJS.ErrnoException).code ?? 'unknown';
    this.#socketError = new ENetError('ENET_SOCKET_ERROR', `the host's UDP socket failed (${errno})`, { errno }, err);
    this.#reportSocketFailure();
  }

  /** The socket closed although destroy() was not called: the host is unusable until destroy(). */
  #onSocketClosed(): void {
    this.#socket = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = -1;
    this.#socketError = null;
    this.#socketClosed = new ENetError('ENET_SOCKET_ERROR', 'the host\'s UDP socket closed underneath; destroy() the host and create a new one', { errno: 'closed' });
    this.#reportSocketFailure();
  }

  /** Hands the failure to whoever owns events now (see the file header). */
  #reportSocketFailure(): void {
    if (this.#autoService) {
      const ev = this.#takeSocketError();
      if (ev !== undefined && this.listenerCount('error') > 0) this.emit('error', ev);
      return;
    }
    if (this.#socketClosed !== null) {
      this.#resolveWaitersWith(this.#takeSocketError()!);
      return;
    }
    const w = this.#waiters.shift();
    if (w === undefined) return;
    if (w.timer !== null) clearTimeout(w.timer);
    w.resolve(this.#takeSocketError()!);
  }

  /** The ERROR event to report now, if any: a socket close persists, an 'error' is reported once. */
  #takeSocketError(): ENetEvent | undefined {
    const closed = this.#socketClosed;
    if (closed !== null) return { type: EventType.ERROR, data: 0, channel: 0, error: closed };
    const err = this.#socketError;
    if (err === null) return undefined;
    this.#socketError = null;
    return { type: EventType.ERROR, data: 0, channel: 0, error: err };
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    const core = this.#core;
    if (core === null) return;
    const from = this.#from;
    from.address = this.#canonicalSource(address);
    from.port = port;
    if (this.intercept !== null) {
      let consumed: boolean;
      try {
        consumed = this.intercept({ address: from.address, port }, msg);
      } catch {
        // A throwing hook must not take the socket down: drop the datagram and count it.
        this.interceptErrors++;
        return;
      }
      if (consumed) return;
    }
    this.#input(core, from, msg);
  }

  /** One datagram into the core, then its events; shared by the socket and `deliver`. */
  #input(core: HostCore, from: CoreEndpoint, bytes: Uint8Array): void {
    const secure = this.#secure;
    if (secure === null) core.handleDatagram(nowMs(), from, bytes);
    else {
      secure.handleDatagram(nowMs(), from, bytes);
      this.#emitSecurityEvents(secure);
    }
    // Events go out at once; transmission waits for the end of this poll phase (setImmediate),
    // so the ACKs for every datagram libuv reads in one go share datagrams, as libenet's
    // receive-then-send service pass does.
    if (this.#autoService) this.#emitAll();
    else this.#feedWaiters();
    this.scheduleFlush();
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
    const core = this.#core;
    if (core === null) return;
    const f = this.#deliverFrom;
    f.address = address;
    f.port = port;
    this.delivered++;
    this.#input(core, f, bytes);
  }

  /** Source addresses as the core knows them (v4-mapped → IPv4), cached for the common case. */
  #canonicalSource(address: string): string {
    if (address === this.#lastRawSource) return this.#lastSource;
    const c = address.startsWith('::ffff:') ? unmappedIp(address) ?? address : address;
    this.#lastRawSource = address;
    this.#lastSource = c;
    return c;
  }

  #onTimer(): void {
    this.#timer = null;
    this.#timerAt = -1;
    const core = this.#core;
    if (core === null) return;
    const secure = this.#secure;
    if (secure === null) core.handleTimeout(nowMs());
    else {
      secure.handleTimeout(nowMs());
      this.#emitSecurityEvents(secure);
    }
    this.#afterInput();
  }

  #afterInput(): void {
    this.#transmit();
    if (this.#autoService) this.#emitAll();
    else this.#feedWaiters();
    this.#rearm();
  }

  /** Sends what the core has due; with `deferAckOnly`, ACK-only datagrams wait for the next full transmit. */
  #transmit(deferAckOnly = false): void {
    const core = this.#core;
    const socket = this.#socket;
    if (core === null || socket === null) return;
    const to = this.#to;
    let scratch = this.#scratch;
    const now = nowMs();
    const driven = this.#secure ?? core;
    for (let i = 0; i < MAX_TRANSMITS_PER_DRAIN; i++) {
      const n = driven.pollTransmit(now, scratch, to, deferAckOnly);
      if (n === 0) {
        if (core.ackOnlyDeferred) {
          core.ackOnlyDeferred = false;
          this.scheduleFlush();
        }
        return;
      }
      // Zero-copy send from the scratch buffer. node:dgram may read the bytes after send()
      // returns (docs/design.md §5 rule 6), but only when it queued the datagram: a send that
      // completed synchronously (the usual case; the literal lookup answers at once, so the
      // write is tried inside send()) keeps no reference. When the socket's send queue is not
      // empty afterwards, the queued request owns this scratch, so the core gets a fresh one.
      // No callback: it would cost a tick per datagram. Failed sends are not reported by
      // node:dgram without a callback, so one send per SEND_PROBE_INTERVAL_MS carries one: a
      // failing socket still becomes an ERROR event (godot-enet.md §5.4).
      // One view per datagram length (bulk traffic repeats the same few lengths).
      let bytes = this.#sendView;
      if (bytes === null || bytes.length !== n) {
        bytes = new Uint8Array(scratch.buffer, scratch.byteOffset, n);
        this.#sendView = bytes;
      }
      const egress = this.egress;
      if (egress !== null && this.#egressed(egress, bytes)) continue;
      if (now < this.#sendProbeAt) socket.send(bytes, to.port, this.#wireAddress(to.address));
      else {
        this.#sendProbeAt = now + SEND_PROBE_INTERVAL_MS;
        socket.send(bytes, to.port, this.#wireAddress(to.address), this.#onProbeSent);
      }
      if (socket.getSendQueueCount() > 0) {
        scratch = Buffer.allocUnsafeSlow(MAX_DATAGRAM_SIZE);
        this.#scratch = scratch;
        this.#sendView = null;
        this.queuedScratchSwaps++;
      }
    }
    this.scheduleFlush();
  }

  /** Offers one datagram to the egress hook; true when it is gone (sent by the hook, or lost to a throw). */
  #egressed(egress: (to: DatagramSource, bytes: Uint8Array) => boolean, bytes: Uint8Array): boolean {
    let handled: boolean;
    try {
      handled = egress(this.#to, bytes) === true;
    } catch {
      this.egressErrors++;
      return true;
    }
    if (handled) this.egressHandled++;
    return handled;
  }

  #rearm(): void {
    const core = this.#core;
    // No socket (closed underneath): nothing can leave, so no timer either.
    if (core === null || this.#socket === null) return;
    const t = (this.#secure ?? core).pollTimeout();
    if (t === undefined) {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = -1;
      return;
    }
    // An armed timer due no later than t is kept: firing early is harmless (a spurious
    // handleTimeout does nothing) and re-arms; this avoids a new timer after every ACK.
    if (this.#timer !== null && this.#timerAt <= t) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = t;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, t - nowMs()));
    this.#timer.unref();
  }

  #nextEvent(): ENetEvent | undefined {
    const core = this.#core;
    if (core === null) return undefined;
    const ev = core.pollEvent();
    return ev === undefined ? undefined : this.#wrap(ev);
  }

  #wrap(ev: CoreEvent): ENetEvent {
    const peer = ev.peer;
    let wrapper = peer.user instanceof ENetPacketPeer ? peer.user : null;
    if (ev.type === 'connect') {
      if (wrapper === null) {
        wrapper = new ENetPacketPeer(this, peer);
        peer.user = wrapper;
      }
      this.#peers.add(wrapper);
      return { type: EventType.CONNECT, peer: wrapper, data: ev.data, channel: 0 };
    }
    if (ev.type === 'disconnect') {
      if (wrapper === null) wrapper = new ENetPacketPeer(this, peer);
      wrapper.detach();
      peer.user = null;
      this.#peers.delete(wrapper);
      return { type: EventType.DISCONNECT, peer: wrapper, data: ev.data, channel: 0 };
    }
    if (wrapper === null) {
      wrapper = new ENetPacketPeer(this, peer);
      peer.user = wrapper;
      this.#peers.add(wrapper);
    }
    return { type: EventType.RECEIVE, peer: wrapper, data: 0, channel: ev.channelID, packet: ev.packet!, flags: ev.flags };
  }

  #emitAll(): void {
    for (let ev = this.#nextEvent(); ev !== undefined; ev = this.#nextEvent()) {
      if (ev.type === EventType.CONNECT) this.emit('connect', ev);
      else if (ev.type === EventType.DISCONNECT) this.emit('disconnect', ev);
      else this.emit('receive', ev);
      if (!this.#autoService) return;
    }
  }

  #feedWaiters(): void {
    while (this.#waiters.length > 0) {
      const ev = this.#nextEvent();
      if (ev === undefined) return;
      const w = this.#waiters.shift()!;
      if (w.timer !== null) clearTimeout(w.timer);
      w.resolve(ev);
    }
  }

  #resolveWaitersWith(ev: ENetEvent): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.resolve(ev);
    }
  }
}
