import { expect } from 'chai';
import { bindAddressProblem } from '../../src/core/bind-address.js';

describe('bind-address', () => {
  describe('#bindAddressProblem', () => {
    const own = ['127.0.0.1', '::1', '10.0.0.5', 'fe80::1'];
    it('accepts the wildcards and the machine\'s addresses in any spelling', () => {
      for (const a of ['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '127.0.0.1', '::1', '0:0::1', '10.0.0.5', 'FE80::1']) expect(bindAddressProblem(a, own), a).to.equal(undefined);
    });
    it('names the machine\'s addresses when the address is not one of them', () => {
      expect(bindAddressProblem('10.0.0.6', own)).to.equal('is not an address of this machine (its addresses: 127.0.0.1, ::1, 10.0.0.5, fe80::1; 0.0.0.0 binds them all)');
      expect(bindAddressProblem('10.0.0.6', [])).to.equal('is not an address of this machine (its addresses: none; 0.0.0.0 binds them all)');
      const many = Array.from({ length: 9 }, (_, i) => `10.0.1.${i}`);
      expect(bindAddressProblem('10.0.0.6', many)).to.equal('is not an address of this machine (its addresses: 10.0.1.0, 10.0.1.1, 10.0.1.2, 10.0.1.3, 10.0.1.4, 10.0.1.5, …; 0.0.0.0 binds them all)');
      expect(bindAddressProblem('nope', own)).to.equal('is not an IP address');
    });
  });
});
