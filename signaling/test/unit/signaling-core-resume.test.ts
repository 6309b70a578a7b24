// Conformance of the core: losing the WebSocket, resuming inside and after the grace period.
import { expect } from 'chai';
import { CloseCode } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

function pairOfTwo(h: CoreHarness): { a: number; b: number; bid: number; token: string; code: string; pair: number } {
  const a = h.client();
  const { lobby } = h.create(a);
  const b = h.client();
  const { you, token } = h.join(b, lobby.code);
  const pair = h.takeType(a, 'pair.start')[0]!.pair;
  h.take(a);
  h.take(b);
  return { a, b, bid: you, token, code: lobby.code, pair };
}

describe('SignalingCore resume', () => {
  it('keeps a dropped member for graceMs: others see peer.away, then peer.back on resume with the same id', () => {
    const h = new CoreHarness();
    const { a, b, bid, token } = pairOfTwo(h);
    h.drop(b);
    expect(h.take(a)).to.deep.equal([{ type: 'peer.away', id: bid, graceMs: 30_000 }]);
    h.advance(29_000);
    const b2 = h.client();
    const r = h.request(b2, { type: 'resume', token });
    expect(r.type).to.equal('resume.ok');
    if (r.type !== 'resume.ok') return;
    expect(r.you).to.equal(bid);
    expect(r.token).to.not.equal(token);
    expect(r.lobby.members.map((m) => m.away)).to.deep.equal([false, false]);
    expect(h.takeType(a, 'peer.back')).to.deep.equal([{ type: 'peer.back', id: bid }]);
    h.advance(5_000);
    expect(h.core.memberCount).to.equal(2);
  });

  it('restarts the unfinished pairs of a resumed member under new ids that name the old one', () => {
    const h = new CoreHarness();
    const { a, b, bid, token, pair } = pairOfTwo(h);
    h.drop(b);
    const b2 = h.client();
    h.request(b2, { type: 'resume', token });
    const [sa] = h.takeType(a, 'pair.start');
    const [sb] = h.takeType(b2, 'pair.start');
    expect(sa).to.deep.include({ remote: bid, role: 'listen', replaces: pair });
    expect(sb).to.deep.include({ remote: 1, role: 'connect', replaces: pair, pair: sa!.pair });
    expect(sa!.pair).to.not.equal(pair);
    h.expectError(a, { type: 'pair.result', pair, outcome: 'failed', reason: 'cancelled' }, 'SIG_UNKNOWN_PAIR');
  });

  it('keeps a connected pair across a resume', () => {
    const h = new CoreHarness();
    const { a, b, token, pair } = pairOfTwo(h);
    h.request(a, { type: 'pair.result', pair, outcome: 'connected', path: 'lan' });
    h.drop(b);
    const b2 = h.client();
    h.request(b2, { type: 'resume', token });
    expect(h.takeType(b2, 'pair.start')).to.deep.equal([]);
  });

  it('keeps a pair the resuming member lists in resume.linked (its result was lost with the connection)', () => {
    const h = new CoreHarness();
    const { a, b, bid, token, pair } = pairOfTwo(h);
    h.drop(b);
    h.take(a);
    const b2 = h.client();
    h.request(b2, { type: 'resume', token, linked: [1] });
    expect(h.takeType(b2, 'pair.start')).to.deep.equal([]);
    expect(h.takeType(a, 'pair.start')).to.deep.equal([]);
    expect(h.takeType(a, 'link.updated').map((l) => l.link)).to.deep.equal([{ pair, a: 1, b: bid, state: 'connected' }]);
  });

  it('removes the member after graceMs (peer.left timeout); its token is then rejected', () => {
    const h = new CoreHarness();
    const { a, b, bid, token } = pairOfTwo(h);
    h.drop(b);
    h.take(a);
    h.advance(29_999);
    expect(h.take(a)).to.deep.equal([]);
    h.advance(1);
    expect(h.take(a)).to.deep.equal([{ type: 'peer.left', id: bid, reason: 'timeout' }]);
    const err = h.expectError(h.client(), { type: 'resume', token }, 'SIG_RESUME_REJECTED');
    expect(err.message).to.equal('the resume token is unknown or its grace period is over');
  });

  it('removes a lobby whose only member stays away past graceMs', () => {
    const h = new CoreHarness({ graceMs: 500 });
    const a = h.client();
    h.create(a);
    h.drop(a);
    expect(h.core.lobbyCount).to.equal(1);
    h.advance(500);
    expect(h.core.lobbyCount).to.equal(0);
    expect(h.core.memberCount).to.equal(0);
  });

  it('lets a resume take over a session whose old socket is still open, closing it with 4004', () => {
    const h = new CoreHarness();
    const { a, b, bid, token } = pairOfTwo(h);
    const b2 = h.client();
    const r = h.request(b2, { type: 'resume', token });
    expect(r.type === 'resume.ok' && r.you).to.equal(bid);
    expect(h.closed.get(b)).to.deep.equal({ code: CloseCode.Replaced, reason: 'replaced by a resumed connection' });
    expect(h.takeType(a, 'peer.away')).to.deep.equal([]);
    h.drop(b, 1000);
    expect(h.core.memberCount).to.equal(2);
  });

  it('rejects an old token after it was used, and a resume from a connection already in a lobby', () => {
    const h = new CoreHarness();
    const { b, token, code } = pairOfTwo(h);
    h.drop(b);
    const b2 = h.client();
    h.request(b2, { type: 'resume', token });
    h.expectError(h.client(), { type: 'resume', token }, 'SIG_RESUME_REJECTED');
    const c = h.client();
    h.join(c, code);
    h.expectError(c, { type: 'resume', token: 'x'.repeat(24) }, 'SIG_ALREADY_IN_LOBBY');
  });

  it('moves a member to its grace period when the service closes it for idleness', () => {
    const h = new CoreHarness({ heartbeatMs: 1000, idleTimeoutMs: 3000, graceMs: 2000 });
    const { a, b, bid } = pairOfTwo(h);
    h.autoAck = false;
    // Checked at heartbeats, which are up to heartbeatMs/16 late (batched).
    h.advance(3000 + 1000);
    h.autoAck = true;
    expect(h.closed.get(b)!.code).to.equal(CloseCode.IdleTimeout);
    void a;
    void bid;
    h.advance(10_000);
    expect(h.core.lobbyCount).to.equal(0);
  });
});
