// Simulation: one host serving many peers — slot allocation, broadcast, fairness, teardown.
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv } from '@meshpunch/sim';
import { CorePeerState as PeerState, HostCore, PacketFlag, type Peer } from '../../src/index.js';
import { Node } from './helpers.js';

describe('HostCore with many peers (sim)', function () {
  this.timeout(30_000);

  it('serves 12 clients on 12 slots, refuses a 13th, broadcasts to all and disconnects all', () => {
    const seed = seedFromEnv(5001);
    const rnd = new Prng(seed);
    const net = new SimNet({ prng: new Prng(seed), defaultLink: { latencyMs: 8, jitterMs: 4, loss: 0.02 } });
    const d = new SimDriver(net);
    const server = new Node(new HostCore({ peerCount: 12, random: (o) => rnd.fill(o) }), '203.0.113.10', 7777);
    d.add(server.core, server.address, server.port);
    const clients: Node[] = [];
    const peers: Peer[] = [];
    for (let i = 0; i < 13; i++) {
      const c = new Node(new HostCore({ peerCount: 1, random: (o) => rnd.fill(o) }), `198.51.100.${i + 1}`, 5000 + i);
      d.add(c.core, c.address, c.port);
      clients.push(c);
      peers.push(c.core.connect(server.address, server.port, 2, 100 + i)!);
    }
    const drain = (): void => {
      server.drain(d.now);
      for (const c of clients) c.drain(d.now);
    };
    d.runUntil(() => {
      drain();
      return server.count('connect') === 12 && clients.filter((c) => c.count('connect') === 1).length === 12;
    }, { maxVirtualMs: 20_000 });
    expect(new Set(server.events.filter((e) => e.type === 'connect').map((e) => e.data)).size).to.equal(12);
    // The 13th found no slot: its CONNECTs are ignored and counted while it keeps retrying.
    expect(peers[12]!.state).to.equal(PeerState.Connecting);
    expect(server.core.stats.refusedConnects).to.be.greaterThan(0);
    clients[12]!.core.resetPeer(peers[12]!);
    clients.pop();
    for (let i = 0; i < 12; i++) for (let k = 0; k < 100; k++) clients[i]!.core.send(peers[i]!, k % 2, Uint8Array.of(i, k), PacketFlag.Reliable);
    d.runUntil(() => {
      drain();
      return server.count('receive') === 1200;
    }, { maxVirtualMs: 30_000 });
    for (let i = 0; i < 12; i++) {
      const mine = server.events.filter((e) => e.type === 'receive' && e.packet![0] === i);
      for (const ch of [0, 1]) expect(mine.filter((e) => e.channelID === ch).map((e) => e.packet![1])).to.deep.equal([...Array(50).keys()].map((k) => 2 * k + ch));
    }
    server.core.broadcast(1, Uint8Array.of(42), PacketFlag.Reliable);
    d.runUntil(() => {
      drain();
      return clients.every((c) => c.count('receive') === 1);
    }, { maxVirtualMs: 10_000 });
    for (const p of server.core.peers) server.core.disconnect(p, 9);
    d.runUntil(() => {
      drain();
      return clients.filter((c) => c.count('disconnect') === 1).length === 12 && server.count('disconnect') === 12;
    }, { maxVirtualMs: 60_000 });
    expect(clients.every((c) => c.events.find((e) => e.type === 'disconnect')!.data === 9)).to.equal(true);
    expect(server.core.peers.every((p) => p.state === PeerState.Disconnected)).to.equal(true);
    d.runUntilIdle({ maxVirtualMs: 5000 });
  });
});
