// ENet's range coder (libenet compress.c), byte-exact: an adaptive order-2 PPM model with an
// order-0 fallback over a carry-less 32-bit range coder. Core layer: pure, no I/O.
// Spec: docs/specs/enet-protocol.md §11 (model, encoder, decoder) and §2.3 (protocol use).

/** Range coder constants (ENet compress.c; spec §11.1). */
const TOP = 0x1000000; // 2^24
const BOTTOM = 0x10000; // 2^16
const CONTEXT_SYMBOL_DELTA = 3;
const CONTEXT_SYMBOL_MINIMUM = 1;
const CONTEXT_ESCAPE_MINIMUM = 1;
const SUBCONTEXT_ORDER = 2;
const SUBCONTEXT_SYMBOL_DELTA = 2;
const SUBCONTEXT_ESCAPE_DELTA = 5;
/** libenet's fixed symbol pool ("enough for reasonable MTUs"); the model resets near the end. */
const SYMBOL_POOL = 4096;
/** Reset point: pool size minus the sub-context order (ENET_RANGE_CODER_FREE_SYMBOLS). */
const SYMBOL_RESET_AT = SYMBOL_POOL - SUBCONTEXT_ORDER;
/** Rescale a sub-context when a symbol's count passes 0xFF - 2*delta (compress.c). */
const SUBCONTEXT_COUNT_LIMIT = 0xff - 2 * SUBCONTEXT_SYMBOL_DELTA;
/** Rescale the root when a count passes 0xFF - 2*delta + minimum (compress.c). */
const ROOT_COUNT_LIMIT = 0xff - 2 * CONTEXT_SYMBOL_DELTA + CONTEXT_SYMBOL_MINIMUM;
/** Rescale any context whose total passes BOTTOM - 0x100, so totals stay below 2^16. */
const TOTAL_LIMIT = BOTTOM - 0x100;
const ROOT = 0;

/**
 * A pluggable datagram compressor, the TypeScript shape of libenet's `ENetCompressor`.
 * Both methods are stateless per call and never throw on any input.
 */
export interface Compressor {
  /**
   * Compresses `src` into `dst[0..limit)`; `limit` defaults to `dst.length`.
   * @returns the compressed length in bytes, or 0 when the output would not fit in `limit`.
   */
  compress(src: Uint8Array, dst: Uint8Array, limit?: number): number;
  /**
   * Decompresses `src` into `dst[0..limit)`; `limit` defaults to `dst.length`.
   * @returns the decompressed length in bytes, or 0 when `src` is invalid or the output would
   *   exceed `limit`.
   */
  decompress(src: Uint8Array, dst: Uint8Array, limit?: number): number;
}

/**
 * libenet's range coder, byte-exact with `enet_range_coder_compress` / `_decompress` of 1.3.17.
 *
 * The model lives in preallocated typed arrays (one instance ≈ 60 KB), so a call allocates
 * nothing. Node links are stored as absolute indices (libenet stores forward offsets; node 0,
 * the root, is never a child, so 0 still means "none" and the trees are identical).
 * Not reentrant: use one instance per host.
 */
export class RangeCoder implements Compressor {
  // One entry per model node (ENetSymbol in compress.c), struct-of-arrays.
  private readonly value = new Uint8Array(SYMBOL_POOL);
  private readonly count = new Uint8Array(SYMBOL_POOL);
  private readonly under = new Uint16Array(SYMBOL_POOL);
  private readonly left = new Uint16Array(SYMBOL_POOL);
  private readonly right = new Uint16Array(SYMBOL_POOL);
  private readonly symbols = new Uint16Array(SYMBOL_POOL);
  private readonly escapes = new Uint16Array(SYMBOL_POOL);
  private readonly total = new Uint16Array(SYMBOL_POOL);
  private readonly parent = new Uint16Array(SYMBOL_POOL);
  private next = 0;

  // Coder state of the call in progress.
  private low = 0;
  private range = 0;
  private code = 0;
  private io: Uint8Array = new Uint8Array(0);
  private ioPos = 0;
  private ioEnd = 0;

  // Results of the last `bump` / tree decode (compress.c returns them through macro arguments).
  private hitNode = 0;
  private hitUnder = 0;
  private hitCount = 0;
  private hitValue = 0;

  /** @inheritdoc */
  compress(src: Uint8Array, dst: Uint8Array, limit = dst.length): number {
    const outLimit = Math.min(limit, dst.length);
    if (src.length === 0) return 0;
    this.low = 0;
    this.range = 0xffffffff;
    this.io = dst;
    this.ioPos = 0;
    this.ioEnd = outLimit;
    this.resetModel();
    let predicted = 0;
    let order = 0;
    const parent = this.parent;
    const escapes = this.escapes;
    const total = this.total;
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      // `slotNode` is the node whose `parent` receives the next found node; -1 = `predicted`.
      let slotNode = -1;
      let done = false;
      let c = predicted;
      while (c !== ROOT) {
        this.bump(c, v, SUBCONTEXT_SYMBOL_DELTA, 0);
        const n = this.hitNode;
        if (slotNode < 0) predicted = n;
        else parent[slotNode] = n;
        slotNode = n;
        const tot = total[c]!;
        const cnt = this.hitCount;
        if (cnt > 0) {
          if (!this.encode(escapes[c]! + this.hitUnder, cnt, tot)) return 0;
        } else {
          const esc = escapes[c]!;
          if (esc > 0 && esc < tot && !this.encode(0, esc, tot)) return 0;
          escapes[c] = esc + SUBCONTEXT_ESCAPE_DELTA;
          total[c] = total[c]! + SUBCONTEXT_ESCAPE_DELTA;
        }
        total[c] = total[c]! + SUBCONTEXT_SYMBOL_DELTA;
        if (cnt > SUBCONTEXT_COUNT_LIMIT || total[c]! > TOTAL_LIMIT) this.rescale(c, 0);
        if (cnt > 0) {
          done = true;
          break;
        }
        c = parent[c]!;
      }
      if (!done) {
        this.bump(ROOT, v, CONTEXT_SYMBOL_DELTA, CONTEXT_SYMBOL_MINIMUM);
        const n = this.hitNode;
        if (slotNode < 0) predicted = n;
        else parent[slotNode] = n;
        const cnt = this.hitCount;
        if (!this.encode(escapes[ROOT]! + this.hitUnder, cnt, total[ROOT]!)) return 0;
        total[ROOT] = total[ROOT]! + CONTEXT_SYMBOL_DELTA;
        if (cnt > ROOT_COUNT_LIMIT || total[ROOT]! > TOTAL_LIMIT) this.rescale(ROOT, CONTEXT_SYMBOL_MINIMUM);
      }
      if (order >= SUBCONTEXT_ORDER) predicted = parent[predicted]!;
      else order++;
      if (this.next >= SYMBOL_RESET_AT) {
        this.resetModel();
        predicted = 0;
        order = 0;
      }
    }
    // Flush: emit the significant bytes of `low`; trailing zero bytes are never written.
    while (this.low !== 0) {
      if (this.ioPos >= this.ioEnd) return 0;
      dst[this.ioPos++] = this.low >>> 24;
      this.low = (this.low << 8) >>> 0;
    }
    return this.ioPos;
  }

  /** @inheritdoc */
  decompress(src: Uint8Array, dst: Uint8Array, limit = dst.length): number {
    const outLimit = Math.min(limit, dst.length);
    if (src.length === 0) return 0;
    this.low = 0;
    this.range = 0xffffffff;
    this.io = src;
    this.ioEnd = src.length;
    // Seed: the first four input bytes, big-endian; missing low-order bytes are 0.
    let seed = 0;
    for (let k = 0; k < 4; k++) seed = seed * 256 + (k < src.length ? src[k]! : 0);
    this.code = seed;
    this.ioPos = Math.min(4, src.length);
    this.resetModel();
    let predicted = 0;
    let order = 0;
    let outPos = 0;
    const parent = this.parent;
    const escapes = this.escapes;
    const total = this.total;
    for (;;) {
      let c = predicted;
      let found = -1;
      let v = 0;
      let hops = 0;
      while (c !== ROOT) {
        // Context chains are at most SUBCONTEXT_ORDER long; the bound only guards garbage.
        if (++hops > SYMBOL_POOL) return 0;
        const esc = escapes[c]!;
        const tot = total[c]!;
        if (esc === 0 || esc >= tot) {
          c = parent[c]!;
          continue;
        }
        let k = this.read(tot);
        if (k < esc) {
          this.consume(0, esc);
          c = parent[c]!;
          continue;
        }
        k -= esc;
        if (!this.decodeSubcontext(c, k)) return 0;
        v = this.hitValue;
        found = this.hitNode;
        const cnt = this.hitCount;
        this.consume(esc + this.hitUnder, cnt);
        total[c] = total[c]! + SUBCONTEXT_SYMBOL_DELTA;
        if (cnt > SUBCONTEXT_COUNT_LIMIT || total[c]! > TOTAL_LIMIT) this.rescale(c, 0);
        break;
      }
      if (found < 0) {
        const tot = total[ROOT]!;
        let k = this.read(tot);
        const esc = escapes[ROOT]!;
        if (k < esc) {
          // The root escape is the end of the stream (no end symbol is coded; spec §11.5).
          this.consume(0, esc);
          break;
        }
        k -= esc;
        this.decodeRoot(k);
        v = this.hitValue;
        found = this.hitNode;
        const cnt = this.hitCount;
        this.consume(esc + this.hitUnder, cnt);
        total[ROOT] = total[ROOT]! + CONTEXT_SYMBOL_DELTA;
        if (cnt > ROOT_COUNT_LIMIT || total[ROOT]! > TOTAL_LIMIT) this.rescale(ROOT, CONTEXT_SYMBOL_MINIMUM);
        c = ROOT;
      }
      // Update the higher-order contexts escaped from, exactly as the encoder did.
      let slotNode = -1;
      let p = predicted;
      hops = 0;
      while (p !== c) {
        if (++hops > SYMBOL_POOL) return 0;
        this.bump(p, v, SUBCONTEXT_SYMBOL_DELTA, 0);
        const n = this.hitNode;
        if (slotNode < 0) predicted = n;
        else parent[slotNode] = n;
        slotNode = n;
        const cnt = this.hitCount;
        if (cnt === 0) {
          escapes[p] = escapes[p]! + SUBCONTEXT_ESCAPE_DELTA;
          total[p] = total[p]! + SUBCONTEXT_ESCAPE_DELTA;
        }
        total[p] = total[p]! + SUBCONTEXT_SYMBOL_DELTA;
        if (cnt > SUBCONTEXT_COUNT_LIMIT || total[p]! > TOTAL_LIMIT) this.rescale(p, 0);
        p = parent[p]!;
      }
      if (slotNode < 0) predicted = found;
      else parent[slotNode] = found;
      if (outPos >= outLimit) return 0;
      dst[outPos++] = v;
      if (order >= SUBCONTEXT_ORDER) predicted = parent[predicted]!;
      else order++;
      if (this.next >= SYMBOL_RESET_AT) {
        this.resetModel();
        predicted = 0;
        order = 0;
      }
    }
    return outPos;
  }

  /** Empties the pool and creates the order-0 root (ENET_CONTEXT_CREATE, spec §11.2). */
  private resetModel(): void {
    this.next = 0;
    const root = this.newNode(0, 0);
    this.escapes[root] = CONTEXT_ESCAPE_MINIMUM;
    this.total[root] = CONTEXT_ESCAPE_MINIMUM + 256 * CONTEXT_SYMBOL_MINIMUM;
  }

  /** Allocates the next pool node (ENET_SYMBOL_CREATE). */
  private newNode(v: number, c: number): number {
    const n = this.next++;
    this.value[n] = v;
    this.count[n] = c;
    this.under[n] = c;
    this.left[n] = 0;
    this.right[n] = 0;
    this.symbols[n] = 0;
    this.escapes[n] = 0;
    this.total[n] = 0;
    this.parent[n] = 0;
    return n;
  }

  /**
   * Looks `v` up in context `ctx`'s tree, inserting it if absent, and adds `inc` to its count
   * (ENET_CONTEXT_ENCODE, spec §11.3). Leaves the node, the cumulative frequency below `v` and
   * its frequency before the update (both including `floor` per symbol) in `hit*`.
   */
  private bump(ctx: number, v: number, inc: number, floor: number): void {
    let cum = v * floor;
    let cnt = floor;
    const value = this.value;
    const under = this.under;
    if (this.symbols[ctx] === 0) {
      const n = this.newNode(v, inc);
      this.symbols[ctx] = n;
      this.hitNode = n;
      this.hitUnder = cum;
      this.hitCount = cnt;
      return;
    }
    let t = this.symbols[ctx]!;
    for (;;) {
      const tv = value[t]!;
      if (v < tv) {
        under[t] = under[t]! + inc;
        const l = this.left[t]!;
        if (l !== 0) {
          t = l;
          continue;
        }
        const n = this.newNode(v, inc);
        this.left[t] = n;
        this.hitNode = n;
        break;
      }
      if (v > tv) {
        cum += under[t]!;
        const r = this.right[t]!;
        if (r !== 0) {
          t = r;
          continue;
        }
        const n = this.newNode(v, inc);
        this.right[t] = n;
        this.hitNode = n;
        break;
      }
      const tc = this.count[t]!;
      cnt += tc;
      cum += under[t]! - tc;
      under[t] = under[t]! + inc;
      this.count[t] = tc + inc;
      this.hitNode = t;
      break;
    }
    // compress.c keeps these in uint16 variables.
    this.hitUnder = cum & 0xffff;
    this.hitCount = cnt & 0xffff;
  }

  /**
   * Finds the symbol whose interval holds `k` in sub-context `ctx` (floor 0) and updates it
   * (ENET_CONTEXT_TRY_DECODE). Returns false on garbage (no such symbol).
   */
  private decodeSubcontext(ctx: number, k: number): boolean {
    let t = this.symbols[ctx]!;
    if (t === 0) return false;
    const under = this.under;
    let acc = 0;
    for (;;) {
      const after = (acc + under[t]!) & 0xffff;
      const before = this.count[t]!;
      if (k >= after) {
        acc = (acc + under[t]!) & 0xffff;
        const r = this.right[t]!;
        if (r === 0) return false;
        t = r;
        continue;
      }
      if (k < after - before) {
        under[t] = under[t]! + SUBCONTEXT_SYMBOL_DELTA;
        const l = this.left[t]!;
        if (l === 0) return false;
        t = l;
        continue;
      }
      this.hitValue = this.value[t]!;
      this.hitCount = before;
      this.hitUnder = (after - before) & 0xffff;
      under[t] = under[t]! + SUBCONTEXT_SYMBOL_DELTA;
      this.count[t] = before + SUBCONTEXT_SYMBOL_DELTA;
      this.hitNode = t;
      return true;
    }
  }

  /**
   * Decodes `k` in the order-0 root, where every byte value has a floor frequency of 1, so
   * a value absent from the tree is created where the walk ends (ENET_CONTEXT_ROOT_DECODE).
   */
  private decodeRoot(k: number): void {
    const min = CONTEXT_SYMBOL_MINIMUM;
    if (this.symbols[ROOT] === 0) {
      const v = k & 0xff;
      const n = this.newNode(v, CONTEXT_SYMBOL_DELTA);
      this.symbols[ROOT] = n;
      this.hitValue = v;
      this.hitUnder = k;
      this.hitCount = min;
      this.hitNode = n;
      return;
    }
    const under = this.under;
    const value = this.value;
    let t = this.symbols[ROOT]!;
    let acc = 0;
    for (;;) {
      const after = (acc + under[t]! + (value[t]! + 1) * min) & 0xffff;
      const before = (this.count[t]! + min) & 0xffff;
      if (k >= after) {
        acc = (acc + under[t]!) & 0xffff;
        const r = this.right[t]!;
        if (r !== 0) {
          t = r;
          continue;
        }
        const v = (value[t]! + 1 + (k - after)) & 0xff;
        const n = this.newNode(v, CONTEXT_SYMBOL_DELTA);
        this.right[t] = n;
        this.hitValue = v;
        this.hitUnder = k & 0xffff;
        this.hitCount = min;
        this.hitNode = n;
        return;
      }
      if (k < after - before) {
        under[t] = under[t]! + CONTEXT_SYMBOL_DELTA;
        const l = this.left[t]!;
        if (l !== 0) {
          t = l;
          continue;
        }
        const v = (value[t]! - 1 - (after - before - k - 1)) & 0xff;
        const n = this.newNode(v, CONTEXT_SYMBOL_DELTA);
        this.left[t] = n;
        this.hitValue = v;
        this.hitUnder = k & 0xffff;
        this.hitCount = min;
        this.hitNode = n;
        return;
      }
      this.hitValue = value[t]!;
      this.hitCount = (min + this.count[t]!) & 0xffff;
      this.hitUnder = (after - before) & 0xffff;
      under[t] = under[t]! + CONTEXT_SYMBOL_DELTA;
      this.count[t] = this.count[t]! + CONTEXT_SYMBOL_DELTA;
      this.hitNode = t;
      return;
    }
  }

  /** Halves a context's counts, keeping each ≥ 1 (ENET_CONTEXT_RESCALE, spec §11.4). */
  private rescale(ctx: number, floor: number): void {
    const s = this.symbols[ctx]!;
    const t = s !== 0 ? this.halveTree(s) : 0;
    const e = this.escapes[ctx]!;
    const esc = e - (e >> 1);
    this.escapes[ctx] = esc;
    this.total[ctx] = t + esc + 256 * floor;
  }

  /** Halves the counts of the subtree at `t` and rebuilds `under`; returns its total. */
  private halveTree(start: number): number {
    let total = 0;
    let t = start;
    for (;;) {
      const c = this.count[t]!;
      const nc = c - (c >> 1);
      this.count[t] = nc;
      const l = this.left[t]!;
      this.under[t] = nc + (l !== 0 ? this.halveTree(l) : 0);
      total = (total + this.under[t]!) & 0xffff;
      const r = this.right[t]!;
      if (r === 0) break;
      t = r;
    }
    return total;
  }

  /** Codes the interval [cum, cum+freq) of `tot` (ENET_RANGE_CODER_ENCODE); false = no room. */
  private encode(cum: number, freq: number, tot: number): boolean {
    let range = Math.floor(this.range / tot);
    // Products stay below 2^49, exact in doubles before the uint32 wrap (spec §0).
    let low = (this.low + cum * range) >>> 0;
    range = (range * freq) >>> 0;
    const out = this.io;
    for (;;) {
      if ((low ^ ((low + range) >>> 0)) >>> 0 >= TOP) {
        if (range >= BOTTOM) break;
        range = -low & (BOTTOM - 1);
      }
      if (this.ioPos >= this.ioEnd) return false;
      out[this.ioPos++] = low >>> 24;
      range = (range << 8) >>> 0;
      low = (low << 8) >>> 0;
    }
    this.low = low;
    this.range = range;
    return true;
  }

  /** Divides the range by `tot` and returns the scaled code (ENET_RANGE_CODER_READ, uint16). */
  private read(tot: number): number {
    this.range = Math.floor(this.range / tot);
    if (this.range === 0) return 0xffff;
    return Math.floor(((this.code - this.low) >>> 0) / this.range) & 0xffff;
  }

  /** Narrows to [cum, cum+freq) after `read` and renormalises (ENET_RANGE_CODER_DECODE). */
  private consume(cum: number, freq: number): void {
    let low = (this.low + cum * this.range) >>> 0;
    let range = (this.range * freq) >>> 0;
    let code = this.code;
    const src = this.io;
    for (;;) {
      if ((low ^ ((low + range) >>> 0)) >>> 0 >= TOP) {
        if (range >= BOTTOM) break;
        range = -low & (BOTTOM - 1);
      }
      code = ((code << 8) | (this.ioPos < this.ioEnd ? src[this.ioPos++]! : 0)) >>> 0;
      range = (range << 8) >>> 0;
      low = (low << 8) >>> 0;
    }
    this.low = low;
    this.range = range;
    this.code = code;
  }
}
