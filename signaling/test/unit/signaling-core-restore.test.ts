// Conformance of the core: the lobby key and lobby.restore — a mesh that outlived its service
// instance re-registers its lobby under the ids it holds (issue #12 items 1 and 11).
import { expect } from 'chai';
import type { LobbyView, ServerMessage } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

const CAPS = ['resume', 'create-if-missing', 'restore'];

/** A client that offers the restore capability. */
function restoreClient(h: CoreHarness): number {
  const c = h.open();
  const msg = h.request(c, { type: 'hello', versions: [1], caps: CAPS });
  expect(msg.type).to.equal('welcome');
  h.take(c);
  return c;
}

/** The restarted service: it knows nothing, and its random draws differ from the old one's. */
function restarted(): CoreHarness {
  return new CoreHarness({}, 0xbeef);
}

type Joined = Extract<ServerMessage, { type: 'lobby.joined' }>;

function joined(msg: ServerMessage): Joined {
  if (msg.type !== 'lobby.joined') expect.fail(`expected lobby.joined, got ${JSON.stringify(msg)}`);
  return msg;
}

/** Three members on an old instance: their ids, the lobby code and the key they hold. */
function oldMesh(): { ids: number[]; code: string; key: string } {
  const h = new CoreHarness();
  const a = restoreClient(h);
  const ja = joined(h.request(a, { type: 'lobby.create', name: 'party', maxPeers: 8 }));
  const b = restoreClient(h);
  const jb = joined(h.request(b, { type: 'lobby.join', lobby: 'party' }));
  const c = restoreClient(h);
  const jc = joined(h.request(c, { type: 'lobby.join', lobby: 'party' }));
  expect(ja.key).to.be.a('string').with.length(22);
  expect([jb.key, jc.key]).to.deep.equal([ja.key, ja.key]);
  return { ids: [ja.you, jb.you, jc.you], code: ja.lobby.code, key: ja.key! };
}

function restoreBody(code: string, key: string, you: number, ids: number[], linked: number[] = ids.filter((i) => i !== you)): Record<string, unknown> {
  return { type: 'lobby.restore', lobby: code, key, you, members: ids.filter((i) => i !== you), linked, mode: 'mesh', maxPeers: 8 };
}

describe('SignalingCore lobby.restore', () => {
  describe('#lobby key', () => {
    it('hands the lobby key only to clients that offered the restore capability, also in resume.ok', () => {
      const h = new CoreHarness();
      const plain = h.client();
      const created = h.create(plain, { name: 'k' });
      expect(created).to.not.have.property('key');
      const b = restoreClient(h);
      const jb = joined(h.request(b, { type: 'lobby.join', lobby: 'k' }));
      expect(jb.key).to.be.a('string');
      h.drop(b);
      const b2 = restoreClient(h);
      const r = h.request(b2, { type: 'resume', token: jb.token });
      expect(r.type).to.equal('resume.ok');
      expect((r as { key?: string }).key).to.equal(jb.key);
    });
  });

  describe('#restore after a restart', () => {
    it('re-creates the lobby under the ids the members hold; mutually linked pairs stay connected without pair.start', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      const [a, b] = [restoreClient(h), restoreClient(h)];
      const ra = joined(h.request(a, restoreBody(code, key, ids[0]!, ids)));
      expect(ra.you).to.equal(ids[0]);
      expect(ra.key).to.equal(key);
      expect(ra.lobby.members.map((m) => m.id)).to.deep.equal([ids[0]]);
      expect(ra.lobby.owner).to.equal(ids[0]);
      // Every id a member knows is reserved at once: newcomers never draw one of them.
      expect(h.core.snapshot().lobbies[0]!.usedIds).to.equal(3);
      const rb = joined(h.request(b, restoreBody(code, key, ids[1]!, ids)));
      expect(rb.lobby.members.map((m) => m.id).sort((x, y) => x - y)).to.deep.equal([ids[0]!, ids[1]!].sort((x, y) => x - y));
      expect(h.takeType(a, 'peer.joined').map((p) => p.peer.id)).to.deep.equal([ids[1]]);
      expect(h.takeType(a, 'pair.start')).to.deep.equal([]);
      expect(h.takeType(b, 'pair.start')).to.deep.equal([]);
      const links = h.takeType(a, 'link.updated').map((l) => l.link);
      expect(links).to.have.length(1);
      expect(links[0]).to.deep.include({ a: Math.min(ids[0]!, ids[1]!), b: Math.max(ids[0]!, ids[1]!), state: 'connected' });
      expect(h.core.snapshot().lobbies[0]!.pairs.map((p) => p.state)).to.deep.equal(['connected']);
    });

    it('schedules a pair only one side says is linked (that link is gone on the other side)', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      const [a, b] = [restoreClient(h), restoreClient(h)];
      h.request(a, restoreBody(code, key, ids[0]!, ids));
      h.request(b, restoreBody(code, key, ids[1]!, ids, [ids[2]!]));
      expect(h.takeType(a, 'pair.start').map((p) => p.remote)).to.deep.equal([ids[1]]);
      expect(h.takeType(b, 'pair.start').map((p) => p.remote)).to.deep.equal([ids[0]]);
    });

    it('gives a newcomer after the restore an unused id (never 1, never a reserved one) and pairs it with every member', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      const members = ids.map(() => restoreClient(h));
      members.forEach((c, i) => h.request(c, restoreBody(code, key, ids[i]!, ids)));
      for (const c of members) h.take(c);
      const d = restoreClient(h);
      const jd = joined(h.request(d, { type: 'lobby.join', lobby: 'party' }));
      expect(ids).to.not.include(jd.you);
      expect(jd.you).to.be.at.least(2);
      expect(jd.lobby.members).to.have.length(4);
      expect(h.takeType(d, 'pair.start').map((p) => p.remote).sort((x, y) => x - y)).to.deep.equal([...ids].sort((x, y) => x - y));
      for (const c of members) expect(h.takeType(c, 'pair.start').map((p) => p.remote)).to.deep.equal([jd.you]);
    });

    it('keeps the password: a newcomer must give it to join the restored lobby', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      const a = restoreClient(h);
      joined(h.request(a, { ...restoreBody(code, key, ids[0]!, ids), password: 'swordfish' }));
      const d = restoreClient(h);
      h.expectError(d, { type: 'lobby.join', lobby: 'party' }, 'SIG_BAD_PASSWORD');
      joined(h.request(d, { type: 'lobby.join', lobby: 'party', password: 'swordfish' }));
    });
  });

  describe('#refusals', () => {
    it('refuses another key (SIG_RESTORE_REJECTED): a newcomer cannot take a live id', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      h.request(restoreClient(h), restoreBody(code, key, ids[0]!, ids));
      const thief = restoreClient(h);
      const err = h.expectError(thief, restoreBody(code, 'A'.repeat(22), ids[1]!, ids), 'SIG_RESTORE_REJECTED');
      expect(err.message).to.equal(`lobby ${code} exists with another key`);
      expect(h.core.memberCount).to.equal(1);
    });

    it('refuses an id a connected member holds, even with the key', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      h.request(restoreClient(h), restoreBody(code, key, ids[0]!, ids));
      const twin = restoreClient(h);
      const err = h.expectError(twin, restoreBody(code, key, ids[0]!, ids), 'SIG_RESTORE_REJECTED');
      expect(err.message).to.equal(`peer id ${ids[0]} is held by a connected member of lobby ${code}`);
    });

    it('refuses a restore of a lobby created afresh by a newcomer (it has another key)', () => {
      const { ids, code, key } = oldMesh();
      const h = restarted();
      const newcomer = restoreClient(h);
      h.request(newcomer, { type: 'lobby.join', lobby: code, createIfMissing: true });
      h.expectError(restoreClient(h), restoreBody(code, key, ids[1]!, ids), 'SIG_RESTORE_REJECTED');
    });

    it('answers malformed restores with SIG_BAD_MESSAGE naming the field', () => {
      const h = new CoreHarness();
      const c = restoreClient(h);
      expect(h.expectError(c, { type: 'lobby.restore', lobby: 'x', key: 'k', you: 0, members: [], linked: [] }, 'SIG_BAD_MESSAGE').message).to.match(/you/);
      expect(h.expectError(c, { type: 'lobby.restore', lobby: 'x', key: 'k', you: 2, members: ['1'], linked: [] }, 'SIG_BAD_MESSAGE').message).to.match(/members/);
      expect(h.expectError(c, { type: 'lobby.restore', lobby: 'x', you: 2, members: [], linked: [] }, 'SIG_BAD_MESSAGE').message).to.match(/key/);
      expect(h.expectError(c, { type: 'lobby.restore', lobby: 'Not A Code!', key: 'k', you: 2, members: [], linked: [] }, 'SIG_BAD_MESSAGE').message).to.match(/lobby/);
      expect(h.core.lobbyCount).to.equal(0);
    });
  });

  describe('#restore on the same instance', () => {
    it('takes over an away member (token lost) as a resume would: the others see peer.back, never peer.left', () => {
      const h = new CoreHarness();
      const a = restoreClient(h);
      const ja = joined(h.request(a, { type: 'lobby.create', name: 'same' }));
      const b = restoreClient(h);
      const jb = joined(h.request(b, { type: 'lobby.join', lobby: 'same' }));
      h.take(a);
      h.drop(b);
      const b2 = restoreClient(h);
      const r = joined(h.request(b2, restoreBody('same', ja.key!, jb.you, [1, jb.you])));
      expect(r.you).to.equal(jb.you);
      const seen = h.take(a).map((m) => m.type);
      expect(seen).to.include('peer.back');
      expect(seen).to.not.include('peer.left');
      const view: LobbyView = r.lobby;
      expect(view.members.every((m) => !m.away)).to.equal(true);
    });
  });

  describe('#fixed lobby keys (lobbyKeyOf: LAN mode)', () => {
    const keyOf = (code: string): string => `k-${code}-0123456789`;

    it('the key is the function of the code, the creator draws its id and owns the lobby', () => {
      const h = new CoreHarness({ lobbyKeyOf: keyOf });
      const a = restoreClient(h);
      const ja = joined(h.request(a, { type: 'lobby.create', name: 'party', maxPeers: 8 }));
      expect(ja.key).to.equal('k-party-0123456789');
      expect(ja.you).to.be.above(1);
      expect(ja.lobby.owner).to.equal(ja.you);
      const b = restoreClient(h);
      const jb = joined(h.request(b, { type: 'lobby.join', lobby: 'party' }));
      expect(jb.key).to.equal(ja.key);
      expect(jb.you).to.not.equal(ja.you);
    });

    it('two services that founded the same lobby: the members of one restore into the other under their ids', () => {
      const [h1, h2] = [new CoreHarness({ lobbyKeyOf: keyOf }, 0x1111), new CoreHarness({ lobbyKeyOf: keyOf }, 0x2222)];
      const a = restoreClient(h1);
      const ja = joined(h1.request(a, { type: 'lobby.create', name: 'party', maxPeers: 8 }));
      const b = restoreClient(h2);
      const jb = joined(h2.request(b, { type: 'lobby.create', name: 'party', maxPeers: 8 }));
      const c = restoreClient(h2);
      const jc = joined(h2.request(c, { type: 'lobby.join', lobby: 'party' }));
      expect(new Set([ja.you, jb.you, jc.you]).size).to.equal(3);
      // h2's lobby hands over to h1's: its members restore there with the key they hold.
      const ids = [jb.you, jc.you];
      const [b1, c1] = [restoreClient(h1), restoreClient(h1)];
      const rb = joined(h1.request(b1, restoreBody('party', jb.key!, jb.you, ids)));
      expect(rb.you).to.equal(jb.you);
      const rc = joined(h1.request(c1, restoreBody('party', jc.key!, jc.you, ids)));
      expect(rc.you).to.equal(jc.you);
      expect(rc.lobby.members.map((m) => m.id).sort((x, y) => x - y)).to.deep.equal([ja.you, jb.you, jc.you].sort((x, y) => x - y));
      // The first member hears both; the merged pair stays linked, each is paired with the first.
      expect(h1.takeType(a, 'peer.joined').map((p) => p.peer.id)).to.deep.equal([jb.you, jc.you]);
    });

    it('a restore with another key is still refused', () => {
      const h = new CoreHarness({ lobbyKeyOf: keyOf });
      const a = restoreClient(h);
      const ja = joined(h.request(a, { type: 'lobby.create', name: 'party', maxPeers: 8 }));
      const b = restoreClient(h);
      const r = h.request(b, restoreBody('party', 'another-key-0000000000', ja.you + 1, [ja.you + 1]));
      expect(r).to.include({ type: 'error', code: 'SIG_RESTORE_REJECTED' });
    });
  });
});
