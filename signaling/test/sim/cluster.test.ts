// The cluster logic (ClusterNode over the in-memory store and bus) under bus delay, loss of a
// node and lease expiry, in virtual time with seeds (issue 14).
import { expect } from 'chai';
import type { LobbyJoinedMessage, ResumeOkMessage, ServerMessage } from '@meshpunch/protocol';
import { seedFromEnv } from '@meshpunch/sim';
import { ClusterHarness } from '../support/cluster-harness.js';
import type { SimClient } from '../support/cluster-harness.js';

const SEEDS = [seedFromEnv(14_001), 14_002, 14_003];

function joined(m: ServerMessage): LobbyJoinedMessage {
  expect(m.type, JSON.stringify(m)).to.equal('lobby.joined');
  return m as LobbyJoinedMessage;
}

/** Pair starts `c` has received so far, by remote id (removed from its inbox). */
function pairStarts(c: SimClient): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of c.inbox.splice(0)) if (m.type === 'pair.start') out.set(m.remote, m.pair);
  return out;
}

for (const seed of SEEDS) {
  describe(`cluster sim (seed ${seed})`, () => {
    it('a lobby spread over 3 nodes with bus delay: unique ids, pairs and candidates across nodes', async () => {
      const h = new ClusterHarness(seed);
      h.maxDelayMs = 20;
      const [a, b, c] = [await h.addNode('a'), await h.addNode('b'), await h.addNode('c')];
      const owner = await h.connect(a);
      const created = joined(await h.request(owner, { type: 'lobby.create', name: 'spread' }));
      const members: SimClient[] = [owner];
      const ids = new Set([created.you]);
      for (const n of [b, c, a, b, c]) {
        const cl = await h.connect(n);
        const j = joined(await h.request(cl, { type: 'lobby.join', lobby: 'spread' }));
        expect(ids.has(j.you)).to.equal(false);
        ids.add(j.you);
        members.push(cl);
      }
      expect(a.core.lobbyCount + b.core.lobbyCount + c.core.lobbyCount).to.equal(1);
      await h.advance(200);
      // Everyone got a pair.start with each of the 5 others.
      const starts = members.map((m) => pairStarts(m));
      for (const s of starts) expect(s.size).to.equal(5);
      // A candidate from a member on b reaches its pair partner on c through the home.
      const from = members[1]!;
      const to = members[2]!;
      const pair = starts[1]!.get([...ids][2]!)!;
      const ok = await h.request(from, { type: 'pair.candidates', pair, candidates: [{ kind: 'host', family: 4, address: '198.51.100.7', port: 4000 }], done: true });
      expect(ok.type, JSON.stringify(ok)).to.equal('ok');
      const got = await h.waitFor(to, (m) => m.type === 'pair.candidates');
      expect(got.type === 'pair.candidates' && got.candidates[0]!.address).to.equal('198.51.100.7');
    });

    it('a join reaching the lobby\'s home node goes to its core with no claim, and is answered once its record is written; on another node it is routed', async () => {
      const h = new ClusterHarness(seed);
      const [a, b] = [await h.addNode('a'), await h.addNode('b')];
      const owner = await h.connect(a);
      joined(await h.request(owner, { type: 'lobby.create', name: 'home' }));
      await h.advance(20);
      owner.inbox.length = 0;
      const here = await h.connect(a);
      h.storeDelayMs = 30;
      const calls = h.storeCalls.get('a') ?? 0;
      h.send(here, { type: 'lobby.join', lobby: 'home', rid: 5 });
      // One store call (the record write), none before the core admits the member, and no
      // answer (nor peer.joined to the others) until that write is acknowledged.
      expect(h.storeCalls.get('a')).to.equal(calls + 1);
      await h.advance(20);
      expect(here.inbox.some((m) => m.type === 'lobby.joined')).to.equal(false);
      expect(owner.inbox.some((m) => m.type === 'peer.joined')).to.equal(false);
      expect(a.cluster.heldOutputs).to.be.greaterThan(0);
      const j = joined(await h.waitFor(here, (m) => m.type === 'lobby.joined'));
      // When the member learns its token, a takeover would find it.
      expect(h.store.get(h.store.tokens, j.token)).to.equal('home');
      expect((JSON.parse(h.store.get(h.store.records, 'home')!) as { members: Array<{ id: number }> }).members.map((m) => m.id)).to.include(j.you);
      await h.waitFor(owner, (m) => m.type === 'peer.joined');
      const there = await h.connect(b);
      h.send(there, { type: 'lobby.join', lobby: 'home', rid: 5 });
      expect(there.inbox.some((m) => m.type === 'lobby.joined')).to.equal(false);
      joined(await h.waitFor(there, (m) => m.type === 'lobby.joined'));
      expect(a.core.lobbyCount + b.core.lobbyCount).to.equal(1);
      expect(a.cluster.heldOutputs).to.equal(0);
    });

    it('kill -9 of the home while a join\'s record write is in flight: nobody learnt of the member, the takeover\'s lobby is what everyone saw', async () => {
      const h = new ClusterHarness(seed);
      const [a, b] = [await h.addNode('a'), await h.addNode('b')];
      const owner = await h.connect(a);
      const j0 = joined(await h.request(owner, { type: 'lobby.create', name: 'inflight' }));
      await h.advance(20);
      owner.inbox.length = 0;
      const late = await h.connect(a);
      h.storeDelayMs = 50;
      h.send(late, { type: 'lobby.join', lobby: 'inflight', rid: 9 });
      await h.advance(20);
      h.kill(a);
      h.storeDelayMs = 0;
      expect(late.inbox.some((m) => m.type === 'lobby.joined')).to.equal(false);
      expect(owner.inbox.some((m) => m.type === 'peer.joined')).to.equal(false);
      await h.advance(h.leaseMs + 100);
      const r = await h.resume(b, j0.token);
      expect(r.answer.type, JSON.stringify(r.answer)).to.equal('resume.ok');
      expect((r.answer as ResumeOkMessage).lobby.members.map((m) => m.id)).to.deep.equal([j0.you]);
      // The member that was never told joins again and gets an id nobody holds.
      const again = await h.connect(b);
      const j1 = joined(await h.request(again, { type: 'lobby.join', lobby: 'inflight' }));
      expect(j1.you).to.not.equal(j0.you);
    });

    it('a resume on the node that holds the token\'s lobby makes no token lookup (one store call: the record write)', async () => {
      const h = new ClusterHarness(seed);
      const [a] = [await h.addNode('a'), await h.addNode('b')];
      const owner = await h.connect(a);
      const j0 = joined(await h.request(owner, { type: 'lobby.create', name: 'local-resume' }));
      const member = await h.connect(a);
      const j1 = joined(await h.request(member, { type: 'lobby.join', lobby: 'local-resume' }));
      await h.advance(20);
      const again = await h.connect(a);
      const calls = h.storeCalls.get('a') ?? 0;
      const ans = await h.request(again, { type: 'resume', token: j1.token, linked: [] });
      expect(ans.type, JSON.stringify(ans)).to.equal('resume.ok');
      expect((ans as ResumeOkMessage).you).to.equal(j1.you);
      expect(h.storeCalls.get('a')! - calls).to.equal(1);
      // The new token is the one the store knows.
      expect(h.store.get(h.store.tokens, (ans as ResumeOkMessage).token)).to.equal('local-resume');
      expect(h.store.get(h.store.tokens, j1.token)).to.equal(undefined);
      expect(j0.you).to.not.equal(j1.you);
    });

    it('60 creators of one name on 3 nodes: exactly one creates it', async () => {
      const h = new ClusterHarness(seed);
      h.maxDelayMs = 10;
      const nodes = [await h.addNode('a'), await h.addNode('b'), await h.addNode('c')];
      const clients: SimClient[] = [];
      for (let i = 0; i < 60; i++) clients.push(await h.connect(nodes[i % 3]!));
      for (const cl of clients) h.send(cl, { type: 'lobby.create', name: 'race', rid: 7 });
      await h.advance(300);
      let created = 0;
      let exists = 0;
      for (const cl of clients) {
        const ans = cl.inbox.find((m) => 'rid' in m && m.rid === 7);
        if (ans?.type === 'lobby.joined') created++;
        else if (ans?.type === 'error' && ans.code === 'SIG_LOBBY_EXISTS') exists++;
      }
      expect(created).to.equal(1);
      expect(exists).to.equal(clients.length - 1);
    });

    it('kill -9 of the home node: takeover within 2 × lease, everyone resumes, a newcomer pairs with all', async () => {
      const h = new ClusterHarness(seed);
      h.maxDelayMs = 15;
      const [a, b, c] = [await h.addNode('a'), await h.addNode('b'), await h.addNode('c')];
      const owner = await h.connect(a);
      const j0 = joined(await h.request(owner, { type: 'lobby.create', name: 'kill' }));
      const others: Array<{ client: SimClient; j: LobbyJoinedMessage }> = [];
      for (const n of [b, c, b]) {
        const cl = await h.connect(n);
        others.push({ client: cl, j: joined(await h.request(cl, { type: 'lobby.join', lobby: 'kill' })) });
      }
      await h.advance(100);
      const killedAt = h.now;
      h.kill(a);
      // The gateways notice the home's lease ran out and drop their relayed clients.
      for (const o of others) {
        for (let i = 0; i < 2000 && o.client.closed === undefined; i++) await h.advance(5);
        expect(o.client.closed?.code).to.equal(1001);
      }
      expect(h.now - killedAt).to.be.at.most(2 * h.leaseMs);
      const back: SimClient[] = [];
      for (const [i, o] of others.entries()) {
        const r = await h.resume(i % 2 === 0 ? c : b, o.j.token);
        expect(r.answer.type, JSON.stringify(r.answer)).to.equal('resume.ok');
        expect((r.answer as ResumeOkMessage).you).to.equal(o.j.you);
        back.push(r.client);
      }
      const r0 = await h.resume(b, j0.token);
      expect(r0.answer.type).to.equal('resume.ok');
      expect(b.cluster.metrics.takeovers + c.cluster.metrics.takeovers).to.equal(1);
      const view = (r0.answer as ResumeOkMessage).lobby;
      expect(view.members.map((m) => m.id).sort()).to.deep.equal([j0.you, ...others.map((o) => o.j.you)].sort());
      const newcomer = await h.connect(c);
      const jn = joined(await h.request(newcomer, { type: 'lobby.join', lobby: 'kill' }));
      expect([j0.you, ...others.map((o) => o.j.you)]).to.not.include(jn.you);
      await h.advance(200);
      expect(pairStarts(newcomer).size).to.equal(4);
    });

    it('a home whose ticks stall past its lease (no store error) lets the lobby go at its next tick once another node took it over', async () => {
      const h = new ClusterHarness(seed);
      const [a, b] = [await h.addNode('a'), await h.addNode('b')];
      const owner = await h.connect(a);
      const j0 = joined(await h.request(owner, { type: 'lobby.create', name: 'stall' }));
      // a's event loop stalls: no lease renewal, but no store call fails either.
      a.nextTickAt = Number.POSITIVE_INFINITY;
      await h.advance(h.leaseMs + 100);
      expect(a.cluster.healthy).to.equal(true);
      const r = await h.resume(b, j0.token);
      expect(r.answer.type).to.equal('resume.ok');
      expect(b.core.hasLobby('stall')).to.equal(true);
      expect(a.core.hasLobby('stall')).to.equal(true);
      // a runs again: its first tick finds b home of the lobby and lets its copy go, with no write to it.
      a.nextTickAt = h.now;
      await h.advance(h.leaseMs);
      expect(a.core.hasLobby('stall')).to.equal(false);
      expect(a.cluster.metrics.lobbiesLost).to.equal(1);
      expect(owner.closed?.code).to.equal(1001);
      expect(b.core.hasLobby('stall')).to.equal(true);
    });

    it('a home cut off from the store past its lease loses the lobby to the node that took it over', async () => {
      const h = new ClusterHarness(seed);
      const [a, b] = [await h.addNode('a'), await h.addNode('b')];
      const owner = await h.connect(a);
      const j0 = joined(await h.request(owner, { type: 'lobby.create', name: 'cut' }));
      h.store.unreachable.add('a');
      await h.advance(h.leaseMs + 100);
      expect(a.cluster.healthy).to.equal(false);
      // While cut off, a refuses new lobbies with SIG_UNAVAILABLE.
      const late = await h.connect(a);
      const refused = await h.request(late, { type: 'lobby.create', name: 'other' });
      expect(refused.type === 'error' && refused.code).to.equal('SIG_UNAVAILABLE');
      // The owner's client gives up on a and resumes on b: b takes the lobby over.
      const r = await h.resume(b, j0.token);
      expect(r.answer.type).to.equal('resume.ok');
      h.store.unreachable.delete('a');
      await h.advance(h.leaseMs);
      expect(a.cluster.healthy).to.equal(true);
      expect(a.core.hasLobby('cut')).to.equal(false);
      expect(a.cluster.metrics.lobbiesLost).to.equal(1);
      expect(owner.closed?.code).to.equal(1001);
      expect(b.core.hasLobby('cut')).to.equal(true);
    });
  });
}
