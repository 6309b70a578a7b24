// Adapter: drives one host's sans-IO core (HostCore, or SecureHost around it) with its socket
// and one timer — datagrams in the moment they arrive, output at the end of the event-loop turn
// (or at once on flush), ACKs, retransmissions and pings between service() calls. The only
// ENet code with a clock and a timer; one driver per createHost, gone with destroy().
import { DeadlineTimer, monotonicNow as nowMs } from '@meshpunch/base';
import type { CoreEndpoint } from '../core/host-context.js';
import type { HostCore } from '../core/host.js';
import type { SecureHost } from '../core/secure-host.js';
import type { EventDelivery } from './event-delivery.js';
import type { DatagramSource, HostSocket } from './host-socket.js';
import { ZeroCopySender } from './zero-copy-sender.js';

/**
 * Most datagrams read from the core per drain. The core never queues unbounded output, but a
 * cap keeps one drain from monopolising the event loop; the rest goes on the next turn.
 */
const MAX_TRANSMITS_PER_DRAIN = 4096;

/** The connection's hooks the driver calls and the counters it keeps (they outlive a host). */
export interface DriverHooks {
  /** See ENetConnection.intercept. */
  readonly intercept: ((from: DatagramSource, bytes: Uint8Array) => boolean) | null;
  /** See ENetConnection.egress. */
  readonly egress: ((to: DatagramSource, bytes: Uint8Array) => boolean) | null;
  sendErrors: number;
  interceptErrors: number;
  egressErrors: number;
  egressHandled: number;
  delivered: number;
  queuedScratchSwaps: number;
}

export class CoreDriver {
  readonly core: HostCore;
  readonly socket: HostSocket;
  /** Set by DTLS setup: the core's datagrams then travel as DTLS records. */
  #secure: SecureHost | null = null;
  readonly #events: EventDelivery;
  readonly #hooks: DriverHooks;
  readonly #sender: ZeroCopySender;
  /** unref'd: an idle host must not keep the process alive (as libenet's service loop doesn't). */
  readonly #timer = new DeadlineTimer((now) => this.#onTimer(now), { now: nowMs, unref: true });
  #flushScheduled = false;
  #destroyed = false;
  readonly #to: CoreEndpoint = { address: '', port: 0 };
  readonly #from: CoreEndpoint = { address: '', port: 0 };
  readonly #deliverFrom: CoreEndpoint = { address: '', port: 0 };

  constructor(core: HostCore, socket: HostSocket, events: EventDelivery, hooks: DriverHooks) {
    this.core = core;
    this.socket = socket;
    this.#events = events;
    this.#hooks = hooks;
    this.#sender = new ZeroCopySender((err) => this.#onSocketError(err), hooks);
    socket.listen({
      message: (msg, address, port) => this.#onMessage(msg, address, port),
      error: (err) => this.#onSocketError(err),
      closedUnderneath: () => this.#onSocketClosed(),
    });
  }

  get secure(): SecureHost | null {
    return this.#secure;
  }

  /** From now on the core's datagrams travel through `secure` (DTLS). */
  secureWith(secure: SecureHost): void {
    this.#secure = secure;
  }

  /**
   * One datagram that arrived by another path (ENetConnection.deliver), from a canonical
   * address; `intercept` is not asked.
   */
  deliver(address: string, port: number, bytes: Uint8Array): void {
    const f = this.#deliverFrom;
    f.address = address;
    f.port = port;
    this.#hooks.delivered++;
    this.#input(f, bytes);
  }

  /**
   * What service() does before it looks for an event: runs due timers and sends what is queued,
   * ACK-only datagrams excepted — they wait for the flush at the end of this event-loop turn:
   * a frame loop that answers a packet right after service() then carries the ACK in its
   * answer instead of a datagram of its own. Held ACKs are due at once (pollTimeout says so),
   * so the flush is scheduled here and arms the timer after it.
   */
  serviceDue(): void {
    const now = nowMs();
    const driven = this.#secure ?? this.core;
    const t = driven.pollTimeout();
    if (t !== undefined && t <= now) driven.handleTimeout(now);
    this.#transmit(true, now);
    const due = driven.pollTimeout();
    if (due !== undefined && due <= now) this.scheduleFlush();
    else this.#arm(due);
  }

  /**
   * Coalesces transmissions of one event-loop turn into few datagrams. Writing a datagram can
   * queue an event: the ACK of a remote's DISCONNECT turns the peer into a zombie with its
   * DISCONNECT event, and the remote sends nothing after it. So the events go out here too, or
   * an autoService host (and a waiting service()) would only see it at the next datagram or
   * timer, which may never come (test/interop/godot3: Godot 3's disconnect_peer).
   */
  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#destroyed) return;
      this.#transmit();
      this.#events.dispatch();
      this.rearm();
    });
  }

  /**
   * Sends everything queued now. In autoService mode, events that writing produced are emitted
   * by a scheduled flush, not here: flush() runs inside the caller's own call (put_packet
   * flushes), and an event emitted there would re-enter it.
   */
  flush(): void {
    if (this.#destroyed) return;
    this.#transmit();
    if (this.#events.autoService && this.core.pendingEvents > 0) this.scheduleFlush();
    this.rearm();
  }

  /** Arms the timer for the core's next deadline (or stops it when there is none). */
  rearm(): void {
    if (this.#destroyed) return;
    this.#arm((this.#secure ?? this.core).pollTimeout());
  }

  /** Arms the timer for deadline `t` (ms; undefined: none). */
  #arm(t: number | undefined): void {
    // No socket (closed underneath): nothing can leave, so no timer either.
    if (this.#destroyed || !this.socket.isOpen) return;
    if (t === undefined) {
      this.#stopTimer();
      return;
    }
    // An armed timer due no later than t is kept: firing at a deadline that moved later is
    // harmless (a spurious handleTimeout does nothing) and re-arms; this avoids a new timer
    // after every ACK.
    this.#timer.armNoLaterThan(t);
  }

  /**
   * Ends the host: datagrams already queued (e.g. disconnect_now's DISCONNECT) still leave and
   * DTLS associations end with close_notify; nothing new is queued, so remotes of peers still
   * connected time out as with libenet's host destroy. Then the core and the socket close.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#secure?.closeAll(nowMs());
    this.#transmit();
    this.#secure = null;
    this.core.destroy();
    this.#destroyed = true;
    this.#stopTimer();
    this.socket.close();
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    if (this.#destroyed) return;
    const from = this.#from;
    from.address = this.socket.canonicalSource(address);
    from.port = port;
    const intercept = this.#hooks.intercept;
    if (intercept !== null) {
      let consumed: boolean;
      try {
        consumed = intercept({ address: from.address, port }, msg);
      } catch {
        // A throwing hook must not take the socket down: drop the datagram and count it.
        this.#hooks.interceptErrors++;
        return;
      }
      if (consumed) return;
    }
    this.#input(from, msg);
  }

  /** One datagram into the core, then its events; shared by the socket and `deliver`. */
  #input(from: CoreEndpoint, bytes: Uint8Array): void {
    const secure = this.#secure;
    if (secure === null) this.core.handleDatagram(nowMs(), from, bytes);
    else {
      secure.handleDatagram(nowMs(), from, bytes);
      this.#events.emitSecurityEvents(secure);
    }
    // Events go out at once; transmission waits for the end of this poll phase (setImmediate),
    // so the ACKs for every datagram libuv reads in one go share datagrams, as libenet's
    // receive-then-send service pass does.
    this.#events.dispatch();
    this.scheduleFlush();
  }

  #onTimer(now: number): void {
    if (this.#destroyed) return;
    const secure = this.#secure;
    if (secure === null) this.core.handleTimeout(now);
    else {
      secure.handleTimeout(now);
      this.#events.emitSecurityEvents(secure);
    }
    this.#transmit();
    this.#events.dispatch();
    this.rearm();
  }

  /**
   * Sends what the core has due at `now` (read here when not given); with `holdAcks`, ACK-only
   * datagrams wait (pollTransmitHoldingAcks).
   */
  #transmit(holdAcks = false, now = nowMs()): void {
    const socket = this.socket;
    if (this.#destroyed || !socket.isOpen) return;
    const sender = this.#sender;
    const to = this.#to;
    const driven = this.#secure ?? this.core;
    for (let i = 0; i < MAX_TRANSMITS_PER_DRAIN; i++) {
      const n = holdAcks ? driven.pollTransmitHoldingAcks(now, sender.scratch, to) : driven.pollTransmit(now, sender.scratch, to);
      if (n === 0) return;
      const bytes = sender.view(n);
      const egress = this.#hooks.egress;
      if (egress !== null && this.#egressed(egress, bytes)) continue;
      sender.send(socket, bytes, to.port, to.address, now);
    }
    this.scheduleFlush();
  }

  /** Offers one datagram to the egress hook; true when it is gone (sent by the hook, or lost to a throw). */
  #egressed(egress: (to: DatagramSource, bytes: Uint8Array) => boolean, bytes: Uint8Array): boolean {
    let handled: boolean;
    try {
      handled = egress(this.#to, bytes) === true;
    } catch {
      this.#hooks.egressErrors++;
      return true;
    }
    if (handled) this.#hooks.egressHandled++;
    return handled;
  }

  /** A socket 'error' (a failed receive) or a failed probe send: count it and report one ERROR. */
  #onSocketError(err: Error): void {
    this.#hooks.sendErrors++;
    if (this.#destroyed) return;
    this.#events.socketFailed(err);
  }

  /** The socket closed although destroy() was not called: no timer, ERROR until destroy(). */
  #onSocketClosed(): void {
    this.#stopTimer();
    this.#events.socketClosed();
  }

  #stopTimer(): void {
    this.#timer.cancel();
  }
}
