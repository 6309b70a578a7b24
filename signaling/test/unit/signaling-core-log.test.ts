// What the service logs at `info` (issue #12 item 8): one record per lobby lifecycle step and
// pair result, with the ids operators need and never a token, password or pair secret.
import { expect } from 'chai';
import { CoreHarness } from '../support/core-harness.js';

describe('SignalingCore log', () => {
  describe('#pollOutput (log records at info)', () => {
    it('logs lobby created, joined, sealed, pair results, away, resumed, left and closed, one record each', () => {
      const h = new CoreHarness({ logLevel: 'info', graceMs: 5000 });
      const a = h.client();
      const { lobby, token: tokenA } = h.create(a, { name: 'game', password: 'hunter2-secret' });
      const b = h.client();
      const { you: idB, token: tokenB } = h.join(b, 'game', 'hunter2-secret');
      const [start] = h.takeType(b, 'pair.start');
      expect(h.request(a, { type: 'lobby.seal' }).type).to.equal('ok');
      expect(h.request(b, { type: 'pair.result', pair: start!.pair, outcome: 'connected', path: 'direct', rttMs: 12.5 }).type).to.equal('ok');
      expect(h.request(a, { type: 'pair.result', pair: start!.pair, outcome: 'failed', reason: 'timeout' }).type).to.equal('ok');
      h.drop(b);
      const b2 = h.client();
      const resumed = h.request(b2, { type: 'resume', token: tokenB });
      expect(resumed.type).to.equal('resume.ok');
      expect(h.request(b2, { type: 'lobby.leave' }).type).to.equal('ok');
      expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');

      const info = h.logs.filter((l) => l.level === 'info');
      expect(info.map((l) => l.event)).to.deep.equal([
        'lobby.created', 'lobby.joined', 'lobby.sealed', 'pair.result', 'pair.result', 'peer.away', 'peer.resumed', 'lobby.left', 'lobby.left', 'lobby.closed',
      ]);
      const f = info.map((l) => l.fields);
      expect(f[0]).to.deep.include({ lobby: lobby.code, mode: 'mesh', password: true });
      expect(f[1]).to.deep.include({ lobby: 'game', peer: idB, members: 2 });
      expect(f[2]).to.deep.include({ lobby: 'game', peer: 1 });
      expect(f[3]).to.deep.equal({ lobby: 'game', pair: start!.pair, peer: idB, remote: 1, outcome: 'connected', path: 'direct', rttMs: 12.5 });
      expect(f[4]).to.deep.equal({ lobby: 'game', pair: start!.pair, peer: 1, remote: idB, outcome: 'failed', reason: 'timeout' });
      expect(f[5]).to.deep.include({ lobby: 'game', peer: idB, graceMs: 5000 });
      expect(f[6]).to.deep.include({ lobby: 'game', peer: idB });
      expect(f[7]).to.deep.include({ lobby: 'game', peer: idB, reason: 'left', members: 1 });
      expect(f[8]).to.deep.include({ lobby: 'game', peer: 1, reason: 'left', members: 0 });
      expect(f[9]).to.deep.equal({ lobby: 'game' });

      const text = JSON.stringify(h.logs);
      for (const secret of ['hunter2-secret', tokenA, tokenB, start!.secret, (resumed as { token: string }).token]) expect(text).to.not.include(secret);
    });

    it('logs a member whose grace period ran out as left with reason timeout, and the lobby as closed', () => {
      const h = new CoreHarness({ logLevel: 'info', graceMs: 1000 });
      const a = h.client();
      h.create(a, { name: 'solo' });
      h.drop(a);
      h.advance(1001);
      expect(h.logs.filter((l) => l.level === 'info').map((l) => [l.event, l.fields.reason ?? ''])).to.deep.equal([
        ['lobby.created', ''], ['peer.away', ''], ['lobby.left', 'timeout'], ['lobby.closed', ''],
      ]);
    });

    it('keeps debug records out at info', () => {
      const h = new CoreHarness({ logLevel: 'info' });
      const a = h.client();
      h.send(a, '{"type":"nonsense"}');
      expect(h.logs.filter((l) => l.level === 'debug')).to.deep.equal([]);
    });
  });
});
