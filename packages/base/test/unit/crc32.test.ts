// Unit tests of src/core/crc32.ts: the CRC-32/IEEE check value, a bitwise reference on every
// length and alignment, and incremental use (enet's datagram vectors stay in packages/enet).
import { expect } from 'chai';
import { crc32, crc32Final, crc32Update } from '../../src/index.js';

/** Bit-at-a-time reference CRC-32 (no table), to check the sliced table path. */
function slowCrc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (0xedb88320 ^ (c >>> 1)) >>> 0 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32', () => {
  describe('#crc32', () => {
    it('returns the CRC-32/IEEE check value 0xCBF43926 for "123456789", and 0 for no bytes', () => {
      expect(crc32(new TextEncoder().encode('123456789'))).to.equal(0xcbf43926);
      expect(crc32(new Uint8Array(0))).to.equal(0);
    });

    it('matches a bitwise reference on every length 0..70 and unaligned ranges', () => {
      const b = new Uint8Array(70);
      for (let i = 0; i < b.length; i++) b[i] = (i * 151 + 7) & 0xff;
      for (let n = 0; n <= 70; n++) expect(crc32(b, 0, n), `length ${n}`).to.equal(slowCrc(b.subarray(0, n)));
      for (let s = 1; s < 5; s++) expect(crc32(b, s, 61)).to.equal(slowCrc(b.subarray(s, 61)));
    });
  });

  describe('#crc32Update', () => {
    it('gives the same result when fed in pieces', () => {
      const b = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
      let c = 0xffffffff;
      for (let i = 0; i < b.length; i += 5) c = crc32Update(c, b, i, Math.min(b.length, i + 5));
      expect(crc32Final(c)).to.equal(0x414fa339);
      expect(crc32(b)).to.equal(0x414fa339);
    });
  });
});
