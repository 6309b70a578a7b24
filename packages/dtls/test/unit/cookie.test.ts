import { expect } from 'chai';
import { CookieJar, COOKIE_LENGTH } from '../../src/core/cookie.js';
import { nodeDtlsCrypto } from '../../src/index.js';

describe('CookieJar', () => {
  let counter = 0;
  const random = (out: Uint8Array): void => { out.fill(++counter); };

  describe('#verify', () => {
    it('accepts the cookie for the same source and random only', () => {
      const jar = new CookieJar(nodeDtlsCrypto, random, 60_000);
      const r = new Uint8Array(32).fill(1);
      const c = jar.cookieFor(0, '198.51.100.1', 1000, r);
      expect(c).to.have.length(COOKIE_LENGTH);
      expect(jar.verify(10, '198.51.100.1', 1000, r, c)).to.equal(true);
      expect(jar.verify(10, '198.51.100.1', 1001, r, c)).to.equal(false);
      expect(jar.verify(10, '198.51.100.2', 1000, r, c)).to.equal(false);
      expect(jar.verify(10, '198.51.100.1', 1000, new Uint8Array(32), c)).to.equal(false);
      expect(jar.verify(10, '198.51.100.1', 1000, r, c.subarray(1))).to.equal(false);
    });

    it('keeps a cookie valid for one rotation and refuses it after two', () => {
      const jar = new CookieJar(nodeDtlsCrypto, random, 1000);
      const r = new Uint8Array(32).fill(2);
      const c = jar.cookieFor(0, '198.51.100.1', 1000, r);
      expect(jar.verify(1500, '198.51.100.1', 1000, r, c)).to.equal(true);
      expect(jar.verify(2600, '198.51.100.1', 1000, r, c)).to.equal(false);
    });
  });
});
