// Core: the copies `send` makes of small outgoing packets, carved from shared slabs instead of
// one ArrayBuffer each (docs/design.md §5 rule 1; issue #3 throughput).

/**
 * Bytes per slab. One ArrayBuffer allocation (malloc, GC registration and sweeping) then serves
 * 16 packets of 1000 B or ~150 of 100 B instead of one each. A live copy keeps its whole slab
 * reachable, so this is also the most memory one forgotten small packet can pin (Node's own
 * Buffer pool makes the same trade with 8 KiB).
 */
const SLAB_BYTES = 16384;
/** Larger packets get their own buffer: at least 8 copies share a slab. */
const SLAB_MAX_COPY = 2048;

/**
 * Bump allocator for copies of outgoing payloads. A copy stays valid for as long as anyone
 * holds it (slabs are never reused, only left to the garbage collector once full and unused).
 */
export class PayloadSlab {
  #slab = new Uint8Array(SLAB_BYTES);
  #used = 0;

  /** Returns a private copy of `src` (a view into a slab for small packets). */
  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    if (n > SLAB_MAX_COPY) return new Uint8Array(src);
    let start = this.#used;
    if (start + n > SLAB_BYTES) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      start = 0;
    }
    // 8-byte aligned starts keep copies word-aligned for memcpy.
    this.#used = (start + n + 7) & ~7;
    const out = this.#slab.subarray(start, start + n);
    out.set(src);
    return out;
  }
}
