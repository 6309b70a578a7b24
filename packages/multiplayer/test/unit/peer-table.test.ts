import { expect } from 'chai';
import { PeerTable } from '../../src/core/peer-table.js';

describe('PeerTable', () => {
  describe('#add / #remove', () => {
    it('keeps the id map, the reverse map and the insertion-ordered ids in step', () => {
      const t = new PeerTable<string>();
      const ids = t.ids;
      t.add(7, 'a');
      t.add(3, 'b');
      t.add(9, 'c');
      expect(ids).to.deep.equal([7, 3, 9]);
      expect(t.size).to.equal(3);
      expect(t.get(3)).to.equal('b');
      expect(t.idOf('c')).to.equal(9);
      expect(t.remove(3)).to.equal('b');
      // `ids` is a live view: the caller's reference sees the removal.
      expect(ids).to.deep.equal([7, 9]);
      expect(t.has(3)).to.equal(false);
      expect(t.idOf('b')).to.equal(undefined);
      expect([...t.entries()]).to.deep.equal([[7, 'a'], [9, 'c']]);
      expect([...t.values()]).to.deep.equal(['a', 'c']);
    });

    it('returns undefined when removing an id it does not hold, and clear() empties everything', () => {
      const t = new PeerTable<object>();
      const p = {};
      t.add(2, p);
      expect(t.remove(5)).to.equal(undefined);
      expect(t.ids).to.deep.equal([2]);
      t.clear();
      expect(t.size).to.equal(0);
      expect(t.ids).to.deep.equal([]);
      expect(t.idOf(p)).to.equal(undefined);
    });
  });
});
