// Conformance of the core: lobby create / join / seal / password / full / leave / ownership.
import { expect } from 'chai';
import { CloseCode } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

describe('SignalingCore lobbies', () => {
  describe('lobby.create', () => {
    it('creates a lobby with a XXXX-XXXX code and makes the creator peer 1 and owner', () => {
      const h = new CoreHarness();
      const c = h.client('alice');
      const r = h.create(c);
      expect(r.you).to.equal(1);
      expect(r.token).to.match(/^[A-Za-z0-9_-]{24}$/);
      expect(r.lobby.code).to.match(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(r.lobby).to.deep.include({ mode: 'mesh', maxPeers: 16, sealed: false, owner: 1, hasPassword: false, links: [] });
      expect(r.lobby.members).to.deep.equal([{ id: 1, name: 'alice', away: false }]);
      expect(h.core.lobbyCount).to.equal(1);
    });

    it('creates a lobby under a requested name, and refuses the name while it is taken', () => {
      const h = new CoreHarness();
      const a = h.client();
      expect(h.create(a, { name: 'lan-party', mode: 'server', maxPeers: 4 }).lobby).to.deep.include({ code: 'lan-party', mode: 'server', maxPeers: 4 });
      const b = h.client();
      const err = h.expectError(b, { type: 'lobby.create', name: 'lan-party' }, 'SIG_LOBBY_EXISTS');
      expect(err.message).to.equal('a lobby named lan-party already exists');
    });

    it('refuses names that are not lower-case a-z 0-9 . _ -', () => {
      const h = new CoreHarness();
      const a = h.client();
      for (const name of ['Upper', '-lead', 'sp ace', 'ABCD-EFGH']) {
        const err = h.expectError(a, { type: 'lobby.create', name }, 'SIG_BAD_MESSAGE');
        expect(err.details).to.deep.equal({ field: 'name' });
      }
    });

    it('refuses maxPeers above maxPeersCap', () => {
      const h = new CoreHarness({ maxPeersCap: 8, defaultMaxPeers: 4 });
      const err = h.expectError(h.client(), { type: 'lobby.create', maxPeers: 9 }, 'SIG_BAD_MESSAGE');
      expect(err.message).to.equal('maxPeers must be 2..8, got 9');
    });

    it('refuses a second lobby on one connection with SIG_ALREADY_IN_LOBBY', () => {
      const h = new CoreHarness();
      const a = h.client();
      h.create(a, { name: 'one' });
      const err = h.expectError(a, { type: 'lobby.create' }, 'SIG_ALREADY_IN_LOBBY');
      expect(err.message).to.equal('already in lobby one; leave it first');
    });

    it('refuses lobbies past maxLobbies with SIG_TOO_MANY_LOBBIES', () => {
      const h = new CoreHarness({ maxLobbies: 2 });
      h.create(h.client());
      h.create(h.client());
      const err = h.expectError(h.client(), { type: 'lobby.create' }, 'SIG_TOO_MANY_LOBBIES');
      expect(err.message).to.equal('the service is at its limit of 2 lobbies');
    });
  });

  describe('lobby.join', () => {
    it('admits a joiner with a fresh id in 2..2³¹−1, the member list, and tells the others', () => {
      const h = new CoreHarness();
      const a = h.client('alice');
      const { lobby } = h.create(a);
      const b = h.client('bob');
      const r = h.join(b, lobby.code);
      expect(r.you).to.be.within(2, 0x7fffffff);
      expect(r.lobby.members).to.deep.equal([{ id: 1, name: 'alice', away: false }, { id: r.you, name: 'bob', away: false }]);
      expect(h.takeType(a, 'peer.joined')).to.deep.equal([{ type: 'peer.joined', peer: { id: r.you, name: 'bob', away: false } }]);
    });

    it('accepts a code typed in lower case, without the hyphen, with O for 0 and I/L for 1', () => {
      const h = new CoreHarness();
      h.prng.fill(new Uint8Array(0));
      const a = h.client();
      const { lobby } = h.create(a);
      const typed = lobby.code.replace('-', '').toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l');
      expect(h.join(h.client(), typed).lobby.code).to.equal(lobby.code);
    });

    it('answers SIG_LOBBY_NOT_FOUND for an unknown lobby', () => {
      const h = new CoreHarness();
      const err = h.expectError(h.client(), { type: 'lobby.join', lobby: 'ZZZZ-ZZZZ' }, 'SIG_LOBBY_NOT_FOUND');
      expect(err.message).to.equal('no lobby has that code or name');
    });

    it('checks the password: missing and wrong are refused, right is admitted', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a, { password: 'hunter2' });
      expect(lobby.hasPassword).to.equal(true);
      const b = h.client();
      expect(h.expectError(b, { type: 'lobby.join', lobby: lobby.code }, 'SIG_BAD_PASSWORD').message).to.equal(`lobby ${lobby.code} needs a password`);
      expect(h.expectError(b, { type: 'lobby.join', lobby: lobby.code, password: 'hunter3' }, 'SIG_BAD_PASSWORD').message).to.equal('wrong password');
      expect(h.join(b, lobby.code, 'hunter2').you).to.be.greaterThan(1);
    });

    it('refuses joins past maxPeers with SIG_LOBBY_FULL', () => {
      const h = new CoreHarness();
      const { lobby } = h.create(h.client(), { maxPeers: 2 });
      h.join(h.client(), lobby.code);
      const err = h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code }, 'SIG_LOBBY_FULL');
      expect(err.message).to.equal(`lobby ${lobby.code} is full (2 peers)`);
    });

    it('refuses joins once the lobby used maxIdsPerLobby ids with SIG_LOBBY_EXHAUSTED', () => {
      const h = new CoreHarness({ maxIdsPerLobby: 3 });
      const { lobby } = h.create(h.client());
      for (let i = 0; i < 2; i++) {
        const c = h.client();
        h.join(c, lobby.code);
        h.request(c, { type: 'lobby.leave' });
      }
      h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code }, 'SIG_LOBBY_EXHAUSTED');
    });
  });

  describe('lobby.seal', () => {
    it('lets the owner seal: others are told, new joins get SIG_LOBBY_SEALED', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a);
      const b = h.client();
      h.join(b, lobby.code);
      h.take(b);
      expect(h.request(a, { type: 'lobby.seal' }).type).to.equal('ok');
      expect(h.take(b)).to.deep.equal([{ type: 'lobby.sealed' }]);
      expect(h.request(a, { type: 'lobby.seal' }).type).to.equal('ok');
      h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code }, 'SIG_LOBBY_SEALED');
    });

    it('refuses seal from a non-owner (SIG_NOT_OWNER) and outside a lobby (SIG_NOT_IN_LOBBY)', () => {
      const h = new CoreHarness();
      const { lobby } = h.create(h.client());
      const b = h.client();
      h.join(b, lobby.code);
      expect(h.expectError(b, { type: 'lobby.seal' }, 'SIG_NOT_OWNER').message).to.equal('only the owner (peer 1) may seal the lobby');
      h.expectError(h.client(), { type: 'lobby.seal' }, 'SIG_NOT_IN_LOBBY');
      h.expectError(h.client(), { type: 'lobby.get' }, 'SIG_NOT_IN_LOBBY');
    });
  });

  describe('lobby.leave and ownership', () => {
    it('passes ownership to the lowest remaining id when the owner leaves; the lobby survives', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a);
      const members = [h.client(), h.client(), h.client()].map((c) => ({ c, id: h.join(c, lobby.code).you }));
      const lowest = Math.min(...members.map((m) => m.id));
      for (const m of members) h.take(m.c);
      expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
      for (const m of members) {
        expect(h.take(m.c)).to.deep.equal([{ type: 'peer.left', id: 1, reason: 'left' }, { type: 'lobby.owner', owner: lowest }]);
      }
      const owner = members.find((m) => m.id === lowest)!;
      expect(h.request(owner.c, { type: 'lobby.seal' }).type).to.equal('ok');
      expect(h.core.lobbyCount).to.equal(1);
    });

    it('removes the lobby when its last member leaves', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a);
      const b = h.client();
      h.join(b, lobby.code);
      h.request(a, { type: 'lobby.leave' });
      h.request(b, { type: 'lobby.leave' });
      expect(h.core.lobbyCount).to.equal(0);
      expect(h.core.memberCount).to.equal(0);
      h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code }, 'SIG_LOBBY_NOT_FOUND');
    });

    it('answers ok to leave when in no lobby (idempotent)', () => {
      const h = new CoreHarness();
      const a = h.client();
      expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
      h.create(a);
      expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
      expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
    });

    it('treats a client close with 1000 as leaving at once', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a);
      const b = h.client();
      const { you } = h.join(b, lobby.code);
      h.take(a);
      h.drop(b, CloseCode.Normal);
      expect(h.take(a)).to.deep.equal([{ type: 'peer.left', id: you, reason: 'left' }]);
    });

    it('never reuses an id inside a lobby', () => {
      const h = new CoreHarness({ maxIdsPerLobby: 500 });
      const { lobby } = h.create(h.client());
      const seen = new Set<number>();
      for (let i = 0; i < 400; i++) {
        const c = h.client();
        const { you } = h.join(c, lobby.code);
        expect(seen.has(you)).to.equal(false);
        seen.add(you);
        h.drop(c, CloseCode.Normal);
      }
    });

    it('leaks no lobby when a client creates one, joins another and leaves, 1 000 times (docs/benchmarks.md failure mode)', () => {
      const h = new CoreHarness({ maxLobbies: 10 });
      const host = h.client();
      const { lobby } = h.create(host, { name: 'stay' });
      for (let i = 0; i < 1000; i++) {
        const c = h.client();
        h.create(c);
        h.request(c, { type: 'lobby.leave' });
        h.join(c, lobby.code);
        h.drop(c, CloseCode.Normal);
      }
      expect(h.core.lobbyCount).to.equal(1);
      expect(h.core.memberCount).to.equal(1);
      expect(h.core.connectionCount).to.equal(1);
    });
  });
});
