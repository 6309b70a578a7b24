import { expect } from 'chai';
import { canonicalAddress } from '../../src/adapter/address.js';

describe('address', () => {
  describe('#canonicalAddress', () => {
    it('returns the text node:dgram reports for the same address', () => {
      expect(canonicalAddress('1.2.3.4')).to.equal('1.2.3.4');
      expect(canonicalAddress('0:0:0:0:0:0:0:1')).to.equal('::1');
      expect(canonicalAddress('2001:DB8::1')).to.equal('2001:db8::1');
      expect(canonicalAddress('FE80::1%eth0')).to.equal('fe80::1%eth0');
    });
    it('turns v4-mapped IPv6 into plain IPv4', () => {
      expect(canonicalAddress('::ffff:1.2.3.4')).to.equal('1.2.3.4');
      expect(canonicalAddress('::FFFF:7f00:1')).to.equal('127.0.0.1');
    });
    it('rejects host names and garbage with null', () => {
      expect(canonicalAddress('localhost')).to.equal(null);
      expect(canonicalAddress('1.2.3')).to.equal(null);
      expect(canonicalAddress('')).to.equal(null);
    });
  });
});
