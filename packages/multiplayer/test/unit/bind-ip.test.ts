import { expect } from 'chai';
import { isBindIp } from '../../src/adapter/bind-ip.js';
import { generateUniqueId } from '../../src/adapter/unique-id.js';

describe('bind-ip', () => {
  describe('#isBindIp', () => {
    it('accepts IPv4, IPv6 and "*", rejects names and junk', () => {
      expect(['127.0.0.1', '0.0.0.0', '::1', '::', 'fe80::1', '*'].map(isBindIp)).to.deep.equal([true, true, true, true, true, true]);
      expect(['localhost', '', '1.2.3', '**', 42, null].map(isBindIp)).to.deep.equal([false, false, false, false, false, false]);
    });
  });
});

describe('unique-id', () => {
  describe('#generateUniqueId', () => {
    it('stays in 2..2^31−1 and covers the range (top and bottom halves both drawn)', () => {
      let low = 0;
      let high = 0;
      for (let i = 0; i < 1000; i++) {
        const id = generateUniqueId();
        expect(id >= 2 && id <= 0x7fffffff && Number.isInteger(id)).to.equal(true);
        if (id < 0x40000000) low++;
        else high++;
      }
      // Each half has probability 1/2 per draw; fewer than 400 of 1000 happens with p < 1e-9.
      expect(low).to.be.greaterThan(400);
      expect(high).to.be.greaterThan(400);
    });
  });
});
