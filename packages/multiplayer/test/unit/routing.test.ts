import { expect } from 'chai';
import { isRoutableTarget, PeerMode, selectRecipients } from '../../src/core/routing.js';

describe('routing', () => {
  const out: number[] = [];
  describe('#selectRecipients', () => {
    it('broadcasts to every peer for target 0 (server and mesh)', () => {
      expect(selectRecipients(PeerMode.SERVER, 0, [5, 6, 7], out)).to.equal(3);
      expect(out).to.deep.equal([5, 6, 7]);
      expect(selectRecipients(PeerMode.MESH, 0, [2, 3], out)).to.equal(2);
    });
    it('sends to all but −target for a negative target', () => {
      selectRecipients(PeerMode.SERVER, -6, [5, 6, 7], out);
      expect(out).to.deep.equal([5, 7]);
    });
    it('sends to exactly the target for a positive target', () => {
      selectRecipients(PeerMode.MESH, 3, [2, 3, 4], out);
      expect(out).to.deep.equal([3]);
    });
    it('always sends to the server for a client, whatever the target', () => {
      for (const t of [0, 1, -1]) {
        selectRecipients(PeerMode.CLIENT, t, [1], out);
        expect(out).to.deep.equal([1]);
      }
    });
  });
  describe('#isRoutableTarget', () => {
    const has = (id: number) => id === 5 || id === 1;
    it('accepts 0 and ±connected ids, rejects others', () => {
      expect([0, 5, -5, 1, -1, 6, -6].map((t) => isRoutableTarget(t, has))).to.deep.equal([true, true, true, true, true, false, false]);
    });
  });
});
