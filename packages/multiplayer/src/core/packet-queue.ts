// Bounded FIFO of received packets with their sender, transfer channel and mode (core, no I/O).
// Godot's queue is unbounded (godot-enet.md §2); ours caps it and counts drops (DESIGN rule 4).

/** One received packet as `getPacket` and the `getPacket*` accessors see it. */
export interface QueuedPacket {
  /** Payload exactly as the sender passed it to `putPacket` (no header in Godot 4, §2.7). */
  readonly data: Uint8Array;
  /** Unique id of the sender (1 = server). */
  readonly from: number;
  /** Transfer channel (0 = default), already mapped back from the ENet channel. */
  readonly channel: number;
  /** Transfer mode, derived from the received ENet flags. */
  readonly mode: number;
}

/**
 * FIFO with a packet-count cap. `push` refuses (and counts) packets beyond the cap so that a
 * peer that never calls `getPacket` cannot grow memory without bound.
 */
export class PacketQueue {
  private items: Array<QueuedPacket | undefined>;
  private head: number;
  private size: number;
  /** Packets refused because the queue was full. */
  dropped: number;

  /** @param capacity maximum queued packets, ≥ 1. */
  constructor(readonly capacity: number) {
    this.items = [];
    this.head = 0;
    this.size = 0;
    this.dropped = 0;
  }

  /** Number of queued packets. */
  get length(): number {
    return this.size;
  }

  /** Appends a packet; returns false (and counts a drop) when the queue is full. */
  push(packet: QueuedPacket): boolean {
    if (this.size >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.items.push(packet);
    this.size++;
    return true;
  }

  /** The oldest packet, or undefined when empty. */
  peek(): QueuedPacket | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns the oldest packet, or undefined when empty. */
  shift(): QueuedPacket | undefined {
    if (this.size === 0) return undefined;
    const p = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    this.size--;
    // Compact once the dead prefix dominates, so shifting stays amortised O(1).
    if (this.size === 0) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  /** Drops every queued packet (not counted as drops). */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
    this.size = 0;
  }
}
