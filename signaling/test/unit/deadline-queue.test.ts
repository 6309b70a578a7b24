// FIFO deadlines with lazy cancellation.
import { expect } from 'chai';
import { DeadlineQueue } from '../../src/core/deadline-queue.js';

describe('DeadlineQueue', () => {
  describe('#popDue', () => {
    it('pops entries in push order once due, handing over item and generation', () => {
      const q = new DeadlineQueue<string>();
      q.push(10, 'a', 1);
      q.push(20, 'b', 2);
      const got: Array<[string, number]> = [];
      expect(q.popDue(9, (i, g) => got.push([i, g]))).to.equal(false);
      expect(q.popDue(10, (i, g) => got.push([i, g]))).to.equal(true);
      expect(q.peekAt()).to.equal(20);
      expect(q.popDue(25, (i, g) => got.push([i, g]))).to.equal(true);
      expect(got).to.deep.equal([['a', 1], ['b', 2]]);
      expect(q.peekAt()).to.equal(undefined);
    });

    it('compacts its storage so memory follows the live entries', () => {
      const q = new DeadlineQueue<number>();
      for (let i = 0; i < 100_000; i++) {
        q.push(i, i, 0);
        q.popDue(i, () => undefined);
      }
      expect(q.size).to.equal(0);
      q.push(1e6, 1, 0);
      expect(q.size).to.equal(1);
    });
  });

  describe('#clear', () => {
    it('drops everything', () => {
      const q = new DeadlineQueue<number>();
      q.push(1, 1, 0);
      q.clear();
      expect(q.peekAt()).to.equal(undefined);
    });
  });
});
