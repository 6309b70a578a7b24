// Property test over in-memory hosts: random sequences of joins, bad joins, sends, graceful and
// forced disconnects, timeouts and closes never throw outside documented misuse, and the
// peerConnected/peerDisconnected stream of every peer stays consistent with getPeer().
import { expect } from 'chai';
import { ENetMultiplayerPeer, MultiplayerError } from '../../src/index.js';
import { FakeHost, FakeNet, type FakePeer } from './fake-enet.js';

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** Tracks one peer's events and checks they alternate + / − per id. */
let totalEvents = 0;

function tracker(p: ENetMultiplayerPeer, seed: number) {
  const live = new Set<number>();
  p.on('peerConnected', (id) => {
    totalEvents++;
    expect(live.has(id), `seed ${seed}: double peerConnected(${id})`).to.equal(false);
    live.add(id);
  });
  p.on('peerDisconnected', (id) => {
    totalEvents++;
    expect(live.has(id), `seed ${seed}: peerDisconnected(${id}) without peerConnected`).to.equal(true);
    live.delete(id);
  });
  return live;
}

describe('ENetMultiplayerPeer event invariants (in-memory, random)', () => {
  const SEEDS = Number(process.env.MESHPUNCH_SEED ?? 0) ? [Number(process.env.MESHPUNCH_SEED)] : Array.from({ length: 40 }, (_, i) => i + 1);

  it('server: every connected id is reachable with getPeer, every event pairs up', async () => {
    for (const seed of SEEDS) {
      const rnd = prng(seed);
      const net = new FakeNet();
      const server = new ENetMultiplayerPeer({ createConnection: () => new FakeHost(net) });
      await server.createServer(7000);
      const live = tracker(server, seed);
      const clients: ENetMultiplayerPeer[] = [];
      const raws: FakePeer[] = [];
      for (let step = 0; step < 200; step++) {
        const r = rnd();
        if (r < 0.15) {
          const c = new ENetMultiplayerPeer({ createConnection: () => new FakeHost(net) });
          await c.createClient('127.0.0.1', 7000);
          clients.push(c);
        } else if (r < 0.25) {
          const h = new FakeHost(net);
          await h.createHost();
          const pick = [0, 1, 2 ** 31, 2 ** 32 - 1, ...[...live].slice(0, 1), 2 + Math.floor(rnd() * 1000)];
          raws.push(h.connectToHost('127.0.0.1', 7000, 0, pick[Math.floor(rnd() * pick.length)]!));
        } else if (r < 0.4 && live.size > 0) {
          const ids = [...live];
          const id = ids[Math.floor(rnd() * ids.length)]!;
          const force = rnd() < 0.5;
          server.disconnectPeer(id, force);
          // A forced disconnect emits nothing, by contract: forget the id ourselves.
          if (force) live.delete(id);
        } else if (r < 0.5 && clients.length > 0) {
          clients[Math.floor(rnd() * clients.length)]!.close();
        } else if (r < 0.55 && raws.length > 0) {
          const raw = raws[Math.floor(rnd() * raws.length)]!;
          raw.remote?.timeOut();
        } else if (r < 0.6) {
          server.refuseNewConnections = !server.refuseNewConnections;
        } else if (r < 0.8) {
          const targets = [0, ...live, ...[...live].map((x) => -x), 12345];
          server.setTargetPeer(targets[Math.floor(rnd() * targets.length)]!);
          server.transferMode = Math.floor(rnd() * 3) as 0 | 1 | 2;
          server.transferChannel = Math.floor(rnd() * 5);
          try {
            server.putPacket(new Uint8Array([step & 0xff]));
          } catch (err) {
            expect(err, `seed ${seed}`).to.be.instanceOf(MultiplayerError);
            expect((err as MultiplayerError).code).to.equal('ERR_INVALID_PARAMETER');
          }
        }
        server.poll();
        for (const c of clients) c.poll();
        for (const id of live) expect(() => server.getPeer(id), `seed ${seed} step ${step}`).to.not.throw();
        while (server.getAvailablePacketCount() > 0) server.getPacket();
      }
      expect(server.stats.rejectedConnections, `seed ${seed}: no bad join was exercised`).to.be.greaterThan(0);
      const before = live.size;
      server.close();
      expect(live.size, `seed ${seed}: close() emitted events`).to.equal(before);
      for (const c of clients) c.close();
    }
  });

  it('mesh: dropped and closed links are reported exactly once', () => {
    for (const seed of SEEDS) {
      const rnd = prng(seed);
      const net = new FakeNet();
      const n = 5;
      const peers = Array.from({ length: n }, (_, i) => {
        const p = new ENetMultiplayerPeer({ createConnection: () => new FakeHost(net) });
        p.createMesh(i + 1);
        return p;
      });
      const lives = peers.map((p) => tracker(p, seed));
      const links: Array<[number, number, FakeHost, FakeHost]> = [];
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const a = new FakeHost(net);
          const b = new FakeHost(net);
          void a.createHost();
          void b.createHost();
          a.connectToHost('127.0.0.1', b.port);
          a.events.length = 0;
          b.events.length = 0;
          peers[i]!.addMeshPeer(j + 1, a);
          peers[j]!.addMeshPeer(i + 1, b);
          links.push([i, j, a, b]);
        }
      }
      for (let step = 0; step < 100; step++) {
        const r = rnd();
        const [i, j, a] = links[Math.floor(rnd() * links.length)]!;
        if (r < 0.2) (a.getPeers()[0] as FakePeer | undefined)?.timeOut();
        else if (r < 0.3 && peers[i]!.getConnectionStatus() === 2 && lives[i]!.has(j + 1)) {
          const force = rnd() < 0.5;
          peers[i]!.disconnectPeer(j + 1, force);
          if (force) lives[i]!.delete(j + 1);
        }
        else if (r < 0.35) {
          const k = Math.floor(rnd() * n);
          peers[k]!.close();
          lives[k]!.clear();
        }
        else if (peers[i]!.getConnectionStatus() === 2) {
          peers[i]!.setTargetPeer(0);
          peers[i]!.putPacket(new Uint8Array([1]));
        }
        for (const p of peers) {
          p.poll();
          while (p.getAvailablePacketCount() > 0) p.getPacket();
        }
      }
      for (let k = 0; k < n; k++) {
        if (peers[k]!.getConnectionStatus() !== 2) continue;
        for (const id of lives[k]!) expect(() => peers[k]!.getPeer(id), `seed ${seed}`).to.not.throw();
      }
      for (const p of peers) p.close();
    }
    // The sequences must actually exercise joins and leaves, not trivially pass.
    expect(totalEvents).to.be.greaterThan(SEEDS.length * 20);
  });
});
