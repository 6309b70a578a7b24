// The pooled CSPRNG: every request filled, no byte sequence handed out twice.
import { expect } from 'chai';
import { createPooledRandom } from '../../src/adapter/pooled-random.js';

describe('createPooledRandom', () => {
  it('fills requests of any size across pool refills without repeating output', () => {
    const random = createPooledRandom();
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const out = new Uint8Array(16);
      random(out);
      const hex = Buffer.from(out).toString('hex');
      expect(seen.has(hex)).to.equal(false);
      seen.add(hex);
    }
    const big = new Uint8Array(10_000);
    random(big);
    expect(big.some((b) => b !== 0)).to.equal(true);
  });

  it('gives bytes that look uniform (each value within 30% of its expected count over 256 KiB)', () => {
    const random = createPooledRandom();
    const counts = new Array<number>(256).fill(0);
    const out = new Uint8Array(1000);
    for (let i = 0; i < 262; i++) {
      random(out);
      for (const b of out) counts[b]!++;
    }
    const expected = 262_000 / 256;
    for (const c of counts) expect(c).to.be.within(expected * 0.7, expected * 1.3);
  });
});
