// Small byte helpers for building and reading handshake messages (core). Handshake code runs a
// few times per link, so these favour clarity; the record hot path does its own indexing.

/** Concatenates byte arrays into one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i]!.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i]!, o);
    o += parts[i]!.length;
  }
  return out;
}

/** Constant-time equality (for MACs, cookies and verify_data). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** A growable writer for handshake bodies. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.#ensure(3);
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Writes `b` behind a 1-, 2- or 3-byte length prefix. */
  vector(prefix: 1 | 2 | 3, b: Uint8Array): this {
    if (prefix === 1) this.u8(b.length);
    else if (prefix === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.bytes(b);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * A bounds-checked reader: every read past the end sets `failed` and returns zeros, so a decoder
 * reads a whole message and checks `failed` once (network input never throws, docs/design.md §2).
 */
export class ByteReader {
  readonly buf: Uint8Array;
  pos = 0;
  failed = false;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  #take(n: number): boolean {
    if (this.failed || this.pos + n > this.buf.length) {
      this.failed = true;
      return false;
    }
    return true;
  }

  u8(): number {
    if (!this.#take(1)) return 0;
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (!this.#take(2)) return 0;
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    if (!this.#take(3)) return 0;
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  bytes(n: number): Uint8Array {
    if (!this.#take(n)) return new Uint8Array(0);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Reads a vector behind a 1-, 2- or 3-byte length prefix. */
  vector(prefix: 1 | 2 | 3): Uint8Array {
    const n = prefix === 1 ? this.u8() : prefix === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }
}

const HEX = '0123456789ABCDEF';

/** `AB:CD:…` upper-case colon-separated hex, the form of SDP's a=fingerprint (RFC 8122 §5). */
export function colonHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0) s += ':';
    s += HEX[b[i]! >>> 4]! + HEX[b[i]! & 15]!;
  }
  return s;
}
