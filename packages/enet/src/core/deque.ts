// Core: a growable ring-buffer deque, so per-peer queues push/pop at both ends without
// shifting arrays or allocating per item (docs/design.md §5).

/** Double-ended queue of T; capacity doubles when full and is never shrunk. */
export class Deque<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #size = 0;
  #mask: number;

  /** `capacityHint` is rounded up to a power of two (≥ 8). */
  constructor(capacityHint = 16) {
    let cap = 8;
    while (cap < capacityHint) cap *= 2;
    this.#items = new Array<T | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  get length(): number {
    return this.#size;
  }

  /** Item `i` from the front (0 = front), or undefined past the end. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.#size) return undefined;
    return this.#items[(this.#head + i) & this.#mask];
  }

  peekFront(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  pushBack(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  pushFront(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = item;
    this.#size++;
  }

  popFront(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  /** Removes and returns item `i` (0 = front), shifting the shorter side; O(min(i, n-i)). */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.#size) return undefined;
    const m = this.#mask;
    const items = this.#items;
    const item = items[(this.#head + i) & m];
    if (i < this.#size / 2) {
      for (let k = i; k > 0; k--) items[(this.#head + k) & m] = items[(this.#head + k - 1) & m];
      items[this.#head] = undefined;
      this.#head = (this.#head + 1) & m;
    } else {
      for (let k = i; k < this.#size - 1; k++) items[(this.#head + k) & m] = items[(this.#head + k + 1) & m];
      items[(this.#head + this.#size - 1) & m] = undefined;
    }
    this.#size--;
    return item;
  }

  /** Inserts `item` before position `i` (i = length appends). */
  insertAt(i: number, item: T): void {
    if (i <= 0) return this.pushFront(item);
    if (i >= this.#size) return this.pushBack(item);
    if (this.#size === this.#items.length) this.#grow();
    const m = this.#mask;
    const items = this.#items;
    for (let k = this.#size; k > i; k--) items[(this.#head + k) & m] = items[(this.#head + k - 1) & m];
    items[(this.#head + i) & m] = item;
    this.#size++;
  }

  clear(): void {
    for (let i = 0; i < this.#size; i++) this.#items[(this.#head + i) & this.#mask] = undefined;
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#items;
    const cap = old.length * 2;
    const items = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.#size; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#head = 0;
    this.#mask = cap - 1;
  }
}
