import { expect } from 'chai';
import { SourceLimiter } from '../../../src/core/punch/source-limiter.js';

describe('punch/SourceLimiter', () => {
  describe('#take', () => {
    it('gives each source its own burst and rate', () => {
      const l = new SourceLimiter(4, 10, 2, 1000, 1000, 0);
      expect([l.take(0, '203.0.113.1', 1), l.take(0, '203.0.113.1', 1), l.take(0, '203.0.113.1', 1)]).to.deep.equal([true, true, false]);
      // Another port is another source.
      expect(l.take(0, '203.0.113.1', 2)).to.equal(true);
      // 10/s: one token back after 100 ms.
      expect([l.take(99, '203.0.113.1', 1), l.take(100, '203.0.113.1', 1)]).to.deep.equal([false, true]);
    });

    it('holds the total over all sources, however many there are', () => {
      const l = new SourceLimiter(4, 100, 100, 10, 5, 0);
      let passed = 0;
      for (let i = 0; i < 1000; i++) if (l.take(0, `198.51.100.${i % 250}`, 1000 + i)) passed++;
      expect(passed).to.equal(5);
    });

    it('remembers at most `capacity` sources, forgetting the least recently seen', () => {
      const l = new SourceLimiter(2, 1, 1, 1000, 1000, 0);
      expect(l.take(0, '203.0.113.1', 1)).to.equal(true);
      expect(l.take(1, '203.0.113.2', 1)).to.equal(true);
      expect(l.take(2, '203.0.113.1', 1)).to.equal(false);
      // .2 is the oldest now: .3 takes its place, and .1 is still remembered (and empty).
      expect(l.take(3, '203.0.113.3', 1)).to.equal(true);
      expect(l.size).to.equal(2);
      expect(l.take(4, '203.0.113.1', 1)).to.equal(false);
    });
  });
});
