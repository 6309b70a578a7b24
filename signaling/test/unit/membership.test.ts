// Lobby membership on its own: tokens, leaving, ownership hand-over, grace period, peer ids.
import { expect } from 'chai';
import { Prng } from '@meshpunch/sim';
import { resolveSignalingCoreOptions } from '../../src/core/config.js';
import type { SignalingCoreOptions } from '../../src/core/config.js';
import { Connection } from '../../src/core/connection.js';
import { Lobby } from '../../src/core/lobby.js';
import { Membership } from '../../src/core/membership.js';
import { SignalingMetrics } from '../../src/core/metrics.js';
import { Outbox } from '../../src/core/outbox.js';
import type { CoreOutput } from '../../src/core/outbox.js';

function setup(options: Partial<SignalingCoreOptions> = {}): { ms: Membership; outbox: Outbox; metrics: SignalingMetrics } {
  const prng = new Prng(42);
  const config = resolveSignalingCoreOptions({ random: (b) => prng.fill(b), ...options });
  const metrics = new SignalingMetrics();
  const outbox = new Outbox(metrics, 'error');
  return { ms: new Membership({ config, metrics, outbox, relay: undefined, candidatesFrame: null, candidatesSpan: { start: -1, end: -1 } }), outbox, metrics };
}

function drain(outbox: Outbox): Array<{ conn: number; msg: { type: string } & Record<string, unknown> }> {
  const out: Array<{ conn: number; msg: { type: string } & Record<string, unknown> }> = [];
  for (let o: CoreOutput | undefined = outbox.poll(); o !== undefined; o = outbox.poll()) {
    if (o.kind === 'send') out.push({ conn: o.conn, msg: JSON.parse(o.text) as { type: string } });
  }
  return out;
}

describe('Membership', () => {
  describe('#add / #remove', () => {
    it('hands ownership to the lowest id when the owner leaves, and removes the lobby with its last member', () => {
      const { ms, outbox, metrics } = setup();
      const lobby = new Lobby('abc', 'mesh', 8, undefined, undefined);
      ms.lobbies.set(lobby.code, lobby);
      const owner = ms.add(lobby, new Connection(1, '198.51.100.1', 0, 10), 1);
      const nine = ms.add(lobby, new Connection(2, '198.51.100.2', 0, 10), 9);
      const five = ms.add(lobby, new Connection(3, '198.51.100.3', 0, 10), 5);
      expect(ms.memberCount).to.equal(3);
      expect(ms.byToken(nine.token)).to.equal(nine);
      ms.remove(0, owner, 'left');
      expect(lobby.owner).to.equal(5);
      expect(drain(outbox).filter((o) => o.conn === 2).map((o) => o.msg)).to.deep.equal([
        { type: 'peer.left', id: 1, reason: 'left' }, { type: 'lobby.owner', owner: 5 },
      ]);
      ms.remove(0, owner, 'left'); // already gone: nothing happens
      expect(ms.memberCount).to.equal(2);
      ms.remove(0, five, 'left');
      ms.remove(0, nine, 'timeout');
      expect(ms.lobbies.size).to.equal(0);
      expect(ms.tokenCount).to.equal(0);
      expect(metrics.lobbiesRemoved).to.equal(1);
      expect(metrics.membersLeft).to.deep.include({ left: 2, timeout: 1 });
    });

    it('renews a resume token: the old one no longer finds the member', () => {
      const { ms } = setup();
      const lobby = new Lobby('abc', 'mesh', 8, undefined, undefined);
      const m = ms.add(lobby, new Connection(1, '198.51.100.1', 0, 10), 1);
      const old = m.token;
      ms.renewToken(m);
      expect(m.token).to.not.equal(old);
      expect(ms.byToken(old)).to.equal(undefined);
      expect(ms.byToken(m.token)).to.equal(m);
    });
  });

  describe('#goAway / #handleTimeout', () => {
    it('keeps an away member for graceMs, then removes it with reason timeout', () => {
      const { ms } = setup({ graceMs: 1000 });
      const lobby = new Lobby('abc', 'mesh', 8, undefined, undefined);
      ms.lobbies.set(lobby.code, lobby);
      ms.add(lobby, new Connection(1, '198.51.100.1', 0, 10), 1);
      const m = ms.add(lobby, new Connection(2, '198.51.100.2', 0, 10), 7);
      ms.goAway(100, m);
      expect(ms.nextDeadline()).to.equal(1100);
      ms.handleTimeout(1099);
      expect(lobby.members.has(7)).to.equal(true);
      ms.handleTimeout(1100);
      expect(lobby.members.has(7)).to.equal(false);
      expect(ms.nextDeadline()).to.equal(undefined);
    });

    it('removes at once with reason closed when graceMs is 0', () => {
      const { ms, metrics } = setup({ graceMs: 0 });
      const lobby = new Lobby('abc', 'mesh', 8, undefined, undefined);
      const m = ms.add(lobby, new Connection(1, '198.51.100.1', 0, 10), 1);
      ms.goAway(0, m);
      expect(ms.memberCount).to.equal(0);
      expect(metrics.membersLeft.closed).to.equal(1);
    });
  });

  describe('#drawPeerId', () => {
    it('draws fresh ids in 2..2^31-1 and none once the lobby used its id budget', () => {
      const { ms } = setup({ maxIdsPerLobby: 3 });
      const lobby = new Lobby('abc', 'mesh', 8, undefined, undefined);
      lobby.usedIds.add(1);
      const a = ms.drawPeerId(lobby)!;
      lobby.usedIds.add(a);
      const b = ms.drawPeerId(lobby)!;
      lobby.usedIds.add(b);
      for (const id of [a, b]) expect(id).to.be.within(2, 0x7fffffff);
      expect(a).to.not.equal(b);
      expect(ms.drawPeerId(lobby)).to.equal(undefined);
    });
  });
});
