// Conformance of the core: lobby.join with createIfMissing, where every member runs the same
// command in any order and the first one creates the lobby (docs/protocol.md `lobby.join`).
import { expect } from 'chai';
import { LOBBY_NAME_RULE } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

/** Sends lobby.join with createIfMissing and expects lobby.joined. */
function joinOrCreate(h: CoreHarness, conn: number, lobby: string, extra: Record<string, unknown> = {}): { you: number; lobby: { code: string; owner: number; maxPeers: number; mode: string; hasPassword: boolean; members: Array<{ id: number }> } } {
  const msg = h.request(conn, { type: 'lobby.join', lobby, createIfMissing: true, ...extra });
  if (msg.type !== 'lobby.joined') expect.fail(`join failed: ${JSON.stringify(msg)}`);
  return msg;
}

describe('SignalingCore lobby.join with createIfMissing', () => {
  it('offers the create-if-missing capability in welcome', () => {
    const h = new CoreHarness();
    const c = h.open();
    const msg = h.request(c, { type: 'hello', versions: [1], caps: ['create-if-missing'] });
    expect(msg).to.deep.include({ type: 'welcome', caps: ['create-if-missing'] });
  });

  it('creates a missing lobby under the given name, mode mesh, with the sender as peer 1 and owner', () => {
    const h = new CoreHarness();
    const r = joinOrCreate(h, h.client('alice'), 'lan-party');
    expect(r.you).to.equal(1);
    expect(r.lobby).to.deep.include({ code: 'lan-party', owner: 1, mode: 'mesh', maxPeers: 16, hasPassword: false });
    expect(h.core.lobbyCount).to.equal(1);
    expect(h.core.metrics.lobbiesCreated).to.equal(1);
  });

  it('lets eight identical commands form one lobby: one creator, seven joiners, every pair started', () => {
    const h = new CoreHarness();
    const conns = Array.from({ length: 8 }, () => h.client());
    const ids = conns.map((c) => joinOrCreate(h, c, 'party').you);
    expect(ids[0]).to.equal(1);
    expect(new Set(ids).size).to.equal(8);
    expect(ids.slice(1).every((id) => id >= 2)).to.equal(true);
    expect(h.core.lobbyCount).to.equal(1);
    expect(h.core.metrics.lobbiesCreated).to.equal(1);
    // Each member gets a pair.start for each of the other seven.
    for (const c of conns) expect(h.takeType(c, 'pair.start')).to.have.length(7);
  });

  it('joins an existing lobby as lobby.join does: password checked, maxPeers of the request ignored', () => {
    const h = new CoreHarness();
    const { lobby } = h.create(h.client(), { name: 'den', password: 'hunter2', maxPeers: 3 });
    const b = h.client();
    expect(h.expectError(b, { type: 'lobby.join', lobby: 'den', createIfMissing: true }, 'SIG_BAD_PASSWORD').message).to.equal('lobby den needs a password');
    const r = joinOrCreate(h, b, 'den', { password: 'hunter2', maxPeers: 8 });
    expect(r.you).to.be.greaterThan(1);
    expect(r.lobby.maxPeers).to.equal(3);
    expect(lobby.code).to.equal('den');
    expect(h.core.metrics.lobbiesCreated).to.equal(1);
  });

  it('gives a lobby it creates the request password and maxPeers', () => {
    const h = new CoreHarness();
    const r = joinOrCreate(h, h.client(), 'duo', { password: 'pw', maxPeers: 2 });
    expect(r.lobby).to.deep.include({ maxPeers: 2, hasPassword: true });
    expect(h.expectError(h.client(), { type: 'lobby.join', lobby: 'duo', createIfMissing: true, password: 'nope' }, 'SIG_BAD_PASSWORD').message).to.equal('wrong password');
    joinOrCreate(h, h.client(), 'duo', { password: 'pw' });
    h.expectError(h.client(), { type: 'lobby.join', lobby: 'duo', createIfMissing: true, password: 'pw' }, 'SIG_LOBBY_FULL');
  });

  it('creates the lobby again once everyone left it', () => {
    const h = new CoreHarness();
    const a = h.client();
    joinOrCreate(h, a, 'again');
    expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
    expect(h.core.lobbyCount).to.equal(0);
    expect(joinOrCreate(h, h.client(), 'again').you).to.equal(1);
  });

  it('refuses to create under a name lobby.create would refuse, naming the lobby field', () => {
    const h = new CoreHarness();
    const err = h.expectError(h.client(), { type: 'lobby.join', lobby: 'ZZZZ-ZZZZ', createIfMissing: true }, 'SIG_BAD_MESSAGE');
    // The one rule of packages/protocol (lobbyRefProblem), in the CLI's and the library's words too.
    expect(err.message).to.equal(`lobby must be a lobby name (${LOBBY_NAME_RULE}), got 'ZZZZ-ZZZZ'`);
    expect(err.details).to.deep.equal({ field: 'lobby' });
    expect(h.core.lobbyCount).to.equal(0);
  });

  it('refuses to create past maxLobbies and past maxPeersCap', () => {
    const h = new CoreHarness({ maxLobbies: 1, maxPeersCap: 8, defaultMaxPeers: 4 });
    h.expectError(h.client(), { type: 'lobby.join', lobby: 'big', createIfMissing: true, maxPeers: 9 }, 'SIG_BAD_MESSAGE');
    joinOrCreate(h, h.client(), 'one');
    h.expectError(h.client(), { type: 'lobby.join', lobby: 'two', createIfMissing: true }, 'SIG_TOO_MANY_LOBBIES');
  });

  it('rejects maxPeers without createIfMissing and a createIfMissing that is not a boolean', () => {
    const h = new CoreHarness();
    const c = h.client();
    expect(h.expectError(c, { type: 'lobby.join', lobby: 'x', maxPeers: 4 }, 'SIG_BAD_MESSAGE').message).to.include('maxPeers needs createIfMissing: true');
    expect(h.expectError(c, { type: 'lobby.join', lobby: 'x', createIfMissing: 'yes' }, 'SIG_BAD_MESSAGE').message).to.include('createIfMissing must be true or false');
    expect(h.expectError(c, { type: 'lobby.join', lobby: 'x', createIfMissing: false }, 'SIG_LOBBY_NOT_FOUND').message).to.equal('no lobby has that code or name');
  });
});
