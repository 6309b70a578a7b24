// ENetMultiplayerPeer in server, client and mesh mode over the simulator's network (issue #15):
// HostCore hosts on a SimNet with loss, duplication, reordering and jitter, in virtual time, with
// seeds. What is checked: Godot's events (godot-enet.md §2.6), delivery per transfer mode (§2.7)
// including relaying through the server, and clean departures.
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import type { LinkConditions } from '@meshpunch/sim';
import { ConnectionStatus, ENetMultiplayerPeer, TransferMode } from '../../src/index.js';
import { SimHost, SimWorld } from './sim-enet-host.js';

const SEEDS = [seedFromEnv(3_001), 3_002, 3_003];
/** A poor home connection: 5 % loss, duplicates, reordering and jitter over 30 ms. */
const LOSSY: Partial<LinkConditions> = { latencyMs: 30, jitterMs: 15, loss: 0.05, duplicate: 0.02, reorder: 0.1, reorderDelayMs: 40 };
const SERVER = '203.0.113.1';
const PACKETS = 60;

interface Received { from: number; data: number[]; channel: number; mode: number }

/** A multiplayer peer at `address` on the world, with its events and packets recorded. */
function peerAt(w: SimWorld, address: string): { peer: ENetMultiplayerPeer; joined: number[]; left: number[]; got: Received[] } {
  const peer = new ENetMultiplayerPeer({ createConnection: w.hostsAt(address) });
  // Client ids from the world's seed instead of node:crypto, so a seed replays the run exactly.
  peer.generateUniqueId = () => w.prng.int(2, 0x7fffffff);
  const rec = { peer, joined: [] as number[], left: [] as number[], got: [] as Received[] };
  peer.on('peerConnected', (id: number) => rec.joined.push(id));
  peer.on('peerDisconnected', (id: number) => rec.left.push(id));
  peer.on('packet', (data: Uint8Array, from: number, channel: number, mode: number) => rec.got.push({ from, data: [...data], channel, mode }));
  w.peers.push(peer);
  return rec;
}

/** Sends PACKETS numbered packets from `p` to `target` in `mode`, a few per virtual 16 ms frame. */
function sendNumbered(w: SimWorld, p: ENetMultiplayerPeer, target: number, mode: TransferMode, tag: number): void {
  p.setTargetPeer(target);
  p.transferMode = mode;
  for (let i = 0; i < PACKETS; i++) {
    p.putPacket(Uint8Array.of(tag, i));
    if (i % 4 === 3) w.runFor(16);
  }
}

/** The sequence numbers of packets tagged `tag` from `from`, in arrival order. */
function numbers(got: Received[], from: number, tag: number): number[] {
  return got.filter((r) => r.from === from && r.data[0] === tag).map((r) => r.data[1]!);
}

for (const seed of SEEDS) {
  describe(`ENetMultiplayerPeer in the simulator (seed ${seed})`, () => {
    it('server and three clients over a lossy network: ids, reliable in order once both ways, unreliable-ordered never backwards, broadcast but one', async () => {
      const w = new SimWorld(seed, LOSSY);
      const server = peerAt(w, SERVER);
      await server.peer.createServer(7777, 8);
      const clients = [peerAt(w, '198.51.100.1'), peerAt(w, '198.51.100.2'), peerAt(w, '198.51.100.3')];
      for (const c of clients) await c.peer.createClient(SERVER, 7777);
      w.runUntil(() => clients.every((c) => c.peer.getConnectionStatus() === ConnectionStatus.CONNECTION_CONNECTED) && server.joined.length === 3, 30_000);
      const ids = clients.map((c) => c.peer.getUniqueId());
      expect(new Set(ids).size).to.equal(3);
      expect([...server.joined].sort()).to.deep.equal([...ids].sort());
      // Godot 4 tells a client of its server only (id 1); other clients are the game's business (§2.6).
      for (const c of clients) expect(c.joined).to.deep.equal([1]);

      const [a, b, c3] = clients as [typeof clients[0], typeof clients[0], typeof clients[0]];
      sendNumbered(w, a.peer, 1, TransferMode.TRANSFER_MODE_RELIABLE, 1);
      // The server to every client but a, reliable then unreliable ordered.
      sendNumbered(w, server.peer, -ids[0]!, TransferMode.TRANSFER_MODE_RELIABLE, 2);
      sendNumbered(w, server.peer, -ids[0]!, TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, 3);
      w.runUntil(() => numbers(server.got, ids[0]!, 1).length === PACKETS && [b, c3].every((c) => numbers(c.got, 1, 2).length === PACKETS), 60_000);
      w.runFor(2000);
      const all = Array.from({ length: PACKETS }, (_, i) => i);
      expect(numbers(server.got, ids[0]!, 1), 'reliable to the server: all, in order, once').to.deep.equal(all);
      for (const c of [b, c3]) {
        expect(numbers(c.got, 1, 2), 'reliable from the server: all, in order, once').to.deep.equal(all);
        const ordered = numbers(c.got, 1, 3);
        expect(ordered.length, 'unreliable ordered: some got through').to.be.greaterThan(0);
        for (let i = 1; i < ordered.length; i++) expect(ordered[i]!, 'unreliable ordered never goes backwards').to.be.greaterThan(ordered[i - 1]!);
        expect(c.got.filter((r) => r.data[0] === 2).every((r) => r.mode === TransferMode.TRANSFER_MODE_RELIABLE)).to.equal(true);
      }
      expect(a.got.filter((r) => r.data[0] === 2 || r.data[0] === 3), 'the excluded client got nothing').to.deep.equal([]);

      // A client leaves: the server sees it go, the others stay.
      a.peer.close();
      expect(a.peer.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
      await new Promise((r) => setImmediate(r));
      w.runUntil(() => server.left.includes(ids[0]!), 30_000);
      expect(server.left).to.deep.equal([ids[0]]);
      for (const c of [b, c3]) expect(c.peer.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTED);
      server.peer.close();
      for (const c of clients.slice(1)) c.peer.close();
      await new Promise((r) => setImmediate(r));
    });

    it('a client whose server goes silent times out: peerDisconnected(1), then DISCONNECTED', async () => {
      const w = new SimWorld(seed, { latencyMs: 20 });
      const server = peerAt(w, SERVER);
      await server.peer.createServer(7777, 4);
      const c = peerAt(w, '198.51.100.9');
      await c.peer.createClient(SERVER, 7777);
      w.runUntil(() => c.joined.includes(1), 10_000);
      w.net.cut(SERVER);
      // ENet's default peer timeout is 5–30 s of silence (enet-protocol.md): bounded in virtual time.
      w.runUntil(() => c.peer.getConnectionStatus() === ConnectionStatus.CONNECTION_DISCONNECTED, 60_000);
      expect(c.left).to.deep.equal([1]);
      server.peer.close();
      await new Promise((r) => setImmediate(r));
    });

    it('a mesh of four: one host per pair, addMeshPeer on connect, broadcasts reach everyone in order, a departure is seen by all', async () => {
      const w = new SimWorld(seed, LOSSY);
      const ids = [1, 2, 3, 4];
      const members = ids.map((id) => ({ id, ...peerAt(w, `10.0.${id}.1`) }));
      for (const m of members) m.peer.createMesh(m.id);
      // Each pair: the lower id listens, the higher connects (as the signaling service assigns roles).
      const pending: Array<{ owner: typeof members[0]; remote: number; host: SimHost }> = [];
      for (const lo of members) {
        for (const hi of members) {
          if (hi.id <= lo.id) continue;
          const listen = new SimHost(w, `10.0.${lo.id}.1`);
          await listen.createHost(1, 0);
          const connect = new SimHost(w, `10.0.${hi.id}.1`);
          await connect.createHost(1, 0);
          connect.connectToHost(listen.address, listen.port, 0, 0);
          pending.push({ owner: lo, remote: hi.id, host: listen }, { owner: hi, remote: lo.id, host: connect });
        }
      }
      // Until every host has its one connected peer (the CONNECT events stay queued for the mesh peer's poll()).
      w.runUntil(() => pending.every((p) => p.host.getPeers().length === 1 && p.host.getPeers()[0]!.getState() === 5), 30_000);
      for (const p of pending) p.owner.peer.addMeshPeer(p.remote, p.host);
      for (const m of members) expect([...m.joined].sort()).to.deep.equal(ids.filter((id) => id !== m.id));

      for (const m of members) sendNumbered(w, m.peer, 0, TransferMode.TRANSFER_MODE_RELIABLE, 7);
      w.runUntil(() => members.every((m) => ids.every((from) => from === m.id || numbers(m.got, from, 7).length === PACKETS)), 60_000);
      const all = Array.from({ length: PACKETS }, (_, i) => i);
      for (const m of members) for (const from of ids) if (from !== m.id) expect(numbers(m.got, from, 7), `${from} → ${m.id}`).to.deep.equal(all);

      members[3]!.peer.close();
      await new Promise((r) => setImmediate(r));
      w.runUntil(() => members.slice(0, 3).every((m) => m.left.includes(4)), 30_000);
      for (const m of members.slice(0, 3)) {
        expect(m.left).to.deep.equal([4]);
        m.peer.close();
      }
      await new Promise((r) => setImmediate(r));
      w.driver.runUntilIdle({ maxVirtualMs: 120_000 });
    });
  });
}
