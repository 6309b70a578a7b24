// Runs one sans-IO core on a DatagramTransport (adapter, docs/design.md §2): the shared CoreRunner of
// @meshpunch/base, fed with the transport's STUN datagrams between start() and stop().
import { CoreRunner as BaseCoreRunner } from '@meshpunch/base';
import type { SansIoCore } from '@meshpunch/base';
import type { DatagramTransport } from './transport.js';

/** The shape of every sans-IO core: the one contract of @meshpunch/base (this name kept for nat's API). */
export type RunnableCore = SansIoCore;

/** Transmits drained per input; a core queues a handful per input, so 256 only cuts a runaway core. */
const MAX_TRANSMITS_PER_DRAIN = 256;
/** Scratch buffer: STUN messages here are < 200 bytes; 1500 = one Ethernet MTU. */
const SCRATCH_BYTES = 1500;

/** Runs one core on one transport until `stop()`; the owner polls the core's events in `afterInput`. */
export class CoreRunner extends BaseCoreRunner {
  readonly #transport: DatagramTransport;
  #unsubscribe: (() => void) | undefined;

  /** @param afterInput called after every input, to poll the core's events. */
  constructor(transport: DatagramTransport, core: RunnableCore, afterInput: () => void) {
    super(core, {
      send: (bytes, to) => transport.send(to.address, to.port, bytes),
      afterInput,
      scratchBytes: SCRATCH_BYTES,
      maxTransmitsPerKick: MAX_TRANSMITS_PER_DRAIN,
    });
    this.#transport = transport;
  }

  /** Subscribes to STUN datagrams and processes what is already due. */
  override start(): void {
    if (this.running) return;
    this.#unsubscribe = this.#transport.onStun((bytes, from) => this.handleDatagram(from, bytes));
    super.start();
    this.kick();
  }

  /** Unsubscribes and clears the timer; the core is left as it is. */
  override stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    super.stop();
  }
}
