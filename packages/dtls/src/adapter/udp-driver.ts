// Drives a DTLS core (DtlsSession or DtlsServer) on a node:dgram socket (adapter): datagrams in,
// transmits out, one timer re-armed from pollTimeout, events to a callback. For tests, the bench
// and tools; an ENet host drives the core from its own socket instead.
import type { Socket, RemoteInfo } from 'node:dgram';
import type { DtlsEndpoint } from '../core/session.js';
import { monotonicNow } from '@meshpunch/base';

/** What the driver needs of a core: the house sans-IO contract (docs/design.md §2). */
export interface DrivableCore<E> {
  handleDatagram(now: number, from: DtlsEndpoint, bytes: Uint8Array): void;
  handleTimeout(now: number): void;
  pollTransmit(now: number, out: Uint8Array, to: DtlsEndpoint): number;
  pollTimeout(): number | undefined;
  pollEvent(): E | undefined;
}

/** Transmits drained per pump; a handshake flight is a few datagrams, so this is a bug guard. */
const MAX_TRANSMITS_PER_PUMP = 10_000;

/** Monotonic integer ms for the core (docs/design.md §2): the one clock helper of @meshpunch/base. */
export { monotonicNow };

export class DtlsUdpDriver<E> {
  readonly core: DrivableCore<E>;
  readonly socket: Socket;
  readonly #onEvent: (e: E) => void;
  readonly #out = new Uint8Array(65536);
  readonly #to: DtlsEndpoint = { address: '', port: 0 };
  #timer: NodeJS.Timeout | undefined = undefined;
  #armedAt: number | undefined = undefined;
  #stopped = false;
  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.#stopped) return;
    this.core.handleDatagram(monotonicNow(), { address: rinfo.address, port: rinfo.port }, msg);
    this.pump();
  };

  /** Binds the socket's message listener once (docs/design.md §5.7); call `pump()` after each command. */
  constructor(core: DrivableCore<E>, socket: Socket, onEvent: (e: E) => void) {
    this.core = core;
    this.socket = socket;
    this.#onEvent = onEvent;
    socket.on('message', this.#onMessage);
  }

  /** Sends what the core has, delivers its events and re-arms the timer. */
  pump(): void {
    if (this.#stopped) return;
    const now = monotonicNow();
    for (let i = 0; i < MAX_TRANSMITS_PER_PUMP; i++) {
      const n = this.core.pollTransmit(now, this.#out, this.#to);
      if (n === 0) break;
      // dgram may read the bytes after send() returns (docs/design.md §5.6): send a copy.
      this.socket.send(Buffer.from(this.#out.subarray(0, n)), this.#to.port, this.#to.address);
    }
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) this.#onEvent(e);
    this.#arm();
  }

  #arm(): void {
    const at = this.core.pollTimeout();
    if (at === this.#armedAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = undefined;
    if (at === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armedAt = undefined;
      this.core.handleTimeout(monotonicNow());
      this.pump();
    }, Math.max(0, at - monotonicNow()));
  }

  /** Stops driving (the socket stays open; its owner closes it). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.socket.off('message', this.#onMessage);
  }
}
