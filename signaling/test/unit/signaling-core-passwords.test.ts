// Password checks off the core (issue #13 item 1): the core asks for each hash as a `hash`
// output and finishes the request when handleHashed brings it back; bounded concurrency and
// queue, one check per connection, per-address and per-lobby budgets of wrong passwords.
import { expect } from 'chai';
import type { ServerMessage } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

type ErrorMsg = Extract<ServerMessage, { type: 'error' }>;

function lobbyWithPassword(h: CoreHarness, password = 'right'): string {
  return h.create(h.client(undefined, '192.0.2.1'), { password }).lobby.code;
}

function answers(h: CoreHarness, conn: number): ServerMessage[] {
  return h.take(conn).filter((m) => m.type === 'error' || m.type === 'lobby.joined');
}

describe('SignalingCore password checks', () => {
  describe('#handleHashed', () => {
    it('answers a join only once its hash is back: the core computes no hash itself', () => {
      const h = new CoreHarness();
      const code = lobbyWithPassword(h);
      h.holdHashes = true;
      const c = h.client();
      h.send(c, { type: 'lobby.join', rid: 7, lobby: code, password: 'wrong' });
      expect(answers(h, c)).to.deep.equal([]);
      expect(h.pendingHashes.map((j) => j.secret)).to.deep.equal(['wrong']);
      h.finishHashes();
      const [err] = answers(h, c) as ErrorMsg[];
      expect(err).to.deep.include({ rid: 7, code: 'SIG_BAD_PASSWORD', message: 'wrong password' });
      h.send(c, { type: 'lobby.join', rid: 8, lobby: code, password: 'right' });
      h.finishHashes();
      expect(answers(h, c).map((m) => m.type)).to.deep.equal(['lobby.joined']);
    });

    it('makes a passworded lobby once its hash is back, and a createIfMissing join that lost the race joins it', () => {
      const h = new CoreHarness();
      h.holdHashes = true;
      const a = h.client();
      const b = h.client();
      h.send(a, { type: 'lobby.join', rid: 1, lobby: 'party', password: 'pw', createIfMissing: true });
      h.send(b, { type: 'lobby.join', rid: 1, lobby: 'party', password: 'pw', createIfMissing: true });
      expect(h.core.lobbyCount).to.equal(0);
      h.finishHashes(1);
      expect((answers(h, a)[0] as { you: number }).you).to.equal(1);
      // b's hash was made with a salt of its own for a lobby to create; the name is taken now,
      // so b joins instead (one more hash, against the lobby's salt).
      h.holdHashes = false;
      h.finishHashes();
      const [jb] = answers(h, b);
      expect(jb!.type).to.equal('lobby.joined');
      expect((jb as { you: number }).you).to.not.equal(1);
      expect(h.core.lobbyCount).to.equal(1);
    });

    it('frees the slot of a connection that closed while its check ran, and ignores spurious results', () => {
      const h = new CoreHarness({ passwordChecksInFlight: 1 });
      const code = lobbyWithPassword(h);
      h.holdHashes = true;
      const a = h.client(undefined, '10.0.0.1');
      const b = h.client(undefined, '10.0.0.2');
      h.send(a, { type: 'lobby.join', rid: 1, lobby: code, password: 'x' });
      h.send(b, { type: 'lobby.join', rid: 1, lobby: code, password: 'right' });
      expect(h.pendingHashes).to.have.length(1);
      h.drop(a);
      h.core.handleHashed(h.now, 999_999, new Uint8Array(32));
      h.holdHashes = false;
      h.finishHashes();
      expect(answers(h, b).map((m) => m.type)).to.deep.equal(['lobby.joined']);
    });
  });

  describe('#handleMessage lobby.join with a password', () => {
    it('runs at most passwordChecksInFlight hashes, queues passwordQueueLength more, and refuses the rest with SIG_BUSY', () => {
      const h = new CoreHarness({ passwordChecksInFlight: 2, passwordQueueLength: 3 });
      const code = lobbyWithPassword(h);
      h.holdHashes = true;
      const conns = Array.from({ length: 6 }, (_, i) => h.client(undefined, `10.0.1.${i + 1}`));
      for (const c of conns) h.send(c, { type: 'lobby.join', rid: 1, lobby: code, password: 'wrong' });
      expect(h.pendingHashes).to.have.length(2);
      const busy = answers(h, conns[5]!) as ErrorMsg[];
      expect(busy.map((e) => [e.code, e.message])).to.deep.equal([['SIG_BUSY', 'the service has 3 password checks waiting']]);
      // Each finished hash starts the next waiting one.
      h.finishHashes(1);
      expect(h.pendingHashes).to.have.length(2);
      h.holdHashes = false;
      h.finishHashes();
      // 5 joins + the creator's own lobby.create.
      expect(h.hashesAsked).to.equal(6);
      for (const c of conns.slice(0, 5)) expect((answers(h, c) as ErrorMsg[]).map((e) => e.code)).to.deep.equal(['SIG_BAD_PASSWORD']);
    });

    it('allows one check per connection and passwordChecksPerIp per address', () => {
      const h = new CoreHarness({ passwordChecksPerIp: 2 });
      const code = lobbyWithPassword(h);
      h.holdHashes = true;
      const [a, b, c] = [h.client(), h.client(), h.client()];
      h.send(a!, { type: 'lobby.join', rid: 1, lobby: code, password: 'w' });
      for (let i = 2; i < 102; i++) h.send(a!, { type: 'lobby.join', rid: i, lobby: code, password: 'w' });
      const refused = answers(h, a!) as ErrorMsg[];
      expect(refused).to.have.length(100);
      expect(new Set(refused.map((e) => `${e.code}: ${e.message}`))).to.deep.equal(new Set(['SIG_BUSY: a password check of this connection is still running']));
      h.send(b!, { type: 'lobby.join', rid: 1, lobby: code, password: 'w' });
      h.send(c!, { type: 'lobby.join', rid: 1, lobby: code, password: 'w' });
      expect((answers(h, c!) as ErrorMsg[]).map((e) => e.message)).to.deep.equal(['this address already has 2 password checks running or waiting']);
      expect(h.pendingHashes).to.have.length(2);
    });

    it('refuses an address past its burst of wrong passwords with SIG_TOO_MANY_ATTEMPTS and retryMs, asking no hash, until it refills', () => {
      const h = new CoreHarness({ passwordFailureBurstPerIp: 3, passwordFailuresPerMinutePerIp: 6 });
      const code = lobbyWithPassword(h);
      const c = h.client(undefined, '10.0.2.1');
      for (let i = 0; i < 3; i++) h.expectError(c, { type: 'lobby.join', lobby: code, password: `g${i}` }, 'SIG_BAD_PASSWORD');
      const asked = h.hashesAsked;
      const err = h.expectError(c, { type: 'lobby.join', lobby: code, password: 'right' }, 'SIG_TOO_MANY_ATTEMPTS');
      expect(err.message).to.equal('more than 6 wrong passwords per minute from this address');
      expect(err.details).to.deep.equal({ retryMs: 10_000 });
      expect(h.hashesAsked).to.equal(asked);
      // Another address is not affected; this one may try again after retryMs.
      h.join(h.client(undefined, '10.0.2.2'), code, 'right');
      h.advance(10_000);
      h.join(c, code, 'right');
    });

    it('refuses a lobby past its burst of wrong passwords from many addresses, and only that lobby', () => {
      const h = new CoreHarness({ passwordFailureBurstPerLobby: 5, passwordFailuresPerMinutePerLobby: 1 });
      const code = lobbyWithPassword(h);
      const other = h.create(h.client(undefined, '192.0.2.2'), { password: 'other' }).lobby.code;
      for (let i = 0; i < 5; i++) h.expectError(h.client(undefined, `10.0.3.${i + 1}`), { type: 'lobby.join', lobby: code, password: 'no' }, 'SIG_BAD_PASSWORD');
      const err = h.expectError(h.client(undefined, '10.0.3.99'), { type: 'lobby.join', lobby: code, password: 'right' }, 'SIG_TOO_MANY_ATTEMPTS');
      expect(err.message).to.equal(`lobby ${code} had more than 1 wrong passwords per minute`);
      expect(err.details).to.deep.equal({ retryMs: 60_000 });
      h.join(h.client(undefined, '10.0.3.98'), other, 'other');
    });

    it('serves waiting checks fairly between addresses, and refuses without a hash those whose address spent its budget while waiting', () => {
      const h = new CoreHarness({ passwordChecksInFlight: 1, passwordFailureBurstPerIp: 1 });
      const code = lobbyWithPassword(h);
      h.holdHashes = true;
      const flood = [1, 2, 3, 4].map(() => h.client(undefined, '10.0.4.1'));
      for (const c of flood) h.send(c, { type: 'lobby.join', rid: 1, lobby: code, password: 'nope' });
      const honest = h.client(undefined, '10.0.4.2');
      h.send(honest, { type: 'lobby.join', rid: 1, lobby: code, password: 'right' });
      expect(h.pendingHashes.map((j) => j.secret)).to.deep.equal(['nope']);
      // The flood's first check fails: the honest check (another address) runs next, ahead of
      // the flood's backlog; that backlog is then refused without hashing.
      h.finishHashes(1);
      expect(h.pendingHashes.map((j) => j.secret)).to.deep.equal(['right']);
      expect((answers(h, flood[0]!) as ErrorMsg[]).map((e) => e.code)).to.deep.equal(['SIG_BAD_PASSWORD']);
      h.finishHashes();
      expect(answers(h, honest).map((m) => m.type)).to.deep.equal(['lobby.joined']);
      for (const c of flood.slice(1)) expect((answers(h, c) as ErrorMsg[]).map((e) => e.code)).to.deep.equal(['SIG_TOO_MANY_ATTEMPTS']);
      expect(h.pendingHashes).to.deep.equal([]);
      expect(h.hashesAsked).to.equal(3);
    });

    it('refuses a full lobby before hashing', () => {
      const h = new CoreHarness();
      const code = h.create(h.client(), { password: 'pw', maxPeers: 2 }).lobby.code;
      h.join(h.client(), code, 'pw');
      const asked = h.hashesAsked;
      h.expectError(h.client(), { type: 'lobby.join', lobby: code, password: 'pw' }, 'SIG_LOBBY_FULL');
      expect(h.hashesAsked).to.equal(asked);
    });
  });
});
