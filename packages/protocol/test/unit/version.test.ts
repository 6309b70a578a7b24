// Version and capability negotiation.
import { expect } from 'chai';
import { negotiateCapabilities, negotiateVersion } from '../../src/version.js';

describe('version', () => {
  describe('#negotiateVersion', () => {
    it('picks the highest shared version', () => {
      expect(negotiateVersion([1], [1])).to.equal(1);
      expect(negotiateVersion([3, 1, 2], [1, 2])).to.equal(2);
    });
    it('returns undefined when none is shared', () => {
      expect(negotiateVersion([7], [1])).to.equal(undefined);
      expect(negotiateVersion([], [1])).to.equal(undefined);
    });
  });
  describe('#negotiateCapabilities', () => {
    it('keeps the shared ones in our order and drops unknown ones', () => {
      expect(negotiateCapabilities(['seal', 'x', 'resume'])).to.deep.equal(['resume', 'seal']);
    });
  });
});
