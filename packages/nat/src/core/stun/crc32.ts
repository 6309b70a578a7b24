// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32) for STUN FINGERPRINT
// (RFC 8489 §14.7) — core, no I/O. Incremental so a header copy and the body can be hashed apart.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * Continues a CRC-32 over `bytes[start..end)`. Start with `crc = 0`; the result of one call is the
 * `crc` of the next, and the final value is the CRC of everything fed (no extra finalisation).
 */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `bytes` (CRC("123456789") = 0xCBF43926). */
export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}
