// Conformance of the core: claimed names (protocol 1.3, issue #13 item 8). The attack: someone
// creates a lobby under a group's name before the group's `--create-if-missing` members arrive,
// and so owns the lobby they join (peer 1, owner, its password and size). With a claim the
// group's lobby is filed under its name and claim, so the squatter's lobby is another one.
import { expect } from 'chai';
import { decodeClientMessage } from '@meshpunch/protocol';
import type { ServerMessage } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

/** What SignalingClient sends for a claim secret: 43 base64url characters. */
const CLAIM = 'GroupClaim_0123456789abcdefghijklmnopqrstuv';
const OTHER_CLAIM = 'SomeoneElse_0123456789abcdefghijklmnopqrstu';

type Joined = Extract<ServerMessage, { type: 'lobby.joined' }>;

function joined(msg: ServerMessage): Joined {
  if (msg.type !== 'lobby.joined') expect.fail(`expected lobby.joined, got ${JSON.stringify(msg)}`);
  return msg;
}

/** A client offering every capability this revision knows. */
function client(h: CoreHarness, caps = ['create-if-missing', 'restore', 'claim']): number {
  const c = h.open();
  const msg = h.request(c, { type: 'hello', versions: [1], caps });
  expect(msg.type).to.equal('welcome');
  h.take(c);
  return c;
}

describe('SignalingCore claimed names (name squatting)', () => {
  it('offers the claim capability', () => {
    const h = new CoreHarness();
    const c = h.open();
    expect(h.request(c, { type: 'hello', versions: [1], caps: ['claim'] })).to.deep.include({ type: 'welcome', caps: ['claim'] });
  });

  it('a squatter who pre-created the name owns nothing of a claiming group: the group gets its own lobby, peer 1 among them', () => {
    const h = new CoreHarness();
    // The attack: the name is taken first, with a password and a size the group does not know.
    const squatter = client(h);
    const squat = joined(h.request(squatter, { type: 'lobby.create', name: 'party', password: 'mine', maxPeers: 2 }));
    expect(squat.you).to.equal(1);
    h.finishHashes();
    h.take(squatter);
    // The group arrives, everyone with the same command.
    const group = [client(h), client(h), client(h)];
    const answers = group.map((c) => joined(h.request(c, { type: 'lobby.join', lobby: 'party', createIfMissing: true, claim: CLAIM, maxPeers: 8 })));
    expect(answers[0]!.you).to.equal(1);
    const last = answers[2]!.lobby;
    expect(last).to.deep.include({ code: 'party', owner: 1, maxPeers: 8, hasPassword: false });
    expect(last.members.map((m) => m.id).sort((a, b) => a - b)).to.deep.equal(answers.map((a) => a.you).sort((a, b) => a - b));
    expect(h.core.lobbyCount).to.equal(2);
    // The squatter heard nothing of the group and cannot find its lobby without the claim.
    expect(h.takeType(squatter, 'peer.joined')).to.have.length(0);
    // A join of `party` without the claim lands in the squatter's lobby, not the group's.
    const other = client(h);
    const plain = joined(h.request(other, { type: 'lobby.join', lobby: 'party', password: 'mine' }));
    expect(plain.lobby).to.deep.include({ maxPeers: 2, hasPassword: true });
    expect(plain.lobby.members).to.have.length(2);
    // Nor with a claim of its own: that is a third lobby.
    expect(joined(h.request(client(h), { type: 'lobby.join', lobby: 'party', createIfMissing: true, claim: OTHER_CLAIM })).you).to.equal(1);
    expect(h.core.lobbyCount).to.equal(3);
  });

  it('lobby.create with a claim is refused only by a lobby of the same name and claim', () => {
    const h = new CoreHarness();
    joined(h.request(client(h), { type: 'lobby.create', name: 'den' }));
    const a = joined(h.request(client(h), { type: 'lobby.create', name: 'den', claim: CLAIM }));
    expect(a).to.deep.include({ you: 1 });
    h.expectError(client(h), { type: 'lobby.create', name: 'den', claim: CLAIM }, 'SIG_LOBBY_EXISTS');
    h.expectError(client(h), { type: 'lobby.create', name: 'den' }, 'SIG_LOBBY_EXISTS');
    expect(h.core.lobbyCount).to.equal(2);
  });

  it('finds a claimed lobby only with its claim: not by name alone, not with another claim', () => {
    const h = new CoreHarness();
    joined(h.request(client(h), { type: 'lobby.create', name: 'den', claim: CLAIM }));
    h.expectError(client(h), { type: 'lobby.join', lobby: 'den' }, 'SIG_LOBBY_NOT_FOUND');
    h.expectError(client(h), { type: 'lobby.join', lobby: 'den', claim: OTHER_CLAIM }, 'SIG_LOBBY_NOT_FOUND');
    expect(joined(h.request(client(h), { type: 'lobby.join', lobby: 'den', claim: CLAIM })).you).to.be.greaterThan(1);
  });

  it('a claimed lobby is created afresh under its claim once everyone left, and its name is free again', () => {
    const h = new CoreHarness();
    const a = client(h);
    joined(h.request(a, { type: 'lobby.join', lobby: 'again', createIfMissing: true, claim: CLAIM }));
    expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
    expect(h.core.lobbyCount).to.equal(0);
    expect(joined(h.request(client(h), { type: 'lobby.join', lobby: 'again', createIfMissing: true, claim: CLAIM })).you).to.equal(1);
  });

  it('a claimed lobby with a password: created after its hash, joined with claim and password', () => {
    const h = new CoreHarness();
    const a = client(h);
    h.send(a, { type: 'lobby.join', rid: 1, lobby: 'vault', createIfMissing: true, claim: CLAIM, password: 'pw' });
    h.finishHashes();
    expect(joined(h.takeType(a, 'lobby.joined')[0]!).you).to.equal(1);
    const b = client(h);
    h.send(b, { type: 'lobby.join', rid: 1, lobby: 'vault', createIfMissing: true, claim: CLAIM, password: 'pw' });
    h.finishHashes();
    expect(h.takeType(b, 'lobby.joined')[0]!.you).to.be.greaterThan(1);
    expect(h.core.lobbyCount).to.equal(1);
  });

  it('restores a claimed lobby among its claim, so a squatter of the name after a restart takes nothing', () => {
    const old = new CoreHarness();
    const a = client(old);
    const ja = joined(old.request(a, { type: 'lobby.join', lobby: 'party', createIfMissing: true, claim: CLAIM }));
    const jb = joined(old.request(client(old), { type: 'lobby.join', lobby: 'party', createIfMissing: true, claim: CLAIM }));
    const ids = [ja.you, jb.you];
    // The service restarts; a stranger creates `party` before the members come back.
    const h = new CoreHarness({}, 0xbeef);
    joined(h.request(client(h), { type: 'lobby.create', name: 'party' }));
    const restore = (you: number): ServerMessage => h.request(client(h), {
      type: 'lobby.restore', lobby: 'party', key: ja.key!, you, members: ids.filter((i) => i !== you), linked: ids.filter((i) => i !== you), claim: CLAIM,
    });
    expect(joined(restore(ja.you)).you).to.equal(ja.you);
    const rb = joined(restore(jb.you));
    expect(rb.lobby.members.map((m) => m.id).sort((x, y) => x - y)).to.deep.equal([...ids].sort((x, y) => x - y));
    expect(h.core.lobbyCount).to.equal(2);
  });

  it('decodes claim on lobby.create / lobby.join / lobby.restore: 16..64 characters, and lobby.create needs a name', () => {
    const dec = (m: Record<string, unknown>) => decodeClientMessage(JSON.stringify({ rid: 1, ...m }));
    expect(dec({ type: 'lobby.join', lobby: 'x', claim: CLAIM })).to.deep.include({ ok: true });
    expect(dec({ type: 'lobby.join', lobby: 'x', claim: 'short' })).to.deep.include({ ok: false, code: 'SIG_BAD_MESSAGE' });
    expect(dec({ type: 'lobby.join', lobby: 'x', claim: 'x'.repeat(65) })).to.deep.include({ ok: false, code: 'SIG_BAD_MESSAGE' });
    expect(dec({ type: 'lobby.create', claim: CLAIM })).to.deep.include({ ok: false, code: 'SIG_BAD_MESSAGE', message: 'claim needs name' });
    const r = dec({ type: 'lobby.restore', lobby: 'x', key: 'k', you: 1, members: [], linked: [], claim: CLAIM });
    expect(r.ok && r.message).to.deep.include({ claim: CLAIM });
  });
});
