import { expect } from 'chai';
import { checkConnectId, isPeerId, isTargetPeer } from '../../src/core/peer-id.js';

describe('peer-id', () => {
  describe('#checkConnectId', () => {
    const none = () => false;
    it('accepts 2 and 2^31−1', () => {
      expect(checkConnectId(2, false, none)).to.equal(undefined);
      expect(checkConnectId(0x7fffffff, false, none)).to.equal(undefined);
    });
    it('rejects 0 and 1 (broadcast and server ids)', () => {
      expect(checkConnectId(0, false, none)).to.equal('id-too-small');
      expect(checkConnectId(1, false, none)).to.equal('id-too-small');
    });
    it('rejects ids ≥ 2^31 that Godot would turn negative', () => {
      expect(checkConnectId(0x80000000, false, none)).to.equal('id-too-large');
      expect(checkConnectId(0xffffffff, false, none)).to.equal('id-too-large');
      expect(checkConnectId(-1, false, none)).to.equal('id-too-large');
    });
    it('rejects an id already in use', () => {
      expect(checkConnectId(77, false, (id) => id === 77)).to.equal('id-in-use');
    });
    it('rejects everything while refusing', () => {
      expect(checkConnectId(77, true, none)).to.equal('refusing');
    });
  });
  describe('#isPeerId', () => {
    it('accepts integers 1..2^31−1 only', () => {
      expect([1, 2, 0x7fffffff, 0, -5, 0x80000000, 1.5, NaN, '3'].map(isPeerId)).to.deep.equal([true, true, true, false, false, false, false, false, false]);
    });
  });
  describe('#isTargetPeer', () => {
    it('accepts integers with |id| ≤ 2^31−1', () => {
      expect([0, 1, -1, -0x7fffffff, 0x7fffffff, 0x80000000, 0.5, '1'].map(isTargetPeer)).to.deep.equal([true, true, true, true, true, false, false, false]);
    });
  });
});
