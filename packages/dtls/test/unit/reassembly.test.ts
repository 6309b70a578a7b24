import { expect } from 'chai';
import { Reassembler } from '../../src/core/reassembly.js';

const frag = (messageSeq: number, length: number, fragmentOffset: number, bytes: number[]) => ({ type: 11, length, messageSeq, fragmentOffset, fragment: Uint8Array.from(bytes) });

describe('Reassembler', () => {
  describe('#add', () => {
    it('reassembles overlapping fragments given out of order', () => {
      const r = new Reassembler({ maxAhead: 4, maxMessageLength: 100 });
      expect(r.add(frag(0, 6, 4, [5, 6]), 0)).to.equal('ok');
      expect(r.take()).to.equal(undefined);
      expect(r.add(frag(0, 6, 0, [1, 2, 3]), 0)).to.equal('ok');
      expect(r.add(frag(0, 6, 2, [3, 4]), 0)).to.equal('ok');
      const m = r.take()!;
      expect([...m.body]).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect([...m.raw.subarray(0, 12)]).to.deep.equal([11, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 6]);
      expect(r.next).to.equal(1);
    });

    it('calls earlier messages old, and drops those too far ahead, too long, or inconsistent', () => {
      const r = new Reassembler({ maxAhead: 2, maxMessageLength: 10 });
      r.add(frag(0, 1, 0, [1]), 0);
      r.take();
      expect(r.add(frag(0, 1, 0, [1]), 0)).to.equal('old');
      expect(r.add(frag(3, 1, 0, [1]), 0)).to.equal('dropped');
      expect(r.add(frag(1, 11, 0, [1]), 0)).to.equal('dropped');
      expect(r.add(frag(1, 4, 0, [1]), 0)).to.equal('ok');
      expect(r.add(frag(1, 5, 1, [1]), 0)).to.equal('dropped');
      expect(r.add(frag(1, 4, 1, [1]), 1)).to.equal('dropped');
      expect(r.buffered).to.equal(1);
    });
  });
});
