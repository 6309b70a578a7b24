// Drives a DTLS core (DtlsSession or DtlsServer) on a node:dgram socket (adapter) with the shared
// CoreRunner of @meshpunch/base: datagrams in, transmits out, one timer, events to a callback. For
// tests, the bench and tools; an ENet host drives the core from its own socket instead.
import type { Socket, RemoteInfo } from 'node:dgram';
import type { DtlsEndpoint } from '../core/session.js';
import { CoreRunner, monotonicNow } from '@meshpunch/base';

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
  /** The shared runner of @meshpunch/base: transmits out, one timer, events after every input. */
  readonly #runner: CoreRunner;
  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.#runner.handleDatagram({ address: rinfo.address, port: rinfo.port }, msg);
  };

  /** Binds the socket's message listener once (docs/design.md §5.7); call `pump()` after each command. */
  constructor(core: DrivableCore<E>, socket: Socket, onEvent: (e: E) => void) {
    this.core = core;
    this.socket = socket;
    this.#runner = new CoreRunner(core, {
      // dgram may read the bytes after send() returns (docs/design.md §5.6): send a copy.
      send: (bytes, to) => socket.send(Buffer.from(bytes), to.port, to.address),
      afterInput: () => {
        for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) onEvent(e);
      },
      scratchBytes: 65536,
      maxTransmitsPerKick: MAX_TRANSMITS_PER_PUMP,
    });
    socket.on('message', this.#onMessage);
    this.#runner.start();
  }

  /** Sends what the core has, delivers its events and re-arms the timer. */
  pump(): void {
    this.#runner.kick();
  }

  /** Stops driving (the socket stays open; its owner closes it). */
  stop(): void {
    this.#runner.stop();
    this.socket.off('message', this.#onMessage);
  }
}
