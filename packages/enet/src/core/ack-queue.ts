// Core: a peer's pending ACKs (enet-protocol.md §6) as a ring of 32-bit words, so queueing and
// writing an ACK allocates nothing and needs no floating-point packing (docs/design.md §5 rule 1).

/**
 * FIFO of (command number, channel, reliable sequence number, 16-bit sent time). Two Uint32
 * words per ACK: seq << 16 | sentTime, and command << 8 | channel. Capacity doubles when full
 * (the host caps the length at `maxPendingAcknowledgements`) and is never shrunk.
 */
export class AckQueue {
  #words: Uint32Array;
  #head = 0;
  #size = 0;
  #mask: number;

  /** `capacityHint` ACKs, rounded up to a power of two (≥ 8). */
  constructor(capacityHint = 64) {
    let cap = 8;
    while (cap < capacityHint) cap *= 2;
    this.#words = new Uint32Array(cap * 2);
    this.#mask = cap - 1;
  }

  get length(): number {
    return this.#size;
  }

  /** Appends one ACK (`seq`, `sentTime` 16-bit; `channelID` 8-bit; `commandNumber` 4-bit). */
  push(commandNumber: number, channelID: number, seq: number, sentTime: number): void {
    if (this.#size > this.#mask) this.#grow();
    const i = ((this.#head + this.#size) & this.#mask) * 2;
    this.#words[i] = ((seq & 0xffff) << 16 | (sentTime & 0xffff)) >>> 0;
    this.#words[i + 1] = ((commandNumber & 0xff) << 8) | (channelID & 0xff);
    this.#size++;
  }

  /** Sequence number of the oldest ACK (queue not empty). */
  frontSeq(): number {
    return this.#words[this.#head * 2]! >>> 16;
  }

  /** Echoed 16-bit sent time of the oldest ACK. */
  frontSentTime(): number {
    return this.#words[this.#head * 2]! & 0xffff;
  }

  /** Channel of the oldest ACK. */
  frontChannel(): number {
    return this.#words[this.#head * 2 + 1]! & 0xff;
  }

  /** Command number the oldest ACK acknowledges. */
  frontCommand(): number {
    return this.#words[this.#head * 2 + 1]! >>> 8;
  }

  /** Drops the oldest ACK (no-op when empty). */
  shift(): void {
    if (this.#size === 0) return;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const cap = (this.#mask + 1) * 2;
    const words = new Uint32Array(cap * 2);
    for (let k = 0; k < this.#size; k++) {
      const from = ((this.#head + k) & this.#mask) * 2;
      words[k * 2] = this.#words[from]!;
      words[k * 2 + 1] = this.#words[from + 1]!;
    }
    this.#words = words;
    this.#head = 0;
    this.#mask = cap - 1;
  }
}
