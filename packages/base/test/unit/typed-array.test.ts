// Unit tests of src/core/typed-array.ts: views and copies on node Buffers that sit at an offset
// in a larger ArrayBuffer (node:dgram's datagrams, Buffer.allocUnsafe's pool).
import { expect } from 'chai';
import { setAt, viewOf } from '../../src/index.js';

/** A Buffer over bytes 0..15 of its own, at byte 8 of a larger ArrayBuffer. */
function offsetBuffer(): Buffer {
  const whole = new Uint8Array(40);
  for (let i = 0; i < whole.length; i++) whole[i] = (i - 8) & 0xff;
  return Buffer.from(whole.buffer, 8, 16);
}

describe('typed-array', () => {
  describe('#viewOf', () => {
    it('returns a plain Uint8Array over the same memory, honouring the Buffer byteOffset', () => {
      const b = offsetBuffer();
      const v = viewOf(b, 3, 5);
      expect(Object.getPrototypeOf(v)).to.equal(Uint8Array.prototype);
      expect([...v]).to.deep.equal([3, 4, 5, 6, 7]);
      expect(v.buffer).to.equal(b.buffer);
      v[0] = 0xaa;
      expect(b[3]).to.equal(0xaa);
    });

    it('returns an empty view at the end, and throws RangeError past it', () => {
      const b = offsetBuffer();
      expect(viewOf(b, 16, 0).length).to.equal(0);
      // Past the Buffer but inside its ArrayBuffer: the view is bounded by the ArrayBuffer only,
      // so callers check lengths first (docs/design.md §5.2); past the ArrayBuffer it throws.
      expect(() => viewOf(b, 30, 10)).to.throw(RangeError);
    });
  });

  describe('#setAt', () => {
    it('copies source into target at offset, also from and into Buffers', () => {
      const target = Buffer.alloc(6);
      setAt(target, offsetBuffer().subarray(1, 4), 2);
      expect([...target]).to.deep.equal([0, 0, 1, 2, 3, 0]);
      const plain = new Uint8Array(3);
      setAt(plain, Buffer.from([9, 8]), 1);
      expect([...plain]).to.deep.equal([0, 9, 8]);
    });
  });
});
