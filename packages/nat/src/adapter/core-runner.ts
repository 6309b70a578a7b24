// Drives one sans-IO core over a DatagramTransport with one OS timer (adapter, docs/design.md §2):
// STUN datagrams in, transmits drained after every input, the timer re-armed to pollTimeout().
import { monotonicNow } from '@meshpunch/base';
import type { SansIoCore } from '@meshpunch/base';
import type { DatagramTransport } from './transport.js';

/** The shape of every sans-IO core: the one contract of @meshpunch/base (this name kept for nat's API). */
export type RunnableCore = SansIoCore;

/** Transmits drained per input; a core queues a handful per input, so 256 only cuts a runaway core. */
const MAX_TRANSMITS_PER_DRAIN = 256;
/** Scratch buffer: STUN messages here are < 200 bytes; 1500 = one Ethernet MTU. */
const SCRATCH_BYTES = 1500;

/** Runs one core on one transport until `stop()`; the owner polls the core's events in `afterInput`. */
export class CoreRunner {
  readonly #transport: DatagramTransport;
  readonly #core: RunnableCore;
  readonly #afterInput: () => void;
  #out = new Uint8Array(SCRATCH_BYTES);
  #to = { address: '', port: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor: number | undefined;
  #unsubscribe: (() => void) | undefined;

  /** @param afterInput called after every input, to poll the core's events. */
  constructor(transport: DatagramTransport, core: RunnableCore, afterInput: () => void) {
    this.#transport = transport;
    this.#core = core;
    this.#afterInput = afterInput;
  }

  get running(): boolean {
    return this.#unsubscribe !== undefined;
  }

  /** Subscribes to STUN datagrams and processes what is already due. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#transport.onStun((bytes, from) => {
      this.#core.handleDatagram(monotonicNow(), from, bytes);
      this.kick();
    });
    this.kick();
  }

  /** Drains transmits, re-arms the timer and reports; call after every command given to the core. */
  kick(): void {
    if (!this.#unsubscribe) return;
    const now = monotonicNow();
    for (let i = 0; i < MAX_TRANSMITS_PER_DRAIN; i++) {
      const n = this.#core.pollTransmit(now, this.#out, this.#to);
      if (n === 0) break;
      this.#transport.send(this.#to.address, this.#to.port, this.#out.subarray(0, n));
    }
    this.#arm(now);
    this.#afterInput();
  }

  /** Unsubscribes and clears the timer; the core is left as it is. */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = undefined;
  }

  #arm(now: number): void {
    const t = this.#core.pollTimeout();
    if (t === this.#armedFor && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = t;
    if (t === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armedFor = undefined;
      const at = monotonicNow();
      // Timers may fire a little early against the floored clock: wait again rather than feed the
      // core a future time (its clock must never go backwards afterwards).
      if (at < t) {
        this.#arm(at);
        return;
      }
      this.#core.handleTimeout(at);
      this.kick();
    }, Math.max(0, t - now));
  }
}
