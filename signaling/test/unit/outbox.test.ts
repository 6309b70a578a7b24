// The core's output queue: order, counters, log-level filter, drained-queue reset.
import { expect } from 'chai';
import { CloseCode } from '@meshpunch/protocol';
import { Connection } from '../../src/core/connection.js';
import { Lobby, Member } from '../../src/core/lobby.js';
import { SignalingMetrics } from '../../src/core/metrics.js';
import { Outbox } from '../../src/core/outbox.js';

function conn(id: number): Connection {
  return new Connection(id, '198.51.100.1', 0, 10);
}

describe('Outbox', () => {
  it('ok() sends the bytes JSON.stringify gives {type: ok, rid}, counted as a message out', () => {
    const metrics = new SignalingMetrics();
    const o = new Outbox(metrics, 'info');
    for (const rid of [0, 1, 4_294_967_295]) {
      o.ok(conn(3), rid);
      expect(o.poll()).to.deep.equal({ kind: 'send', conn: 3, text: JSON.stringify({ type: 'ok', rid }) });
    }
    expect(metrics.messagesOut).to.equal(3);
  });

  describe('#poll', () => {
    it('returns sends, closes and logs in the order they were queued, then undefined', () => {
      const metrics = new SignalingMetrics();
      const o = new Outbox(metrics, 'debug');
      const c = conn(7);
      o.send(c, { type: 'ok', rid: 1 });
      o.log('debug', 'x', { n: 1 });
      o.close(c, CloseCode.RateLimited, 'rate limit');
      expect(o.poll()).to.deep.equal({ kind: 'send', conn: 7, text: '{"type":"ok","rid":1}' });
      expect(o.poll()).to.deep.equal({ kind: 'log', level: 'debug', event: 'x', fields: { n: 1 } });
      expect(o.poll()).to.deep.equal({ kind: 'close', conn: 7, code: CloseCode.RateLimited, reason: 'rate limit' });
      expect(o.poll()).to.equal(undefined);
      // A drained queue starts over: later outputs still come out.
      o.send(c, { type: 'ok', rid: 2 });
      expect(o.poll()).to.deep.include({ kind: 'send', text: '{"type":"ok","rid":2}' });
      expect(metrics.messagesOut).to.equal(2);
      expect(metrics.closes.RateLimited).to.equal(1);
    });
  });

  describe('#log', () => {
    it('keeps records at or above the configured level only', () => {
      const o = new Outbox(new SignalingMetrics(), 'info');
      o.log('debug', 'dropped', {});
      o.log('warn', 'kept', {});
      expect(o.poll()).to.deep.include({ event: 'kept' });
      expect(o.poll()).to.equal(undefined);
    });
  });

  describe('#error', () => {
    it('sends an error message with details and counts its code', () => {
      const metrics = new SignalingMetrics();
      const o = new Outbox(metrics, 'error');
      o.error(conn(1), 3, 'SIG_UNKNOWN_PAIR', 'pair 9 is not a current pair of this peer', { pair: 9 });
      const out = o.poll();
      expect(out?.kind === 'send' && JSON.parse(out.text)).to.deep.equal({
        type: 'error', rid: 3, code: 'SIG_UNKNOWN_PAIR', message: 'pair 9 is not a current pair of this peer', details: { pair: 9 },
      });
      expect(metrics.errors.SIG_UNKNOWN_PAIR).to.equal(1);
    });
  });

  describe('#broadcast / #toMember', () => {
    it('encodes once for present members, skips the excepted one and counts copies for away members', () => {
      const metrics = new SignalingMetrics();
      const o = new Outbox(metrics, 'error');
      const lobby = new Lobby('abc', 'mesh', 8, undefined, undefined);
      const [c1, c2, c3] = [conn(1), conn(2), conn(3)];
      const m1 = new Member(1, lobby, undefined, c1, 't1');
      const m2 = new Member(2, lobby, undefined, c2, 't2');
      const m3 = new Member(3, lobby, undefined, c3, 't3');
      for (const m of [m1, m2, m3]) lobby.members.set(m.id, m);
      m3.conn = null;
      o.broadcast(lobby, { type: 'lobby.sealed' }, m1);
      expect(o.poll()).to.deep.equal({ kind: 'send', conn: 2, text: '{"type":"lobby.sealed"}' });
      expect(o.poll()).to.equal(undefined);
      o.toMember(m3, { type: 'lobby.sealed' });
      expect(o.poll()).to.equal(undefined);
      expect(metrics.droppedWhileAway).to.equal(2);
      expect(metrics.messagesOut).to.equal(1);
    });
  });
});
