// The lobby protocol through SignalingClient on one node and on 3 nodes sharing the in-memory
// store or a real redis-server, members spread over the nodes: the same run gives the same
// outcome everywhere (issue 14).
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import { startService } from '../support/cluster-service.js';
import type { ServiceUnderTest, StoreKind } from '../support/cluster-service.js';
import { haveRedis, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';

/** What a run observed, with peer ids replaced by join order so runs compare. */
interface Transcript { [k: string]: unknown }

async function lobbyLife(svc: ServiceUnderTest): Promise<Transcript> {
  const clients: SignalingClient[] = [];
  const t: Transcript = {};
  try {
    const connect = async (i: number): Promise<SignalingClient> => {
      const c = await SignalingClient.connect(svc.url(i), { name: `m${i}` });
      clients.push(c);
      return c;
    };
    const owner = await connect(0);
    const starts = new Map<SignalingClient, Array<{ remote: number; pair: number }>>();
    const track = (c: SignalingClient): void => {
      starts.set(c, []);
      c.on('pairStart', (s) => starts.get(c)!.push({ remote: s.remote, pair: s.pair }));
    };
    track(owner);
    const created = await owner.createLobby({ name: 'life', password: 'pw', maxPeers: 7 });
    const ids = [created.you];
    const members = [owner];
    const wrong = await (await connect(1)).joinLobby('life', { password: 'nope' }).catch((e: { code: string }) => e.code);
    t.wrongPassword = wrong;
    for (let i = 1; i <= 5; i++) {
      const c = await connect(i);
      track(c);
      const j = await c.joinLobby('life', { password: 'pw' });
      ids.push(j.you);
      members.push(c);
    }
    const rank = (id: number): number => ids.indexOf(id);
    t.uniqueIds = new Set(ids).size;
    // Every member gets a pair with each of the 5 others.
    for (let i = 0; i < 100 && [...starts.values()].some((s) => s.length < 5); i++) await new Promise((r) => setTimeout(r, 20));
    t.pairsPerMember = members.map((m) => starts.get(m)!.map((s) => rank(s.remote)).sort());
    // Candidates and a result across nodes: member 1 (node 1) to member 2 (node 2).
    const p12 = starts.get(members[1]!)!.find((s) => s.remote === ids[2])!.pair;
    const got = members[2]!.next('candidates');
    await members[1]!.sendCandidates(p12, [{ kind: 'host', family: 4, address: '198.51.100.9', port: 5000 }], { done: true });
    t.candidates = (await got).candidates;
    const link = owner.next('linkUpdated', { filter: (l) => l.pair === p12 });
    await members[2]!.reportPairResult(p12, { outcome: 'connected', path: 'direct', rttMs: 3 });
    const l = await link;
    t.link = { ends: [rank(l.a), rank(l.b)].sort(), state: l.state, path: l.path, rttMs: l.rttMs };
    t.notOwner = await members[3]!.seal().catch((e: { code: string }) => e.code);
    const sealed = Promise.all(members.slice(1).map((m) => m.next('sealed')));
    await owner.seal();
    await sealed;
    t.sealedJoin = await (await connect(2)).joinLobby('life', { password: 'pw' }).catch((e: { code: string }) => e.code);
    const owners = Promise.all(members.slice(1).map((m) => m.next('ownerChanged')));
    await owner.leave();
    const newOwner = Math.min(...ids.slice(1));
    t.ownerChanged = (await owners).map((o) => o.owner === newOwner);
    // (ids are random, so the new owner is named by being the lowest)
    const views = await Promise.all(members.slice(1).map((m) => m.getLobby()));
    t.views = views.map((v) => ({ members: v.members.map((m) => rank(m.id)).sort(), ownerIsLowest: v.owner === newOwner, sealed: v.sealed, links: v.links.length, hasPassword: v.hasPassword }));
    // Resume after a dropped WebSocket (member 4, on node 1).
    const m4 = members[4]!;
    const resumed = m4.next('resumed', { timeoutMs: 10_000 });
    const back = members[1]!.next('peerBack', { timeoutMs: 10_000 });
    m4.simulateConnectionLoss();
    t.resumedSameId = (await resumed).you === ids[4];
    t.peerBack = rank((await back).id);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  return t;
}

describe('cluster: the lobby protocol on one node and on 3 nodes (memory store, Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  const results = new Map<StoreKind, Transcript>();

  before(async () => {
    if (haveRedis()) redis = await startRedis();
  });

  after(async () => {
    await redis?.stop();
  });

  for (const kind of ['one node', 'memory', 'redis'] as const) {
    it(`full lobby life, 6 members spread over the nodes (${kind})`, async function () {
      if (kind === 'redis' && redis === undefined) this.skip();
      const svc = await startService(kind, 3, { graceMs: 5000 }, redis?.url);
      try {
        const t = await lobbyLife(svc);
        results.set(kind, t);
        expect(t.uniqueIds).to.equal(6);
        expect(t.wrongPassword).to.equal('SIG_BAD_PASSWORD');
        expect(t.sealedJoin).to.equal('SIG_LOBBY_SEALED');
        expect(t.notOwner).to.equal('SIG_NOT_OWNER');
        expect(t.resumedSameId).to.equal(true);
        if (kind !== 'one node') expect(t).to.deep.equal(results.get('one node'));
      } finally {
        await svc.close();
      }
    });
  }
});
