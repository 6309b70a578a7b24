// CRC-32 (IEEE 802.3 / zlib), the one definition (issue #15: enet and nat each had one): libenet's
// `enet_crc32` for ENet's optional datagram checksum (docs/specs/enet-protocol.md §2.2 and §12) and
// STUN's FINGERPRINT (RFC 8489 §14.7). Core layer: pure, no I/O.

/** Reflected polynomial of CRC-32/IEEE (enet-protocol.md §12). */
const POLYNOMIAL = 0xedb88320;

/**
 * Slicing-by-4 tables: TABLE[0..255] is the classic byte table; TABLE[256k + b] advances a
 * byte by k further zero bytes, so four input bytes are folded per step.
 */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (POLYNOMIAL ^ (c >>> 1)) >>> 0 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 4; k++) {
      c = (t[c & 0xff]! ^ (c >>> 8)) >>> 0;
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/**
 * Continues a CRC-32 over `bytes[start..end)`. Pass `crc = 0xFFFFFFFF` for the first chunk and
 * feed each returned value into the next chunk; finish with {@link crc32Final}.
 * @param crc running (pre-inverted) CRC register, uint32.
 * @returns the updated register, uint32.
 */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc >>> 0;
  let i = start;
  const t = TABLE;
  // Four bytes per step while at least four remain (slicing-by-4).
  for (const stop = end - 3; i < stop; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** Final inversion of a running CRC-32 register; returns the checksum as uint32. */
export function crc32Final(crc: number): number {
  return ~crc >>> 0;
}

/**
 * CRC-32 of one byte range, identical to zlib `crc32` and libenet `enet_crc32`:
 * CRC32("123456789") = 0xCBF43926. libenet writes the result big-endian (enet-protocol.md §2.2).
 * @returns the checksum, uint32.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Final(crc32Update(0xffffffff, bytes, start, end));
}
