// Seeded PRNG (sfc32 seeded through splitmix32) so every simulation replays from its seed.
import { SimError } from './errors.js';

/** Reads MESHPUNCH_SEED when set, so a failing run can be replayed; otherwise `fallback`. */
export function seedFromEnv(fallback: number): number {
  const text = process.env.MESHPUNCH_SEED;
  if (text === undefined || text === '') return fallback >>> 0;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new SimError('ERR_INVALID_PARAMETER', `MESHPUNCH_SEED must be an integer, got ${JSON.stringify(text)}`);
  return n >>> 0;
}

export class Prng {
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    let s = this.seed;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform uint32. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** Fills `out` with random bytes (the `random(out)` shape cores take in their config). */
  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.nextUint32() & 0xff;
  }

  /** Random bytes of length n. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.fill(out);
    return out;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SimError('ERR_INVALID_PARAMETER', 'pick needs a non-empty array');
    return items[this.int(0, items.length - 1)] as T;
  }
}
