// ENetMultiplayerPeer logic over in-memory hosts: handshake rules, routing, channel/flag layout,
// close/disconnect semantics, mesh rules and every misuse error code (godot-enet.md §2).
import { expect } from 'chai';
import { ConnectionStatus, ENetMultiplayerPeer, MultiplayerError, TransferMode } from '../../src/index.js';
import { connectedPair, FakeHost, FakeNet, FakePeer } from './fake-enet.js';

type Log = string[];

function watch(p: ENetMultiplayerPeer, name: string, log: Log): void {
  p.on('peerConnected', (id) => log.push(`${name}+${id}`));
  p.on('peerDisconnected', (id) => log.push(`${name}-${id}`));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MultiplayerError);
    return (err as MultiplayerError).code;
  }
  return undefined;
}

async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MultiplayerError);
    return (err as MultiplayerError).code;
  }
  return undefined;
}

function drain(p: ENetMultiplayerPeer): Array<{ from: number; channel: number; mode: number; text: string }> {
  const out = [];
  while (p.getAvailablePacketCount() > 0) {
    const from = p.getPacketPeer();
    const channel = p.getPacketChannel();
    const mode = p.getPacketMode();
    out.push({ from, channel, mode, text: new TextDecoder().decode(p.getPacket()) });
  }
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('ENetMultiplayerPeer (in-memory hosts)', () => {
  let net: FakeNet;
  let log: Log;
  const make = () => new ENetMultiplayerPeer({ createConnection: () => new FakeHost(net) });

  beforeEach(() => {
    net = new FakeNet();
    log = [];
  });

  async function serverWithClients(n: number): Promise<{ server: ENetMultiplayerPeer; clients: ENetMultiplayerPeer[]; port: number }> {
    const server = make();
    await server.createServer(7000);
    watch(server, 'S', log);
    const clients: ENetMultiplayerPeer[] = [];
    for (let i = 0; i < n; i++) {
      const c = make();
      await c.createClient('127.0.0.1', 7000);
      watch(c, `C${i}`, log);
      clients.push(c);
    }
    for (const c of clients) c.poll();
    server.poll();
    return { server, clients, port: 7000 };
  }

  describe('#createServer', () => {
    it('is CONNECTED with id 1 at once and emits nothing', async () => {
      const s = make();
      watch(s, 'S', log);
      await s.createServer(7000);
      expect(s.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTED);
      expect(s.getUniqueId()).to.equal(1);
      expect(s.isServer()).to.equal(true);
      expect(s.isServerRelaySupported()).to.equal(true);
      expect(s.host).to.be.instanceOf(FakeHost);
      expect(log).to.deep.equal([]);
    });
    it('rejects a second create with ERR_ALREADY_IN_USE', async () => {
      const s = make();
      await s.createServer(7000);
      expect(await asyncCodeOf(() => s.createServer(7001))).to.equal('ERR_ALREADY_IN_USE');
      expect(await asyncCodeOf(() => s.createClient('127.0.0.1', 7001))).to.equal('ERR_ALREADY_IN_USE');
      expect(codeOf(() => s.createMesh(5))).to.equal('ERR_ALREADY_IN_USE');
    });
    it('rejects bad arguments with ERR_INVALID_PARAMETER before creating a host', async () => {
      const s = make();
      for (const args of [[-1], [65536], [7000, 0], [7000, 4096], [7000, 32, 254], [7000, 32, 0, -1], [7000, 32, 0, 0, 1.5]] as const) {
        expect(await asyncCodeOf(() => (s.createServer as (...a: number[]) => Promise<void>)(...args)), JSON.stringify(args)).to.equal('ERR_INVALID_PARAMETER');
      }
      expect(net.hosts.size).to.equal(0);
    });
    it('maps a host failure to ERR_CANT_CREATE and stays inactive', async () => {
      net.failCreateWith = 'ERR_CANT_CREATE';
      const s = make();
      expect(await asyncCodeOf(() => s.createServer(7000))).to.equal('ERR_CANT_CREATE');
      expect(s.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
      net.failCreateWith = undefined;
      await s.createServer(7000);
      expect(s.getUniqueId()).to.equal(1);
    });
  });

  describe('#createClient', () => {
    it('is CONNECTING with a random id ≥ 2, then CONNECTED with peerConnected(1) after poll', async () => {
      const s = make();
      await s.createServer(7000);
      const c = make();
      watch(c, 'C', log);
      await c.createClient('127.0.0.1', 7000);
      expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTING);
      expect(c.getUniqueId()).to.be.within(2, 0x7fffffff);
      expect(codeOf(() => c.putPacket(enc('x')))).to.equal('ERR_UNCONFIGURED');
      c.poll();
      expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTED);
      expect(log).to.deep.equal(['C+1']);
    });
    it('sends its unique id as CONNECT data, which the server uses as the peer id', async () => {
      const { server, clients } = await serverWithClients(3);
      const ids = clients.map((c) => c.getUniqueId());
      expect(new Set(ids).size).to.equal(3);
      expect(log.filter((l) => l.startsWith('S+'))).to.deep.equal(ids.map((id) => `S+${id}`));
      for (const id of ids) expect(server.getPeer(id)).to.be.instanceOf(FakePeer);
    });
    it('fails with ERR_CANT_CREATE for a port outside 1..65535 or an empty address', async () => {
      const c = make();
      expect(await asyncCodeOf(() => c.createClient('127.0.0.1', 0))).to.equal('ERR_CANT_CREATE');
      expect(await asyncCodeOf(() => c.createClient('', 7000))).to.equal('ERR_CANT_CREATE');
      expect(await asyncCodeOf(() => c.createClient('127.0.0.1', 7000, 254))).to.equal('ERR_INVALID_PARAMETER');
      expect(await asyncCodeOf(() => c.createClient('127.0.0.1', 7000, 0, 0, 0, 70000))).to.equal('ERR_INVALID_PARAMETER');
    });
    it('fails with ERR_CANT_CREATE when the name cannot be resolved, and releases the host', async () => {
      const c = make();
      expect(await asyncCodeOf(() => c.createClient('nowhere.invalid', 7000))).to.equal('ERR_CANT_CREATE');
      await new Promise((r) => setImmediate(r));
      expect(net.hosts.size).to.equal(0);
      expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
    });
    it('a failed attempt emits nothing and ends DISCONNECTED', async () => {
      const c = make();
      watch(c, 'C', log);
      await c.createClient('127.0.0.1', 7999);
      const server = c.getPeer(1) as unknown as FakePeer;
      server.timeOut();
      c.poll();
      expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
      expect(log).to.deep.equal([]);
    });
  });

  describe('handshake validation (godot-enet.md §2.5)', () => {
    async function rawConnect(data: number): Promise<FakePeer> {
      const h = new FakeHost(net);
      await h.createHost();
      return h.connectToHost('127.0.0.1', 7000, 0, data);
    }
    it('resets CONNECTs with id 0, 1, ≥ 2^31 or a duplicate id, silently', async () => {
      const { server, clients } = await serverWithClients(1);
      const before = log.length;
      const raws = [await rawConnect(0), await rawConnect(1), await rawConnect(0x80000000), await rawConnect(clients[0]!.getUniqueId())];
      server.poll();
      expect(log.length).to.equal(before);
      expect(server.stats.rejectedConnections).to.equal(4);
      for (const r of raws) expect(r.remote!.getState()).to.equal(0);
    });
    it('resets every CONNECT while refusing, accepts again afterwards', async () => {
      const { server } = await serverWithClients(0);
      server.refuseNewConnections = true;
      const r = await rawConnect(1234);
      server.poll();
      expect(r.remote!.getState()).to.equal(0);
      expect(log).to.deep.equal([]);
      server.refuseNewConnections = false;
      await rawConnect(1234);
      server.poll();
      expect(log).to.deep.equal(['S+1234']);
    });
  });

  describe('#putPacket', () => {
    it('maps every transfer mode and channel to Godot’s ENet channel and flags', async () => {
      const { server, clients } = await serverWithClients(1);
      const c = clients[0]!;
      const wire = (c.getPeer(1) as unknown as FakePeer).sent;
      const cases: Array<[TransferMode, number, number, number]> = [
        [TransferMode.TRANSFER_MODE_RELIABLE, 0, 0, 1],
        [TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, 0, 1, 8],
        [TransferMode.TRANSFER_MODE_UNRELIABLE, 0, 1, 10],
        [TransferMode.TRANSFER_MODE_RELIABLE, 3, 4, 1],
        [TransferMode.TRANSFER_MODE_UNRELIABLE, 1, 2, 10],
        [TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, 4, 5, 8],
      ];
      for (const [mode, ch] of cases) {
        c.transferMode = mode;
        c.transferChannel = ch;
        c.putPacket(enc(`${mode}/${ch}`));
      }
      expect(wire.map((w) => [w.channel, w.flags])).to.deep.equal(cases.map((x) => [x[2], x[3]]));
      server.poll();
      expect(drain(server).map((p) => [p.from, p.mode, p.channel, p.text])).to.deep.equal(
        cases.map(([m, ch]) => [c.getUniqueId(), m, ch, `${m}/${ch}`]),
      );
    });
    it('reports a fragmented UNRELIABLE packet as UNRELIABLE_ORDERED', async () => {
      const { server, clients } = await serverWithClients(1);
      clients[0]!.transferMode = TransferMode.TRANSFER_MODE_UNRELIABLE;
      clients[0]!.putPacket(new Uint8Array(3000));
      server.poll();
      expect(server.getPacketMode()).to.equal(TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED);
    });
    it('routes broadcast, targeted and all-but-one sends from the server', async () => {
      const { server, clients } = await serverWithClients(3);
      const [a, b, c] = clients.map((x) => x.getUniqueId()) as [number, number, number];
      server.putPacket(enc('all'));
      server.setTargetPeer(b);
      server.putPacket(enc('only-b'));
      server.setTargetPeer(-b);
      server.putPacket(enc('not-b'));
      for (const cl of clients) cl.poll();
      const got = clients.map((cl) => drain(cl).map((p) => `${p.from}:${p.text}`));
      expect(got).to.deep.equal([['1:all', '1:not-b'], ['1:all', '1:only-b'], ['1:all', '1:not-b']]);
      expect([a, c]).to.not.include(b);
    });
    it('counts sends ENet refuses instead of throwing (Godot ignores them)', async () => {
      const { server, clients } = await serverWithClients(2);
      (server.getPeer(clients[0]!.getUniqueId()) as unknown as FakePeer).state = 7;
      server.putPacket(enc('x'));
      expect(server.stats.refusedSends).to.equal(1);
      clients[1]!.poll();
      expect(clients[1]!.getAvailablePacketCount()).to.equal(1);
    });
    it('rejects unknown targets, a server targeting −1, and oversize payloads', async () => {
      const { server, clients } = await serverWithClients(1);
      server.setTargetPeer(12345);
      expect(codeOf(() => server.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
      server.setTargetPeer(-1);
      expect(codeOf(() => server.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
      server.setTargetPeer(0);
      expect(codeOf(() => server.putPacket(new Uint8Array((1 << 24) + 1)))).to.equal('ERR_INVALID_PARAMETER');
      const c = clients[0]!;
      for (const t of [0, 1, -1]) {
        c.setTargetPeer(t);
        expect(codeOf(() => c.putPacket(enc('ok')))).to.equal(undefined);
      }
      c.setTargetPeer(5);
      expect(codeOf(() => c.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
    });
    it('throws ERR_UNCONFIGURED when inactive', () => {
      expect(codeOf(() => make().putPacket(enc('x')))).to.equal('ERR_UNCONFIGURED');
    });
  });

  describe('#close', () => {
    it('emits nothing locally; the remote sees peerDisconnected', async () => {
      const { server, clients } = await serverWithClients(2);
      const id0 = clients[0]!.getUniqueId();
      log.length = 0;
      clients[0]!.close();
      expect(clients[0]!.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
      expect(codeOf(() => clients[0]!.getUniqueId())).to.equal('ERR_UNCONFIGURED');
      server.poll();
      expect(log).to.deep.equal([`S-${id0}`]);
      log.length = 0;
      server.close();
      expect(log).to.deep.equal([]);
      clients[1]!.poll();
      expect(log).to.deep.equal(['C1-1']);
      expect(clients[1]!.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
    });
    it('discards queued packets and can be called twice', async () => {
      const { server, clients } = await serverWithClients(1);
      clients[0]!.putPacket(enc('x'));
      server.poll();
      expect(server.getAvailablePacketCount()).to.equal(1);
      server.close();
      server.close();
      expect(server.getAvailablePacketCount()).to.equal(0);
    });
  });

  describe('#disconnectPeer', () => {
    it('without force: both sides get peerDisconnected after poll', async () => {
      const { server, clients } = await serverWithClients(1);
      const id = clients[0]!.getUniqueId();
      log.length = 0;
      server.disconnectPeer(id);
      expect(log).to.deep.equal([]);
      server.poll();
      clients[0]!.poll();
      expect(log).to.deep.equal([`S-${id}`, 'C0-1']);
    });
    it('with force: no local peerDisconnected, the remote still sees it', async () => {
      const { server, clients } = await serverWithClients(1);
      const id = clients[0]!.getUniqueId();
      log.length = 0;
      server.disconnectPeer(id, true);
      server.poll();
      clients[0]!.poll();
      expect(log).to.deep.equal(['C0-1']);
      expect(codeOf(() => server.getPeer(id))).to.equal('ERR_INVALID_PARAMETER');
    });
    it('a client forcing the server closes itself without an event', async () => {
      const { server, clients } = await serverWithClients(1);
      const id = clients[0]!.getUniqueId();
      log.length = 0;
      clients[0]!.disconnectPeer(1, true);
      expect(clients[0]!.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
      server.poll();
      expect(log).to.deep.equal([`S-${id}`]);
    });
    it('throws ERR_UNCONFIGURED when inactive and ERR_INVALID_PARAMETER for an unknown id', async () => {
      const p = make();
      expect(codeOf(() => p.disconnectPeer(2))).to.equal('ERR_UNCONFIGURED');
      await p.createServer(7000);
      expect(codeOf(() => p.disconnectPeer(2))).to.equal('ERR_INVALID_PARAMETER');
    });
  });

  describe('mesh', () => {
    it('createMesh validates the id and is CONNECTED at once', () => {
      const p = make();
      expect(codeOf(() => p.createMesh(0))).to.equal('ERR_INVALID_PARAMETER');
      expect(codeOf(() => p.createMesh(-3))).to.equal('ERR_INVALID_PARAMETER');
      p.createMesh(1);
      expect(p.getUniqueId()).to.equal(1);
      expect(p.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTED);
      expect(p.isServer()).to.equal(false);
      expect(p.isServerRelaySupported()).to.equal(false);
      expect(p.host).to.equal(null);
    });
    it('addMeshPeer enforces Godot’s host rules with its error codes', async () => {
      const p = make();
      const [a] = connectedPair(net);
      expect(codeOf(() => p.addMeshPeer(2, a))).to.equal('ERR_UNCONFIGURED');
      p.createMesh(1);
      expect(codeOf(() => p.addMeshPeer(2, null as unknown as FakeHost))).to.equal('ERR_INVALID_PARAMETER');
      const empty = new FakeHost(net);
      await empty.createHost();
      expect(codeOf(() => p.addMeshPeer(2, empty))).to.equal('ERR_INVALID_PARAMETER');
      const connecting = new FakeHost(net);
      await connecting.createHost();
      connecting.connectToHost('127.0.0.1', 1, 0, 0);
      expect(codeOf(() => p.addMeshPeer(2, connecting))).to.equal('ERR_INVALID_PARAMETER');
      const [two] = connectedPair(net);
      const third = new FakeHost(net);
      await third.createHost();
      third.connectToHost('127.0.0.1', two.port);
      const [, listener] = [two, two];
      expect(listener.getPeers().length).to.equal(2);
      expect(codeOf(() => p.addMeshPeer(2, listener))).to.equal('ERR_INVALID_PARAMETER');
      expect(codeOf(() => p.addMeshPeer(1, a))).to.equal('ERR_INVALID_PARAMETER');
      expect(codeOf(() => p.addMeshPeer(0, a))).to.equal('ERR_INVALID_PARAMETER');
      (a as FakeHost & { autoService?: boolean }).autoService = true;
      p.addMeshPeer(2, a);
      expect((a as FakeHost & { autoService?: boolean }).autoService).to.equal(false);
      const [b] = connectedPair(net);
      expect(codeOf(() => p.addMeshPeer(2, b))).to.equal('ERR_ALREADY_IN_USE');
    });
    it('routes between mesh peers, reports dead peers, resets stray CONNECTs', async () => {
      const x = make();
      const y = make();
      const z = make();
      x.createMesh(10);
      y.createMesh(20);
      z.createMesh(30);
      watch(x, 'X', log);
      watch(y, 'Y', log);
      watch(z, 'Z', log);
      const [xy, yx] = connectedPair(net);
      const [xz, zx] = connectedPair(net);
      const [yz, zy] = connectedPair(net);
      x.addMeshPeer(20, xy);
      x.addMeshPeer(30, xz);
      y.addMeshPeer(10, yx);
      y.addMeshPeer(30, yz);
      z.addMeshPeer(10, zx);
      z.addMeshPeer(20, zy);
      expect(log).to.deep.equal(['X+20', 'X+30', 'Y+10', 'Y+30', 'Z+10', 'Z+20']);
      x.putPacket(enc('hi all'));
      x.setTargetPeer(-20);
      x.putPacket(enc('not y'));
      x.setTargetPeer(20);
      x.transferMode = TransferMode.TRANSFER_MODE_UNRELIABLE;
      x.transferChannel = 2;
      x.putPacket(enc('y only'));
      y.poll();
      z.poll();
      expect(drain(y)).to.deep.equal([
        { from: 10, channel: 0, mode: 2, text: 'hi all' },
        { from: 10, channel: 2, mode: 0, text: 'y only' },
      ]);
      expect(drain(z).map((p) => p.text)).to.deep.equal(['hi all', 'not y']);
      x.setTargetPeer(-10);
      expect(codeOf(() => x.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');

      // A stranger connecting to a mesh host is reset; the mesh peer stays.
      const stranger = new FakeHost(net);
      await stranger.createHost();
      const s = stranger.connectToHost('127.0.0.1', yx.port);
      y.poll();
      expect(s.remote!.getState()).to.equal(0);
      expect(y.stats.rejectedMeshConnections).to.equal(1);

      // z dies: its links time out at x and y.
      log.length = 0;
      (xz.getPeers()[0] as FakePeer).timeOut();
      (yz.getPeers()[0] as FakePeer).timeOut();
      x.poll();
      y.poll();
      expect(log).to.deep.equal(['X-30', 'Y-30']);
      // Hosts are destroyed on the next event-loop turn, after their last datagrams left.
      await new Promise((r) => setImmediate(r));
      expect(xz.destroyed && yz.destroyed).to.equal(true);

      // y closes: x sees it, y emits nothing.
      log.length = 0;
      y.close();
      x.poll();
      expect(log).to.deep.equal(['X-20']);
      await new Promise((r) => setImmediate(r));
      expect(yx.destroyed).to.equal(true);
    });
  });

  describe('packet event', () => {
    it('delivers packets as events instead of queueing them while someone listens', async () => {
      const { server, clients } = await serverWithClients(1);
      const got: Array<[string, number, number, number]> = [];
      server.on('packet', (data, from, channel, mode) => got.push([new TextDecoder().decode(data), from, channel, mode]));
      clients[0]!.transferChannel = 1;
      clients[0]!.putPacket(enc('evt'));
      server.poll();
      expect(got).to.deep.equal([['evt', clients[0]!.getUniqueId(), 1, 2]]);
      expect(server.getAvailablePacketCount()).to.equal(0);
    });
    it('drops and counts packets beyond maxQueuedPackets', async () => {
      const server = new ENetMultiplayerPeer({ createConnection: () => new FakeHost(net), maxQueuedPackets: 2 });
      await server.createServer(7000);
      const c = make();
      await c.createClient('127.0.0.1', 7000);
      c.poll();
      server.poll();
      for (let i = 0; i < 5; i++) c.putPacket(enc(String(i)));
      server.poll();
      expect(server.getAvailablePacketCount()).to.equal(2);
      expect(server.droppedPackets).to.equal(3);
    });
  });

  describe('misc', () => {
    it('getPeer/getUniqueId/setBindIp error codes', async () => {
      const p = make();
      expect(codeOf(() => p.getPeer(1))).to.equal('ERR_UNCONFIGURED');
      expect(codeOf(() => p.getUniqueId())).to.equal('ERR_UNCONFIGURED');
      expect(codeOf(() => p.setBindIp('not an ip'))).to.equal('ERR_INVALID_PARAMETER');
      p.setBindIp('127.0.0.1');
      p.setBindIp('::1');
      p.setBindIp('*');
      expect(p.host).to.equal(null);
      p.poll();
    });
    it('a host error closes the server without events', async () => {
      const { server } = await serverWithClients(2);
      log.length = 0;
      (server.host as unknown as FakeHost).push({ type: -1, data: 0, channel: 0 });
      server.poll();
      expect(server.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
      expect(log).to.deep.equal([]);
    });
  });
});
