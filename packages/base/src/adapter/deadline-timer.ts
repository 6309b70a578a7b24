// One OS timer for one sans-IO core's deadline (adapter, docs/design.md §2 "the adapter keeps one OS
// timer per core and re-arms it only when pollTimeout() changes"). The one definition (issue #15:
// nat, dtls, the signaling client and server and the agent's link runner each kept their own, with
// different early-fire behaviour). Used by CoreRunner, by adapters of cores with other outputs and
// by enet's CoreDriver (armNoLaterThan).
import { monotonicNow } from './clock.js';

/** Options of a DeadlineTimer. */
export interface DeadlineTimerOptions {
  /** The core's clock (ms, never backwards). Default monotonicNow. */
  now?: () => number;
  /** Let the process exit while only this timer is pending. Default false. */
  unref?: boolean;
}

/**
 * Calls `onDue(now)` once the armed deadline is due. Node may fire a timer up to a millisecond
 * early against a floored clock: then it waits again instead of calling, so a core is never handed
 * a time before its deadline (the contract: handleTimeout once a deadline is due, as in SimDriver).
 */
export class DeadlineTimer {
  readonly #onDue: (now: number) => void;
  readonly #now: () => number;
  readonly #unref: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #at: number | undefined = undefined;

  constructor(onDue: (now: number) => void, options: DeadlineTimerOptions = {}) {
    this.#onDue = onDue;
    this.#now = options.now ?? monotonicNow;
    this.#unref = options.unref ?? false;
  }

  /** The deadline armed (ms on the timer's clock), if any. */
  get armedFor(): number | undefined {
    return this.#at;
  }

  /** Arms for `at` (absolute ms), or disarms with undefined; the same deadline again keeps the OS timer. */
  arm(at: number | undefined): void {
    if (at === this.#at && (at === undefined || this.#timer !== undefined)) return;
    this.cancel();
    if (at === undefined) return;
    this.#at = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(at - this.#now())));
    if (this.#unref) this.#timer.unref();
  }

  /**
   * Keeps an armed deadline no later than `at`, else arms for `at`. For cores whose
   * handleTimeout at a deadline that has since moved later does nothing (the ENet host): the
   * deadline moves with every ACK sent, and a new OS timer each time would cost more than the
   * one stale wake-up, after which the adapter arms for the core's current deadline.
   */
  armNoLaterThan(at: number | undefined): void {
    if (at !== undefined && this.#timer !== undefined && this.#at !== undefined && this.#at <= at) return;
    this.arm(at);
  }

  /** Disarms. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = undefined;
  }

  readonly #fire = (): void => {
    const at = this.#at;
    this.#timer = undefined;
    this.#at = undefined;
    if (at === undefined) return;
    const now = this.#now();
    if (now < at) {
      this.arm(at);
      return;
    }
    this.#onDue(now);
  };
}
