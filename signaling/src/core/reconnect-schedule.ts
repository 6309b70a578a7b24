// When to try the signaling service again, and which of its URLs (core, sans-IO): exponential
// backoff with jitter, bounded in delay and in total time, rotating over every URL given.
// SignalingClient (adapter) drives it for the first connect and after losing the connection.
//
// Attempt k (0-based) goes to URL k mod n. The first URL of each round waits
// min(maxDelayMs, firstDelayMs × 2^round) × (½ + ½·random) after the previous failure ("equal
// jitter", AWS Architecture Blog "Exponential Backoff And Jitter": a fleet that lost one service
// does not come back in lock-step); the other URLs of a round follow after at most
// `nextUrlDelayMs` (another node is worth trying at once). The first round always reaches every
// URL (SignalingClient documents "retryConnectMs 0: one try per URL"); later rounds start only
// inside the window, so the plan is bounded by the window plus one round.
import { SignalingError } from '../errors.js';

/** Settings of a ReconnectSchedule; every value in ms. */
export interface ReconnectScheduleConfig {
  /** How many service URLs to rotate over (≥ 1). */
  readonly urlCount: number;
  /** Backoff of the first round (ms, ≥ 1). */
  readonly firstDelayMs: number;
  /** Largest backoff (ms, ≥ firstDelayMs). */
  readonly maxDelayMs: number;
  /** Longest wait before trying the next URL of the same round (ms). */
  readonly nextUrlDelayMs: number;
  /** No attempt starts later than this after `begin` (ms); finite, so the loop is bounded. */
  readonly windowMs: number;
  /** Uniform in [0, 1): the jitter source (Math.random in the adapter, a seeded PRNG in tests). */
  readonly random: () => number;
}

/** One scheduled attempt: when (on the caller's clock) and which URL (index). */
export interface ReconnectAttempt {
  readonly at: number;
  readonly url: number;
  /** 0 for the first attempt after `begin`. */
  readonly attempt: number;
}

/** Defaults: 100 ms first backoff doubling to 5 s, 50 ms to the next URL. */
export const RECONNECT_DEFAULTS = Object.freeze({ firstDelayMs: 100, maxDelayMs: 5000, nextUrlDelayMs: 50 });

/** The retry plan of one outage. */
export class ReconnectSchedule {
  readonly #cfg: ReconnectScheduleConfig;
  #start = 0;
  #attempt = 0;
  #last: ReconnectAttempt | undefined = undefined;

  /** @throws RangeError for a config outside the documented ranges (API misuse). */
  constructor(config: ReconnectScheduleConfig) {
    if (!Number.isInteger(config.urlCount) || config.urlCount < 1) throw new SignalingError('ERR_INVALID_PARAMETER', `urlCount must be an integer ≥ 1, got ${config.urlCount}`);
    if (!(config.firstDelayMs >= 1) || !(config.maxDelayMs >= config.firstDelayMs)) throw new SignalingError('ERR_INVALID_PARAMETER', 'delays must satisfy 1 ≤ firstDelayMs ≤ maxDelayMs');
    if (!Number.isFinite(config.windowMs) || config.windowMs < 0) throw new SignalingError('ERR_INVALID_PARAMETER', `windowMs must be finite and ≥ 0, got ${config.windowMs}`);
    if (!(config.nextUrlDelayMs >= 0)) throw new SignalingError('ERR_INVALID_PARAMETER', 'nextUrlDelayMs must be ≥ 0');
    this.#cfg = config;
  }

  /** Attempts scheduled since `begin`. */
  get attempts(): number {
    return this.#attempt;
  }

  /** When the window of this outage ends (caller's clock). */
  get deadline(): number {
    return this.#start + this.#cfg.windowMs;
  }

  /**
   * The connection was lost (or the first connect starts) at `now`: returns the first attempt,
   * which goes out at once (`immediate`) or after the first backoff.
   */
  begin(now: number, immediate: boolean): ReconnectAttempt {
    this.#start = now;
    this.#attempt = 0;
    this.#last = { at: immediate ? now : now + this.#backoff(0), url: 0, attempt: 0 };
    return this.#last;
  }

  /**
   * The last attempt failed at `now`: the next one, or undefined when it would start after the
   * window (give up) and every URL has had its try. A late call (now past the planned time) plans from `now`.
   */
  next(now: number): ReconnectAttempt | undefined {
    const k = this.#attempt + 1;
    const { urlCount, nextUrlDelayMs } = this.#cfg;
    const url = k % urlCount;
    const round = Math.floor(k / urlCount);
    const wait = url === 0 ? this.#backoff(round) : Math.floor(nextUrlDelayMs * this.#cfg.random());
    const at = now + wait;
    // Before: the window bounded the first round too, so a 0 ms window (the first connect's
    // default) ended after URL 0 and the other URLs were never tried.
    if (at > this.deadline && k >= urlCount) return undefined;
    this.#attempt = k;
    this.#last = { at, url, attempt: k };
    return this.#last;
  }

  /** The backoff before the first attempt of `round`, jittered into [½, 1] of its value. */
  #backoff(round: number): number {
    const { firstDelayMs, maxDelayMs } = this.#cfg;
    // 2^round overflows to Infinity for large rounds; min() caps it either way.
    const base = Math.min(maxDelayMs, firstDelayMs * 2 ** Math.min(round, 52));
    return Math.max(1, Math.floor(base * (0.5 + 0.5 * this.#cfg.random())));
  }
}
