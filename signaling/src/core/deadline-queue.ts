// A FIFO of deadlines for timers that all have the same duration (core).
// Because every entry of one queue is pushed at `now + sameDuration` and `now` never goes
// backwards, the queue stays sorted without a heap: push O(1), pop O(1). Cancelling is lazy:
// each entry carries the owner's generation number and is ignored when it no longer matches.

/** Ordered deadlines of one kind. */
export class DeadlineQueue<T> {
  #at: number[] = [];
  #item: T[] = [];
  #gen: number[] = [];
  #head = 0;

  /** Number of entries not yet popped (stale ones included). */
  get size(): number {
    return this.#at.length - this.#head;
  }

  /** Adds a deadline; `at` must not be before the last one pushed. */
  push(at: number, item: T, gen: number): void {
    this.#at.push(at);
    this.#item.push(item);
    this.#gen.push(gen);
  }

  /** Drops every entry. */
  clear(): void {
    this.#at = [];
    this.#item = [];
    this.#gen = [];
    this.#head = 0;
  }

  /** The earliest deadline, or undefined when empty. */
  peekAt(): number | undefined {
    return this.#head < this.#at.length ? this.#at[this.#head] : undefined;
  }

  /**
   * Pops the head if it is due at `now`, handing item and generation to `fn`.
   * @returns false when nothing was due
   */
  popDue(now: number, fn: (item: T, gen: number) => void): boolean {
    if (this.#head >= this.#at.length || this.#at[this.#head]! > now) return false;
    const item = this.#item[this.#head]!;
    const gen = this.#gen[this.#head]!;
    this.#item[this.#head] = undefined as T;
    this.#head++;
    // Compact once the popped prefix is large, so memory tracks live entries only.
    if (this.#head >= 1024 && this.#head * 2 >= this.#at.length) {
      this.#at = this.#at.slice(this.#head);
      this.#item = this.#item.slice(this.#head);
      this.#gen = this.#gen.slice(this.#head);
      this.#head = 0;
    }
    fn(item, gen);
    return true;
  }
}
