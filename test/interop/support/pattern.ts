// Test payloads shared with the C harness (its `fill()`): both sides generate the same bytes
// from (size, seed), so a 1 MB packet is described by two numbers on the command line.

/**
 * Payload of `size` bytes for `seed`: seed 0 = repeating "a..z" (compressible), any other seed =
 * xorshift32 bytes (incompressible). Identical to `fill()` in harness/enet-harness.c.
 */
export function pattern(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  if (seed === 0) {
    for (let i = 0; i < size; i++) b[i] = 97 + (i % 26);
    return b;
  }
  let x = Math.imul(seed >>> 0, 2654435761) >>> 0;
  if (x === 0) x = 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Lower-case hex of bytes; "-" for none (the harness's spelling of empty). */
export function toHex(b: Uint8Array): string {
  return b.length === 0 ? '-' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Bytes of a hex string; "-" is empty. */
export function fromHex(s: string): Uint8Array {
  return s === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, 'hex'));
}
