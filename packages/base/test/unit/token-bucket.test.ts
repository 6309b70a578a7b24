// Token bucket on the caller's clock.
import { expect } from 'chai';
import { TokenBucket } from '../../src/index.js';

describe('TokenBucket', () => {
  describe('#take', () => {
    it('allows a burst, then refills at the rate', () => {
      const b = new TokenBucket(3, 0);
      expect([b.take(0, 10, 3), b.take(0, 10, 3), b.take(0, 10, 3), b.take(0, 10, 3)]).to.deep.equal([true, true, true, false]);
      expect(b.take(99, 10, 3)).to.equal(false);
      expect(b.take(100, 10, 3)).to.equal(true);
      expect(b.isFull(10_000, 10, 3)).to.equal(true);
    });

    it('never limits with rate 0', () => {
      const b = new TokenBucket(1, 0);
      for (let i = 0; i < 1000; i++) expect(b.take(0, 0, 1)).to.equal(true);
    });
  });

  describe('#msUntilToken', () => {
    it('says how long until the next token, taking none', () => {
      const b = new TokenBucket(1, 0);
      expect(b.msUntilToken(0, 0.5, 1)).to.equal(0);
      expect(b.take(0, 0.5, 1)).to.equal(true);
      expect(b.msUntilToken(0, 0.5, 1)).to.equal(2000);
      expect(b.msUntilToken(1500, 0.5, 1)).to.equal(500);
      expect(b.msUntilToken(2000, 0.5, 1)).to.equal(0);
      expect(b.msUntilToken(2000, 0, 1)).to.equal(0);
    });
  });
});
