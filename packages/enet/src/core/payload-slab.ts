// Core: the copies `send` makes of small outgoing packets, carved from shared slabs instead of
// one ArrayBuffer each (docs/design.md §5 rule 1; issue #3 throughput), and slabs reused once
// every command that read from them is freed.

/**
 * Bytes per slab. One slab serves 16 packets of 1000 B or ~150 of 100 B. A live copy keeps its
 * whole slab reachable, so this is also the most memory one forgotten small packet can pin
 * (Node's own Buffer pool makes the same trade with 8 KiB).
 */
const SLAB_BYTES = 16384;
/** Larger packets get their own buffer: at least 8 copies share a slab. */
const SLAB_MAX_COPY = 2048;
/**
 * Emptied slabs kept for reuse (512 KiB per host at most). Fresh memory costs far more than the
 * copy itself: ~0.5 µs per 1000 B packet in page faults, zeroing and GC of the ArrayBuffers
 * against ~0.1 µs to copy into a slab already in use.
 */
const FREE_SLABS_LIMIT = 32;

/** One slab: its bytes, how far they are handed out, and how many queued commands read them. */
export class Slab {
  readonly bytes = new Uint8Array(SLAB_BYTES);
  used = 0;
  refs = 0;
}

/**
 * Bump allocator for copies of outgoing payloads. A copy stays valid while a command that
 * retained its slab holds it: a slab is reused only after it is full and every retain was
 * released (a copy nobody retained, e.g. a refused send, pins nothing). Commands that are
 * dropped without being freed only keep their slab from reuse; the GC takes it as before.
 */
export class PayloadSlab {
  #slab = new Slab();
  readonly #free: Slab[] = [];
  /** The slab the last copy() came from, or null when it got a buffer of its own. */
  last: Slab | null = null;

  /** Returns a private copy of `src` (a view into a slab for small packets; see `last`). */
  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    if (n > SLAB_MAX_COPY) {
      this.last = null;
      return new Uint8Array(src);
    }
    let slab = this.#slab;
    let start = slab.used;
    if (start + n > SLAB_BYTES) {
      if (slab.refs === 0) this.#keep(slab);
      slab = this.#free.pop() ?? new Slab();
      slab.used = 0;
      this.#slab = slab;
      start = 0;
    }
    // 8-byte aligned starts keep copies word-aligned for memcpy.
    slab.used = (start + n + 7) & ~7;
    // Copy into the slab, then view it: about half the cost of subarray() + set() on the new
    // view (subarray goes through the species constructor).
    slab.bytes.set(src, start);
    this.last = slab;
    return new Uint8Array(slab.bytes.buffer, start, n);
  }

  /** A queued command now reads from `slab`. */
  retain(slab: Slab): void {
    slab.refs++;
  }

  /** A command that retained `slab` is freed; a full slab nobody reads any more is reused. */
  release(slab: Slab): void {
    if (--slab.refs === 0 && slab !== this.#slab) this.#keep(slab);
  }

  #keep(slab: Slab): void {
    if (this.#free.length < FREE_SLABS_LIMIT) this.#free.push(slab);
  }
}
