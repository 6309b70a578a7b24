// PendingConnections: the slowloris guard's bookkeeping (issue #13 item 4).
import { expect } from 'chai';
import { PendingConnections } from '../../src/core/pending-connections.js';

describe('PendingConnections', () => {
  describe('#add', () => {
    it('drops the oldest pending connection of an address past perIp, never the new one', () => {
      const p = new PendingConnections<string>(2, 100, 1000, 0);
      expect(p.add(0, 'a1', '10.0.0.1')).to.deep.equal([]);
      expect(p.add(1, 'a2', '10.0.0.1')).to.deep.equal([]);
      expect(p.add(2, 'b1', '10.0.0.2')).to.deep.equal([]);
      expect(p.add(3, 'a3', '10.0.0.1')).to.deep.equal(['a1']);
      expect([p.countOf('10.0.0.1'), p.countOf('10.0.0.2'), p.size]).to.deep.equal([2, 1, 3]);
      expect(p.dropped).to.deep.equal({ timeout: 0, per_ip: 1, total: 0 });
    });

    it('spares connections younger than youngMs from the per-address cap (a burst accepted before any request is read), then trims to the cap', () => {
      // Issue 19: 64 clients behind one address opening at once lost their 32 oldest at accept.
      const p = new PendingConnections<string>(2, 100, 10_000, 1000);
      for (let i = 0; i < 6; i++) expect(p.add(i, `a${i}`, '10.0.0.1')).to.deep.equal([]);
      expect(p.countOf('10.0.0.1')).to.equal(6);
      // Requests read a turn later settle most of them; nothing was cut.
      for (const c of ['a1', 'a2', 'a3', 'a4']) p.settle(c);
      expect(p.countOf('10.0.0.1')).to.equal(2);
      expect(p.dropped.per_ip).to.equal(0);
      // Silent ones past the cap go once they are old: at the sweep nextDeadline() asks for...
      for (let i = 0; i < 4; i++) p.add(10 + i, `b${i}`, '10.0.0.1');
      expect(p.nextDeadline()).to.equal(1000);
      expect(p.expire(999)).to.deep.equal([]);
      expect(p.expire(1000)).to.deep.equal(['a0']);
      expect(p.expire(1012)).to.deep.equal(['a5', 'b0', 'b1']);
      expect(p.countOf('10.0.0.1')).to.equal(2);
      expect(p.nextDeadline()).to.equal(10_012);
      // ...or at the address's next accept.
      expect(p.add(1500, 'c0', '10.0.0.1')).to.deep.equal(['b2']);
      expect(p.dropped).to.deep.equal({ timeout: 0, per_ip: 5, total: 0 });
    });

    it('past total, evicts from the address holding the most, so a burst from one address cuts its own', () => {
      const p = new PendingConnections<string>(2, 5, 10_000, 1000);
      p.add(0, 'honest', '10.0.0.9');
      for (let i = 0; i < 4; i++) p.add(1 + i, `f${i}`, '10.0.0.1');
      expect(p.add(5, 'f4', '10.0.0.1')).to.deep.equal(['f0']);
      expect(p.add(6, 'other', '10.0.0.2')).to.deep.equal(['f1']);
      expect([p.countOf('10.0.0.9'), p.countOf('10.0.0.2'), p.countOf('10.0.0.1')]).to.deep.equal([1, 1, 3]);
      expect(p.dropped.total).to.equal(2);
    });

    it('drops the oldest pending connection overall past total', () => {
      const p = new PendingConnections<string>(10, 2, 1000);
      p.add(0, 'a', '10.0.0.1');
      p.add(1, 'b', '10.0.0.2');
      expect(p.add(2, 'c', '10.0.0.3')).to.deep.equal(['a']);
      expect(p.dropped.total).to.equal(1);
      expect(p.countOf('10.0.0.1')).to.equal(0);
    });
  });

  describe('#expire', () => {
    it('drops connections pending timeoutMs or more, oldest first, and forgets settled ones', () => {
      const p = new PendingConnections<string>(10, 10, 1000);
      p.add(0, 'a', '10.0.0.1');
      p.add(10, 'b', '10.0.0.1');
      p.add(20, 'c', '10.0.0.1');
      p.settle('b');
      p.settle('b');
      expect(p.nextDeadline()).to.equal(1000);
      expect(p.expire(999)).to.deep.equal([]);
      expect(p.expire(1020)).to.deep.equal(['a', 'c']);
      expect(p.size).to.equal(0);
      expect(p.nextDeadline()).to.equal(undefined);
      expect(p.dropped.timeout).to.equal(2);
    });
  });
});
