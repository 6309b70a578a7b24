// Unit tests of src/core/crc32.ts against the spec's check value and libenet datagram vectors
// (docs/specs/enet-protocol.md §2.2, §12, §14). The CRC itself (lengths, alignment, pieces) is
// tested where it is defined, packages/base.
import { expect } from 'chai';
import { crc32, enetCrc32 } from '../../src/core/crc32.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** The 48-byte CONNECT of spec §14 with the given 4 connectID bytes (hex). */
const connect = (id: string): string =>
  '82ff0001 0000ffff 00000578 00010000 00000002 00000000 00000000 00001388 00000002 00000002' + id + '12345678';

describe('crc32', () => {
  describe('#crc32', () => {
    it('returns the CRC-32/IEEE check value 0xCBF43926 for "123456789"', () => {
      expect(crc32(new TextEncoder().encode('123456789'))).to.equal(0xcbf43926);
    });

    it('returns 0 for no bytes', () => {
      expect(crc32(new Uint8Array(0))).to.equal(0);
    });

    it('reproduces the checksum of the libenet CONNECT datagram (zero seed, spec §14)', () => {
      // 0x45ffe1a5 = CRC32(header 8fff03e8 ‖ zero seed ‖ CONNECT with connectID 82 39 61 61)
      expect(crc32(hex('8fff03e8 00000000' + connect('82396161')))).to.equal(0x45ffe1a5);
    });
  });

  describe('#enetCrc32', () => {
    it('covers the concatenation of all buffers like enet_crc32', () => {
      const whole = hex('8fff03e8 00000000' + connect('82396161'));
      const parts = [whole.subarray(0, 4), whole.subarray(4, 8), whole.subarray(8, 9), whole.subarray(9)];
      expect(enetCrc32(parts)).to.equal(0x45ffe1a5);
    });
  });
});
