// Adapter: who gets each ENet event of an ENetConnection (docs/specs/godot-enet.md §5), one
// owner per event, none lost, none duplicated:
//   * autoService === false (default): events stay queued in the core until a caller takes
//     them — `service()` (a pending `service(timeout)` call gets the first event produced
//     while it waits) or `serviceSync()`. Nothing is emitted.
//   * autoService === true: every event is emitted (`connect`, `disconnect`, `receive`, each
//     with one ENetEvent argument) as soon as it is produced, including events queued before
//     the switch (emitted synchronously by the setter, so attach listeners first); an event
//     type nobody listens to is dropped, as any unheard EventEmitter event.
//     `service()`/`serviceSync()` then return NONE.
// Socket failure (godot-enet.md §5.4: libenet's service result < 0 → EVENT_ERROR): a socket
// 'error' or a failed send makes the next service()/serviceSync() return one ERROR event (a
// waiting service(timeout) gets it at once; autoService emits it as 'error' when listened to).
// A socket closed underneath makes every service() return ERROR until destroy().
// Also the peer wrappers: the ENetPacketPeer of every core peer the application has seen.
import type { EventEmitter } from 'node:events';
import type { CoreEvent } from '../core/events.js';
import type { HostCore } from '../core/host.js';
import type { SecureHost, SecureHostEvent } from '../core/secure-host.js';
import { ENetError } from '../errors.js';
import { EventType, type EventTypeValue } from './enums.js';
import { ENetPacketPeer, type PeerOwner } from './enet-packet-peer.js';

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

export const NONE_EVENT: Readonly<ENetEvent> = Object.freeze({ type: EventType.NONE, data: 0, channel: 0 });

interface Waiter {
  resolve: (ev: ENetEvent) => void;
  timer: NodeJS.Timeout | null;
}

export class EventDelivery {
  readonly #emitter: EventEmitter<ENetConnectionEvents>;
  readonly #owner: PeerOwner;
  #core: HostCore | null = null;
  #autoService = false;
  #waiters: Waiter[] = [];
  readonly #peers = new Set<ENetPacketPeer>();
  /** A socket failure not yet reported (transient: reported once). */
  #socketError: ENetError | null = null;
  /** Set when the socket closed underneath: reported by every service() until the host goes. */
  #socketClosed: ENetError | null = null;

  /** `emitter` emits in autoService mode; `owner` is what new peer wrappers belong to. */
  constructor(emitter: EventEmitter<ENetConnectionEvents>, owner: PeerOwner) {
    this.#emitter = emitter;
    this.#owner = owner;
  }

  /** Events come from `core` from now on (a host was created). */
  attach(core: HostCore): void {
    this.#core = core;
  }

  /** The host is gone: wrappers detach, failures are forgotten, waiting service() calls get NONE. */
  detach(): void {
    for (const p of this.#peers) p.detach();
    this.#peers.clear();
    this.#core = null;
    this.#socketError = null;
    this.#socketClosed = null;
    this.#resolveWaitersWith(NONE_EVENT);
  }

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

  /** Hands the core's new events to their owner: emitted (autoService) or to waiting service() calls. */
  dispatch(): void {
    if (this.#autoService) this.#emitAll();
    else this.#feedWaiters();
  }

  /** The next queued event, wrapped, or undefined. */
  next(): ENetEvent | undefined {
    const core = this.#core;
    if (core === null) return undefined;
    const ev = core.pollEvent();
    return ev === undefined ? undefined : this.#wrap(ev);
  }

  /** A pending `service(timeoutMs)`: resolves with the next event dispatched, or NONE after `timeoutMs`. */
  wait(timeoutMs: number): Promise<ENetEvent> {
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

  /** Emits the DTLS layer's events (peer authenticated, refused, closed) as 'dtls'. */
  emitSecurityEvents(secure: SecureHost): void {
    for (let e = secure.pollSecurityEvent(); e !== undefined; e = secure.pollSecurityEvent()) this.#emitter.emit('dtls', e);
  }

  /** Keeps `wrapper` among the host's peers (it was created for an outgoing connection). */
  track(wrapper: ENetPacketPeer): void {
    this.#peers.add(wrapper);
  }

  /** Forgets a wrapper that has become detached. */
  forget(wrapper: ENetPacketPeer): void {
    this.#peers.delete(wrapper);
  }

  /** The wrappers of the host's peers (connecting, connected or disconnecting). */
  peers(): ENetPacketPeer[] {
    return [...this.#peers];
  }

  /** Wrappers still attached and not DISCONNECTED (Godot's `peers` after its inactive sweep). */
  activePeerCount(): number {
    let n = 0;
    for (const p of this.#peers) if (p.isActive()) n++;
    return n;
  }

  /** A socket 'error' (a failed receive) or a failed probe send: report one ERROR. */
  socketFailed(err: Error): void {
    if (this.#core === null || this.#socketClosed !== null) return;
    const errno = (err as NodeJS.ErrnoException).code ?? 'unknown';
    this.#socketError = new ENetError('ENET_SOCKET_ERROR', `the host's UDP socket failed (${errno})`, { errno }, err);
    this.#reportSocketFailure();
  }

  /** The socket closed although destroy() was not called: the host is unusable until destroy(). */
  socketClosed(): void {
    this.#socketError = null;
    this.#socketClosed = new ENetError('ENET_SOCKET_ERROR', 'the host\'s UDP socket closed underneath; destroy() the host and create a new one', { errno: 'closed' });
    this.#reportSocketFailure();
  }

  /** The ERROR event to report now, if any: a socket close persists, an 'error' is reported once. */
  takeSocketError(): ENetEvent | undefined {
    const closed = this.#socketClosed;
    if (closed !== null) return { type: EventType.ERROR, data: 0, channel: 0, error: closed };
    const err = this.#socketError;
    if (err === null) return undefined;
    this.#socketError = null;
    return { type: EventType.ERROR, data: 0, channel: 0, error: err };
  }

  /** Hands the failure to whoever owns events now (see the file header). */
  #reportSocketFailure(): void {
    if (this.#autoService) {
      const ev = this.takeSocketError();
      if (ev !== undefined && this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', ev);
      return;
    }
    if (this.#socketClosed !== null) {
      this.#resolveWaitersWith(this.takeSocketError()!);
      return;
    }
    const w = this.#waiters.shift();
    if (w === undefined) return;
    if (w.timer !== null) clearTimeout(w.timer);
    w.resolve(this.takeSocketError()!);
  }

  #wrap(ev: CoreEvent): ENetEvent {
    const peer = ev.peer;
    let wrapper = peer.user instanceof ENetPacketPeer ? peer.user : null;
    if (ev.type === 'connect') {
      if (wrapper === null) {
        wrapper = new ENetPacketPeer(this.#owner, peer);
        peer.user = wrapper;
      }
      this.#peers.add(wrapper);
      return { type: EventType.CONNECT, peer: wrapper, data: ev.data, channel: 0 };
    }
    if (ev.type === 'disconnect') {
      if (wrapper === null) wrapper = new ENetPacketPeer(this.#owner, peer);
      wrapper.detach();
      peer.user = null;
      this.#peers.delete(wrapper);
      return { type: EventType.DISCONNECT, peer: wrapper, data: ev.data, channel: 0 };
    }
    if (wrapper === null) {
      wrapper = new ENetPacketPeer(this.#owner, peer);
      peer.user = wrapper;
      this.#peers.add(wrapper);
    }
    return { type: EventType.RECEIVE, peer: wrapper, data: 0, channel: ev.channelID, packet: ev.packet!, flags: ev.flags };
  }

  #emitAll(): void {
    const emitter = this.#emitter;
    for (let ev = this.next(); ev !== undefined; ev = this.next()) {
      if (ev.type === EventType.CONNECT) emitter.emit('connect', ev);
      else if (ev.type === EventType.DISCONNECT) emitter.emit('disconnect', ev);
      else emitter.emit('receive', ev);
      if (!this.#autoService) return;
    }
  }

  #feedWaiters(): void {
    while (this.#waiters.length > 0) {
      const ev = this.next();
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
