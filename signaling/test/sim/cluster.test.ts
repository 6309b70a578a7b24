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

    it('a join reaching the lobby\'s home node is answered by its core at once (no store round trip); on another node it is routed', async () => {
      const h = new ClusterHarness(seed);
      const [a, b] = [await h.addNode('a'), await h.addNode('b')];
      const owner = await h.connect(a);
      joined(await h.request(owner, { type: 'lobby.create', name: 'home' }));
      const here = await h.connect(a);
      // Every store operation resolves a microtask later at the earliest: an answer already in
      // the inbox when send() returns went straight to the core.
      h.send(here, { type: 'lobby.join', lobby: 'home', rid: 5 });
      expect(here.inbox.some((m) => m.type === 'lobby.joined')).to.equal(true);
      const there = await h.connect(b);
      h.send(there, { type: 'lobby.join', lobby: 'home', rid: 5 });
      expect(there.inbox.some((m) => m.type === 'lobby.joined')).to.equal(false);
      joined(await h.waitFor(there, (m) => m.type === 'lobby.joined'));
      expect(a.core.lobbyCount + b.core.lobbyCount).to.equal(1);
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
