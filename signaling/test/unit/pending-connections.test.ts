// PendingConnections: the slowloris guard's bookkeeping (issue #13 item 4).
import { expect } from 'chai';
import { PendingConnections } from '../../src/core/pending-connections.js';

describe('PendingConnections', () => {
  describe('#add', () => {
    it('drops the oldest pending connection of an address past perIp, never the new one', () => {
      const p = new PendingConnections<string>(2, 100, 1000);
      expect(p.add(0, 'a1', '10.0.0.1')).to.deep.equal([]);
      expect(p.add(1, 'a2', '10.0.0.1')).to.deep.equal([]);
      expect(p.add(2, 'b1', '10.0.0.2')).to.deep.equal([]);
      expect(p.add(3, 'a3', '10.0.0.1')).to.deep.equal(['a1']);
      expect([p.countOf('10.0.0.1'), p.countOf('10.0.0.2'), p.size]).to.deep.equal([2, 1, 3]);
      expect(p.dropped).to.deep.equal({ timeout: 0, per_ip: 1, total: 0 });
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
