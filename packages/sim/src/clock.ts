// Virtual monotonic clock for simulations: integer milliseconds from 0, never backwards.

export class SimClock {
  #now = 0;

  /** Current virtual time in ms. */
  get now(): number {
    return this.#now;
  }

  /** Moves to `t` (ms); a `t` in the past is ignored so time never goes backwards. */
  advanceTo(t: number): void {
    if (t > this.#now) this.#now = Math.floor(t);
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.#now + ms);
  }
}
