import { expect } from 'chai';
import { PayloadSlab } from '../../src/core/payload-slab.js';

describe('PayloadSlab', () => {
  it('returns private copies that survive reuse of the source and of the slab', () => {
    const slab = new PayloadSlab();
    const src = new Uint8Array(1000);
    const copies: Uint8Array[] = [];
    // 40 × 1000 B spans three 16 KiB slabs.
    for (let i = 0; i < 40; i++) {
      src.fill(i);
      copies.push(slab.copy(src));
    }
    src.fill(255);
    for (let i = 0; i < 40; i++) {
      expect(copies[i]!.length).to.equal(1000);
      expect(copies[i]!.every((b) => b === i), `copy ${i}`).to.equal(true);
    }
  });

  it('copies from a Node Buffer view, handles empty packets and gives big ones their own buffer', () => {
    const slab = new PayloadSlab();
    const big = Buffer.alloc(5000, 7).subarray(10, 4010);
    const c = slab.copy(big);
    expect(c.length).to.equal(4000);
    expect(c.byteOffset).to.equal(0);
    expect(c.buffer.byteLength).to.equal(4000);
    big.fill(1);
    expect(c.every((b) => b === 7)).to.equal(true);
    expect(slab.copy(new Uint8Array(0)).length).to.equal(0);
    const small = slab.copy(Buffer.from([1, 2, 3]));
    expect(small).to.be.instanceOf(Uint8Array);
    expect(Buffer.isBuffer(small)).to.equal(false);
    expect([...small]).to.deep.equal([1, 2, 3]);
  });
});
