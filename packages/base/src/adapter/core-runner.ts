// The one runner of a sans-IO core on real time (adapter, docs/design.md §2; issue #15: nat's
// CoreRunner, dtls's DtlsUdpDriver and the signaling client each drove their core themselves).
// Inputs in, transmits drained to `send` after every input, one OS timer re-armed only when
// pollTimeout() changes. The simulator (packages/sim SimDriver) is its virtual-time twin: both call
// handleTimeout only once a deadline is due.
import type { Endpoint, SansIoCore } from '../core/sans-io-core.js';
import { monotonicNow } from './clock.js';
import { DeadlineTimer } from './deadline-timer.js';

/** How a CoreRunner reaches the world. */
export interface CoreRunnerOptions {
  /**
   * Sends one datagram the core produced. The bytes live in the runner's scratch buffer and are
   * overwritten by the next one: copy them if they are queued (docs/design.md §5.6).
   */
  send(bytes: Uint8Array, to: Endpoint): void;
  /** Called after every input and command (`kick`), once transmits are drained: poll the core's events here. */
  afterInput?: () => void;
  /** The core's clock (integer ms, never backwards). Default monotonicNow. */
  now?: () => number;
  /** Scratch buffer size: the largest datagram the core emits (bytes). Default 1500 (one Ethernet MTU). */
  scratchBytes?: number;
  /** Transmits drained per kick; only cuts a runaway core. Default 10 000. */
  maxTransmitsPerKick?: number;
  /** Let the process exit while only this runner's timer is pending. Default false. */
  unref?: boolean;
}

/**
 * Drives one core between `start()` and `stop()`; feed it with `handleDatagram`, call `kick()` after
 * each command to the core. Inputs before `start()` or after `stop()` are ignored.
 */
export class CoreRunner {
  readonly #core: SansIoCore;
  readonly #send: (bytes: Uint8Array, to: Endpoint) => void;
  readonly #afterInput: (() => void) | undefined;
  readonly #now: () => number;
  readonly #maxTransmits: number;
  readonly #timer: DeadlineTimer;
  readonly #out: Uint8Array;
  readonly #to = { address: '', port: 0 };
  #stopped = true;

  constructor(core: SansIoCore, options: CoreRunnerOptions) {
    this.#core = core;
    this.#send = options.send;
    this.#afterInput = options.afterInput;
    this.#now = options.now ?? monotonicNow;
    this.#out = new Uint8Array(options.scratchBytes ?? 1500);
    this.#maxTransmits = options.maxTransmitsPerKick ?? 10_000;
    this.#timer = new DeadlineTimer((now) => {
      this.#core.handleTimeout(now);
      this.kick();
    }, { now: this.#now, unref: options.unref ?? false });
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return !this.#stopped;
  }

  /** Starts taking inputs (call `kick()` to send what the core already has). Idempotent. */
  start(): void {
    this.#stopped = false;
  }

  /** Hands a received datagram to the core, then kicks. */
  handleDatagram(from: Endpoint, bytes: Uint8Array): void {
    if (this.#stopped) return;
    this.#core.handleDatagram(this.#now(), from, bytes);
    this.kick();
  }

  /** Drains transmits, re-arms the timer and calls afterInput; call after every command given to the core. */
  kick(): void {
    if (this.#stopped) return;
    const now = this.#now();
    for (let i = 0; i < this.#maxTransmits; i++) {
      const n = this.#core.pollTransmit(now, this.#out, this.#to);
      if (n === 0) break;
      this.#send(this.#out.subarray(0, n), this.#to);
    }
    this.#afterInput?.();
    // afterInput may have stopped the runner or given the core commands (whose output the next kick sends).
    if (!this.#stopped) this.#timer.arm(this.#core.pollTimeout());
  }

  /** Clears the timer; nothing more goes in or out. The core is left as it is. */
  stop(): void {
    this.#stopped = true;
    this.#timer.cancel();
  }
}
