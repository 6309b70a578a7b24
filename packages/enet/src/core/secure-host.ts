// Core: an ENet host whose datagrams travel as DTLS application data (Godot's
// dtls_server_setup / dtls_client_setup, docs/specs/godot-enet.md §8). The HostCore sees
// plaintext ENet datagrams with the remote's real address; the DTLS transport (one session per
// remote on the same socket) turns them into records and back. Sans-IO like both halves: the
// adapter (ENetConnection) and the simulator drive it through the same contract as HostCore.
// Only types are imported from @meshpunch/dtls: the transport is built by the adapter, with
// node:crypto behind it, and handed in.
import type { DtlsError, DtlsTransport } from '@meshpunch/dtls';
import { MAX_DATAGRAM_SIZE } from './constants.js';
import type { CoreEvent } from './events.js';
import type { CoreEndpoint } from './host-context.js';
import type { HostCore } from './host.js';

/** What the DTLS layer reports besides ENet data: a peer authenticated, refused, or gone. */
export type SecureHostEvent =
  | { type: 'connected'; address: string; port: number; peerFingerprint: string | undefined; cipherSuite: number }
  | { type: 'error'; address: string; port: number; error: DtlsError }
  | { type: 'closed'; address: string; port: number; reason: 'local' | 'peerClosed' | 'replaced' };

/** DTLS events kept for pollSecurityEvent; beyond this they are dropped and counted. */
const MAX_SECURITY_EVENTS = 1024;

export class SecureHost {
  readonly host: HostCore;
  readonly transport: DtlsTransport;
  /** ENet datagrams that had no DTLS session to travel in (e.g. a server answering before a handshake). */
  plaintextDropped = 0;
  /** Security events dropped because nobody polled them. */
  securityEventsDropped = 0;
  readonly #plain = new Uint8Array(MAX_DATAGRAM_SIZE);
  /** The last view of `#plain` handed to the transport, reused while datagrams keep one length (bulk data). */
  #plainView = this.#plain.subarray(0, 0);
  readonly #plainTo: CoreEndpoint = { address: '', port: 0 };
  #events: SecureHostEvent[] = [];

  constructor(host: HostCore, transport: DtlsTransport) {
    this.host = host;
    this.transport = transport;
  }

  /** DTLS records from `from`: handshakes advance, application data goes to ENet as plaintext. */
  handleDatagram(now: number, from: CoreEndpoint, bytes: Uint8Array): void {
    // Common case: one application data record, opened in place and handed to ENet as a view
    // into the datagram (which HostCore keeps views of anyway), no event in between.
    const plain = this.transport.openFrom(from, bytes);
    if (plain !== undefined) {
      if (plain !== null) this.host.handleDatagram(now, from, plain);
      return;
    }
    this.transport.handleDatagram(now, from, bytes);
    this.#pump(now);
  }

  handleTimeout(now: number): void {
    this.transport.handleTimeout(now);
    this.#pump(now);
    this.host.handleTimeout(now);
  }

  /**
   * The next datagram to send: DTLS handshake and alert records first, then ENet's datagrams
   * sealed for their remote. Same contract as HostCore.pollTransmit.
   */
  pollTransmit(now: number, out: Uint8Array, to: CoreEndpoint): number {
    return this.#poll(now, out, to, false);
  }

  /** HostCore.pollTransmitHoldingAcks through DTLS (handshake records are never held). */
  pollTransmitHoldingAcks(now: number, out: Uint8Array, to: CoreEndpoint): number {
    return this.#poll(now, out, to, true);
  }

  #poll(now: number, out: Uint8Array, to: CoreEndpoint, holdAcks: boolean): number {
    const t = this.transport;
    let n = t.pollTransmit(now, out, to);
    if (n > 0) return n;
    const plain = this.#plain;
    const plainTo = this.#plainTo;
    // Bounded by the host: each pass takes one ENet datagram out of it.
    for (;;) {
      const m = holdAcks ? this.host.pollTransmitHoldingAcks(now, plain, plainTo) : this.host.pollTransmit(now, plain, plainTo);
      if (m === 0) return 0;
      let view = this.#plainView;
      if (view.length !== m) {
        view = plain.subarray(0, m);
        this.#plainView = view;
      }
      // Common case: sealed straight into the caller's buffer, nothing queued or copied.
      n = t.sealTo(plainTo, view, out);
      if (n > 0) {
        to.address = plainTo.address;
        to.port = plainTo.port;
        return n;
      }
      if (!t.send(now, plainTo, view)) this.plaintextDropped++;
      n = t.pollTransmit(now, out, to);
      if (n > 0) return n;
    }
  }

  pollTimeout(): number | undefined {
    const a = this.transport.pollTimeout();
    const b = this.host.pollTimeout();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return a < b ? a : b;
  }

  /** ENet's events, as HostCore.pollEvent. */
  pollEvent(): CoreEvent | undefined {
    return this.host.pollEvent();
  }

  /** The next DTLS event (peer authenticated, refused, closed), or undefined. */
  pollSecurityEvent(): SecureHostEvent | undefined {
    return this.#events.shift();
  }

  /** Starts close_notify to every remote (the host is going away). */
  closeAll(now: number): void {
    this.transport.closeAll(now);
    this.#pump(now);
  }

  #pump(now: number): void {
    const host = this.host;
    for (let e = this.transport.pollEvent(); e !== undefined; e = this.transport.pollEvent()) {
      if (e.type === 'data') {
        host.handleDatagram(now, e.remote, e.data);
        continue;
      }
      if (this.#events.length >= MAX_SECURITY_EVENTS) {
        this.securityEventsDropped++;
        continue;
      }
      const { address, port } = e.remote;
      if (e.type === 'connected') this.#events.push({ type: 'connected', address, port, peerFingerprint: e.peerFingerprint, cipherSuite: e.cipherSuite });
      else if (e.type === 'error') this.#events.push({ type: 'error', address, port, error: e.error });
      else this.#events.push({ type: 'closed', address, port, reason: e.reason });
    }
  }
}
