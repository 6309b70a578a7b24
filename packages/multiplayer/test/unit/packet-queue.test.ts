import { expect } from 'chai';
import { PacketQueue } from '../../src/core/packet-queue.js';

const pkt = (n: number) => ({ data: new Uint8Array([n & 0xff]), from: n, channel: 0, mode: 2 });

describe('PacketQueue', () => {
  describe('#push/#shift', () => {
    it('is first in, first out', () => {
      const q = new PacketQueue(10);
      q.push(pkt(1));
      q.push(pkt(2));
      expect(q.peek()?.from).to.equal(1);
      expect(q.shift()?.from).to.equal(1);
      expect(q.shift()?.from).to.equal(2);
      expect(q.shift()).to.equal(undefined);
      expect(q.length).to.equal(0);
    });
    it('refuses and counts packets beyond the cap', () => {
      const q = new PacketQueue(2);
      expect([q.push(pkt(1)), q.push(pkt(2)), q.push(pkt(3))]).to.deep.equal([true, true, false]);
      expect(q.dropped).to.equal(1);
      expect(q.length).to.equal(2);
    });
    it('keeps order across compaction with interleaved pushes and shifts', () => {
      const q = new PacketQueue(100000);
      let next = 0;
      let expectNext = 0;
      for (let round = 0; round < 50; round++) {
        for (let i = 0; i < 300; i++) q.push(pkt(next++));
        for (let i = 0; i < 250; i++) expect(q.shift()!.from).to.equal(expectNext++);
      }
      while (q.length > 0) expect(q.shift()!.from).to.equal(expectNext++);
      expect(expectNext).to.equal(next);
    });
  });
  describe('#clear', () => {
    it('empties the queue without counting drops', () => {
      const q = new PacketQueue(4);
      q.push(pkt(1));
      q.clear();
      expect(q.length).to.equal(0);
      expect(q.dropped).to.equal(0);
    });
  });
});
