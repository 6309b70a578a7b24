import { expect } from 'chai';
import type { RankedCandidate } from '@meshpunch/nat/punch';
import { reflexiveFromRelay, wantsRelayMapping } from '../../src/core/relay-reflexive.js';

const HOST: RankedCandidate = { kind: 'host', family: 4, address: '10.0.1.2', port: 40000, priority: 2130706431 };
const SRFLX: RankedCandidate = { kind: 'srflx', family: 4, address: '198.51.100.1', port: 61000, priority: 1694498815 };

describe('relay-reflexive', () => {
  describe('#wantsRelayMapping', () => {
    it('is true when a relay is offered, no STUN server answered and gathering gave no srflx candidate', () => {
      expect(wantsRelayMapping([HOST], true, false)).to.equal(true);
    });
    it('is false when STUN gave a srflx candidate, or no relay is offered', () => {
      expect(wantsRelayMapping([HOST, SRFLX], true, true)).to.equal(false);
      expect(wantsRelayMapping([HOST], false, false)).to.equal(false);
    });
    it('is false when STUN answered with a host address (no NAT): the relay would say the same', () => {
      expect(wantsRelayMapping([HOST], true, true)).to.equal(false);
    });
  });

  describe('#reflexiveFromRelay', () => {
    it('makes a srflx candidate of the XOR-MAPPED-ADDRESS when it is none of ours', () => {
      expect(reflexiveFromRelay([HOST], { address: '198.51.100.1', port: 61000 })).to.deep.equal(SRFLX);
    });
    it('gives none for no mapping, or a mapping that is one of our candidates already (no NAT, or STUN saw it too)', () => {
      expect(reflexiveFromRelay([HOST], undefined)).to.equal(undefined);
      expect(reflexiveFromRelay([HOST], { address: HOST.address, port: HOST.port })).to.equal(undefined);
      expect(reflexiveFromRelay([HOST, SRFLX], { address: SRFLX.address, port: SRFLX.port })).to.equal(undefined);
    });
    it('gives an IPv6 candidate for an IPv6 mapping', () => {
      expect(reflexiveFromRelay([], { address: '2001:db8::1', port: 5000 })?.family).to.equal(6);
    });
  });
});
