// Per-IP token buckets with a bounded table (virtual time: `now` is passed in).
import { expect } from 'chai';
import { IpRateLimiter } from '../../src/core/ip-rate-limiter.js';

describe('IpRateLimiter', () => {
  describe('#allow', () => {
    it('allows a burst per address, then the sustained rate, each address on its own', () => {
      const l = new IpRateLimiter(10, 3, 100);
      expect([1, 2, 3, 4].map(() => l.allow(0, '198.51.100.1'))).to.deep.equal([true, true, true, false]);
      expect(l.allow(0, '198.51.100.2')).to.equal(true);
      // 10 per second: one token back after 100 ms.
      expect(l.allow(99, '198.51.100.1')).to.equal(false);
      expect(l.allow(200, '198.51.100.1')).to.equal(true);
    });

    it('allows everything at rate 0 and remembers nothing', () => {
      const l = new IpRateLimiter(0, 1, 10);
      for (let i = 0; i < 50; i++) expect(l.allow(0, `203.0.113.${i}`)).to.equal(true);
      expect(l.size).to.equal(0);
    });

    it('forgets the address first seen longest ago past maxTracked (bounded memory)', () => {
      const l = new IpRateLimiter(1, 1, 2);
      expect(l.allow(0, 'a')).to.equal(true);
      expect(l.allow(0, 'a')).to.equal(false);
      l.allow(0, 'b');
      l.allow(0, 'c');
      expect(l.size).to.equal(2);
      // 'a' was forgotten, so it starts again with a full bucket.
      expect(l.allow(0, 'a')).to.equal(true);
      l.clear();
      expect(l.size).to.equal(0);
    });
  });
});
