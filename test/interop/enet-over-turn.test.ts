// ENet over TURN from the ENet link socket (relay.md §1), on loopback with real sockets: host A
// allocates on its own ENet socket through TurnSocketClient (intercept hook in, egress hook out,
// deliver for unwrapped data) on our TurnRelayServer; host B connects to A's relayed address as
// plain UDP; host C connects to A directly. All three use the range coder, so compressed ENet
// datagrams start 0x40–0x7F (the ChannelData range) — the relay path and C's direct datagrams
// must both work, which only demultiplexing by source (not by first byte) achieves.
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { CompressionMode, ENetConnection, FLAG_RELIABLE, type ENetPacketPeer } from '@meshpunch/enet';
import { TurnRelayServer, TurnSocketClient, mintTurnRestCredential, nodeHmacSha1 } from '@meshpunch/nat';

const SECRET = 'enet-turn-secret';
const MESSAGES = 200;

async function waitFor(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !pred(); waited += 10) {
    if (waited >= timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('ENet over TURN from the ENet socket (loopback, embedded relay)', function () {
  this.timeout(30_000);
  const hosts: ENetConnection[] = [];
  let control: Socket | undefined;
  let relay: TurnRelayServer | undefined;
  let turn: TurnSocketClient | undefined;

  afterEach(async () => {
    turn?.stop();
    for (const h of hosts.splice(0)) h.destroy();
    await relay?.close();
    control?.close();
  });

  it('links B through the relay and C directly to the same host, both compressed, every reliable message in order', async () => {
    const s = createSocket('udp4');
    control = s;
    await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
    const port = s.address().port;
    const low = port >= 50_000 ? 42_000 : 54_000;
    relay = new TurnRelayServer({
      secret: SECRET, relayAddress: '127.0.0.1', bindAddress: '127.0.0.1', allowLoopback: true, isMember: (m) => m === 'lob.a',
      relayPorts: { min: low, max: low + 99 }, controlPort: port, send: (a, p, b) => s.send(b, p, a),
    });
    s.on('message', (m, r) => relay!.handleControlDatagram(m, r));

    const mk = async (peers: number) => {
      const h = new ENetConnection();
      await h.createHostBound('127.0.0.1', 0, peers, 2);
      h.compress(CompressionMode.RANGE_CODER);
      h.autoService = true;
      hosts.push(h);
      return h;
    };
    const a = await mk(4);
    const b = await mk(1);
    const c = await mk(1);

    // A's TURN client lives on A's ENet socket.
    const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
    const t = new TurnSocketClient((addr, p, bytes) => a.socketSend(addr, p, bytes), { server: { address: '127.0.0.1', port }, ...cred });
    turn = t;
    const relayedPeers = new Set<string>();
    let directInChannelDataRange = 0;
    a.intercept = (from, bytes) => {
      if (t.intercept(bytes, from)) return true;
      if (bytes.length > 0 && bytes[0]! >= 0x40 && bytes[0]! <= 0x7f) directInChannelDataRange++;
      return false;
    };
    t.on('data', (payload, peer) => {
      const key = `${peer.address}:${peer.port}`;
      if (!relayedPeers.has(key)) {
        relayedPeers.add(key);
        void t.bindChannel(peer); // learn the peer's port from its first Data indication, then bind (relay.md §1)
      }
      a.deliver(peer, payload.slice());
    });
    a.egress = (to, bytes) => relayedPeers.has(`${to.address}:${to.port}`) && t.send(to, bytes);
    const { relayed } = await t.allocate();
    await t.createPermission('127.0.0.1');

    const got = new Map<ENetPacketPeer, number[]>();
    const onReceive = (host: ENetConnection) => host.on('receive', (e) => {
      const list = got.get(e.peer!) ?? [];
      list.push(new DataView(e.packet!.buffer, e.packet!.byteOffset).getUint32(0));
      got.set(e.peer!, list);
    });
    for (const h of [a, b, c]) onReceive(h);
    const aPeers: ENetPacketPeer[] = [];
    a.on('connect', (e) => aPeers.push(e.peer!));

    const bPeer = b.connectToHost(relayed.address, relayed.port, 2);
    const cPeer = c.connectToHost('127.0.0.1', a.getLocalPort(), 2);
    const connected = new Set<ENetConnection>();
    b.on('connect', () => connected.add(b));
    c.on('connect', () => connected.add(c));
    await waitFor(() => connected.size === 2 && aPeers.length === 2, 'both links up');

    const payload = (i: number) => {
      const p = new Uint8Array(600);
      new DataView(p.buffer).setUint32(0, i);
      return p;
    };
    for (let i = 0; i < MESSAGES; i++) {
      bPeer.send(0, payload(i), FLAG_RELIABLE);
      cPeer.send(0, payload(i), FLAG_RELIABLE);
      for (const p of aPeers) p.send(0, payload(i), FLAG_RELIABLE);
    }
    const seq = Array.from({ length: MESSAGES }, (_, i) => i);
    await waitFor(() => [bPeer, cPeer, ...aPeers].every((p) => (got.get(p)?.length ?? 0) >= MESSAGES), 'all messages');
    for (const p of [bPeer, cPeer, ...aPeers]) expect(got.get(p)).to.deep.equal(seq);

    // B's traffic went through the relay, on ChannelData once bound; C's never touched it.
    const bOnA = aPeers.find((p) => p.getRemotePort() !== c.getLocalPort())!;
    expect(bOnA.getRemotePort()).to.equal(b.getLocalPort());
    expect(t.core.counters.channelDataSent).to.be.greaterThan(0);
    expect(relay.counters.datagrams.to_peer).to.be.greaterThan(0);
    expect(relay.counters.datagrams.to_client).to.be.greaterThan(0);
    expect(t.core.counters.malformed + t.core.counters.unboundChannel).to.equal(0);
    // C's direct ENet datagrams that look like ChannelData by their first byte went to ENet all the same.
    expect(directInChannelDataRange).to.be.greaterThan(0);
  });
});
