// ENetMultiplayerPeer server + 3 clients over real loopback UDP with @meshpunch/enet:
// ids, events, routing, every transfer mode and channels 1..4, refusal, close/disconnect.
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { ENetConnection } from '@meshpunch/enet';
import { ConnectionStatus, ENetMultiplayerPeer, MultiplayerError, TransferMode } from '../../src/index.js';
import { pump, pumpFor, recordEvents } from './pump.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const MODES = [TransferMode.TRANSFER_MODE_UNRELIABLE, TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, TransferMode.TRANSFER_MODE_RELIABLE];

interface Got {
  from: number;
  channel: number;
  mode: number;
  text: string;
}
function drain(p: ENetMultiplayerPeer): Got[] {
  const out: Got[] = [];
  while (p.getAvailablePacketCount() > 0) {
    const from = p.getPacketPeer();
    const channel = p.getPacketChannel();
    const mode = p.getPacketMode();
    out.push({ from, channel, mode, text: dec(p.getPacket()) });
  }
  return out;
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MultiplayerError);
    return (err as MultiplayerError).code;
  }
  return undefined;
}

/** Makes ENet notice a dead remote within ~0.5 s instead of 5–30 s (ENet defaults). */
function fastTimeout(p: ENetMultiplayerPeer, id: number): void {
  p.getPeer(id).setTimeout(4, 200, 500);
}

describe('ENetMultiplayerPeer server + clients (loopback)', function () {
  let server: ENetMultiplayerPeer;
  let clients: ENetMultiplayerPeer[];
  let port: number;
  let serverLog: string[];
  let clientLogs: string[][];
  const all = () => [server, ...clients];
  const extra: ENetMultiplayerPeer[] = [];

  beforeEach(async () => {
    server = new ENetMultiplayerPeer();
    server.setBindIp('127.0.0.1');
    await server.createServer(0, 8, 4);
    port = (server.host as ENetConnection).getLocalPort();
    serverLog = recordEvents(server);
    clients = [];
    clientLogs = [];
    for (let i = 0; i < 3; i++) {
      const c = new ENetMultiplayerPeer();
      await c.createClient('127.0.0.1', port, 4);
      clientLogs.push(recordEvents(c));
      clients.push(c);
    }
    await pump(all(), () => serverLog.length === 3 && clientLogs.every((l) => l.length === 1), '3 clients connected');
  });
  afterEach(() => {
    for (const p of [...all(), ...extra.splice(0)]) p.close();
  });

  it('gives clients unique ids ≥ 2 and emits peerConnected on both sides', () => {
    const ids = clients.map((c) => c.getUniqueId());
    expect(new Set(ids).size).to.equal(3);
    for (const id of ids) expect(id).to.be.within(2, 0x7fffffff);
    expect([...serverLog].sort()).to.deep.equal(ids.map((id) => `+${id}`).sort());
    for (const l of clientLogs) expect(l).to.deep.equal(['+1']);
    for (const c of clients) expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTED);
    expect(server.getUniqueId()).to.equal(1);
  });

  it('broadcasts, sends to one, and to all but one (negative target)', async () => {
    const [a, b, c] = clients.map((x) => x.getUniqueId()) as [number, number, number];
    server.putPacket(enc('all'));
    server.setTargetPeer(b);
    server.putPacket(enc('only-b'));
    server.setTargetPeer(-a);
    server.putPacket(enc('not-a'));
    await pump(all(), () => clients.reduce((n, x) => n + x.getAvailablePacketCount(), 0) === 6, '6 packets');
    const got = clients.map((x) => drain(x).map((p) => `${p.from}:${p.text}`));
    expect(got).to.deep.equal([['1:all'], ['1:all', '1:only-b', '1:not-a'], ['1:all', '1:not-a']]);
    expect(c).to.not.equal(a);
  });

  it('delivers client → server with the sender id', async () => {
    clients.forEach((c, i) => c.putPacket(enc(`from-${i}`)));
    await pump(all(), () => server.getAvailablePacketCount() === 3, '3 packets at server');
    const got = drain(server).map((p) => `${p.from}:${p.text}`).sort();
    expect(got).to.deep.equal(clients.map((c, i) => `${c.getUniqueId()}:from-${i}`).sort());
  });

  it('reports the transfer mode and channel of every mode on channels 0..4, both directions', async () => {
    const c = clients[0]!;
    const want: Got[] = [];
    for (const mode of MODES) {
      for (let ch = 0; ch <= 4; ch++) {
        c.transferMode = mode;
        c.transferChannel = ch;
        c.putPacket(enc(`m${mode}c${ch}`));
        want.push({ from: c.getUniqueId(), channel: ch, mode, text: `m${mode}c${ch}` });
      }
    }
    await pump(all(), () => server.getAvailablePacketCount() === want.length, 'all packets at server');
    const got = drain(server);
    const key = (g: Got) => g.text;
    expect([...got].sort((x, y) => key(x).localeCompare(key(y)))).to.deep.equal([...want].sort((x, y) => key(x).localeCompare(key(y))));

    server.setTargetPeer(c.getUniqueId());
    for (const mode of MODES) {
      for (let ch = 0; ch <= 4; ch++) {
        server.transferMode = mode;
        server.transferChannel = ch;
        server.putPacket(enc(`s${mode}c${ch}`));
      }
    }
    await pump(all(), () => c.getAvailablePacketCount() === 15, 'all packets at client');
    for (const g of drain(c)) expect(g.text).to.equal(`s${g.mode}c${g.channel}`);
  });

  it('sends the bytes as they were at putPacket time, even if the caller reuses the buffer', async () => {
    const buf = enc('first');
    clients[0]!.putPacket(buf);
    buf.set(enc('XXXXX'));
    clients[0]!.putPacket(buf);
    await pump(all(), () => server.getAvailablePacketCount() === 2, 'two packets');
    expect(drain(server).map((g) => g.text)).to.deep.equal(['first', 'XXXXX']);
  });

  it('reports a fragmented UNRELIABLE packet as UNRELIABLE_ORDERED, as Godot does', async () => {
    const c = clients[1]!;
    c.transferMode = TransferMode.TRANSFER_MODE_UNRELIABLE;
    const big = new Uint8Array(4000).map((_, i) => i & 0xff);
    c.putPacket(big);
    c.putPacket(enc('small'));
    await pump(all(), () => server.getAvailablePacketCount() === 2, 'both packets');
    const modes: Record<number, number> = {};
    while (server.getAvailablePacketCount() > 0) {
      const mode = server.getPacketMode();
      const data = server.getPacket();
      modes[data.length] = mode;
      if (data.length === 4000) expect(data[3999]).to.equal(3999 & 0xff);
    }
    expect(modes).to.deep.equal({ 4000: TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, 5: TransferMode.TRANSFER_MODE_UNRELIABLE });
  });

  it('refuses new connections while refuseNewConnections is set; the refused client times out', async () => {
    server.refuseNewConnections = true;
    const late = new ENetMultiplayerPeer();
    extra.push(late);
    const lateLog = recordEvents(late);
    await late.createClient('127.0.0.1', port);
    // ENet completes the handshake before the server (Godot) resets it: the client sees +1 first.
    await pump([...all(), late], () => lateLog.length === 1, 'refused client sees its ENet CONNECT');
    fastTimeout(late, 1);
    await pump([...all(), late], () => late.getConnectionStatus() === ConnectionStatus.CONNECTION_DISCONNECTED, 'refused client times out', 8000);
    expect(lateLog).to.deep.equal(['+1', '-1']);
    expect(serverLog.length).to.equal(3);
    expect(server.stats.rejectedConnections).to.equal(1);

    server.refuseNewConnections = false;
    const ok = new ENetMultiplayerPeer();
    extra.push(ok);
    await ok.createClient('127.0.0.1', port);
    await pump([...all(), ok], () => serverLog.length === 4, 'accepted after refusal ends');
    expect(serverLog[3]).to.equal(`+${ok.getUniqueId()}`);
  });

  it('rejects CONNECT data 0, 1, ≥ 2^31 and duplicate ids without events', async () => {
    const raws: ENetConnection[] = [];
    for (const data of [0, 1, 0x80000000, 0xffffffff, clients[0]!.getUniqueId()]) {
      const h = new ENetConnection();
      await h.createHost(1);
      h.connectToHost('127.0.0.1', port, 0, data);
      raws.push(h);
    }
    const serviceRaws = () => raws.forEach((h) => h.serviceSync());
    await pump(all(), () => server.stats.rejectedConnections === 5, '5 rejections', 5000, serviceRaws);
    await pumpFor(all(), 50, serviceRaws);
    expect(serverLog.length).to.equal(3);
    for (const h of raws) h.destroy();
  });

  it('close() emits nothing locally; the others see peerDisconnected', async () => {
    const gone = clients[2]!;
    const goneId = gone.getUniqueId();
    gone.close();
    expect(clientLogs[2]).to.deep.equal(['+1']);
    expect(gone.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
    await pump(all(), () => serverLog.includes(`-${goneId}`), 'server sees the close');

    serverLog.length = 0;
    server.close();
    expect(serverLog).to.deep.equal([]);
    await pump(clients.slice(0, 2), () => clientLogs[0]!.length === 2 && clientLogs[1]!.length === 2, 'clients see the server close');
    expect(clientLogs[0]).to.deep.equal(['+1', '-1']);
    expect(clients[0]!.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
  });

  it('disconnectPeer(id) emits peerDisconnected on both sides; force skips the local event', async () => {
    const [a, b] = clients.map((x) => x.getUniqueId()) as [number, number];
    server.disconnectPeer(a);
    await pump(all(), () => serverLog.includes(`-${a}`) && clientLogs[0]!.includes('-1'), 'graceful disconnect');

    server.disconnectPeer(b, true);
    expect(() => server.getPeer(b)).to.throw(MultiplayerError);
    await pump(all(), () => clientLogs[1]!.includes('-1'), 'forced client sees the disconnect');
    await pumpFor(all(), 50);
    expect(serverLog.filter((l) => l.startsWith('-'))).to.deep.equal([`-${a}`]);

    const c = clients[2]!;
    const cid = c.getUniqueId();
    c.disconnectPeer(1, true);
    expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
    expect(clientLogs[2]).to.deep.equal(['+1']);
    await pump(all(), () => serverLog.includes(`-${cid}`), 'server sees the client leave');
  });

  it('throws Godot’s error code for every misuse', async () => {
    const c = clients[0]!;
    expect(await codeOf(() => server.createServer(0))).to.equal('ERR_ALREADY_IN_USE');
    expect(await codeOf(() => c.createClient('127.0.0.1', port))).to.equal('ERR_ALREADY_IN_USE');
    expect(await codeOf(() => server.createMesh(3))).to.equal('ERR_ALREADY_IN_USE');
    expect(await codeOf(() => server.addMeshPeer(3, new ENetConnection()))).to.equal('ERR_UNCONFIGURED');
    server.setTargetPeer(999);
    expect(await codeOf(() => server.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
    server.setTargetPeer(-1);
    expect(await codeOf(() => server.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
    c.setTargetPeer(clients[1]!.getUniqueId());
    expect(await codeOf(() => c.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
    expect(await codeOf(() => server.disconnectPeer(999))).to.equal('ERR_INVALID_PARAMETER');
    expect(await codeOf(() => server.getPeer(999))).to.equal('ERR_INVALID_PARAMETER');
    expect(await codeOf(() => c.getPeer(server.getUniqueId() + 1))).to.equal('ERR_INVALID_PARAMETER');

    // A second server on the same port cannot bind.
    const clash = new ENetMultiplayerPeer();
    clash.setBindIp('127.0.0.1');
    expect(await codeOf(() => clash.createServer(port))).to.equal('ERR_CANT_CREATE');
    expect(await codeOf(() => clash.createClient('127.0.0.1', 0))).to.equal('ERR_CANT_CREATE');
    expect(await codeOf(() => clash.putPacket(enc('x')))).to.equal('ERR_UNCONFIGURED');
    expect(await codeOf(() => clash.disconnectPeer(1))).to.equal('ERR_UNCONFIGURED');
    expect(await codeOf(() => clash.getUniqueId())).to.equal('ERR_UNCONFIGURED');

    // A client may not send before it is connected.
    const early = new ENetMultiplayerPeer();
    extra.push(early);
    await early.createClient('127.0.0.1', port);
    expect(await codeOf(() => early.putPacket(enc('x')))).to.equal('ERR_UNCONFIGURED');
  });

  it('limits a server to maxChannels + 2 ENet channels (Godot’s create_server bug not copied)', async () => {
    const small = new ENetMultiplayerPeer();
    extra.push(small);
    small.setBindIp('127.0.0.1');
    await small.createServer(0, 4, 1);
    const host = small.host as ENetConnection;
    expect(host.getMaxChannels()).to.equal(3);
    const joined: number[] = [];
    small.on('peerConnected', (id) => joined.push(id));
    const c = new ENetMultiplayerPeer();
    extra.push(c);
    await c.createClient('127.0.0.1', host.getLocalPort());
    await pump([small, c], () => joined.length === 1 && c.getConnectionStatus() === ConnectionStatus.CONNECTION_CONNECTED, 'joined');
    expect(c.getPeer(1).getChannels()).to.equal(3);
    c.transferChannel = 1; // ENet channel 2: exists
    c.putPacket(enc('ok'));
    c.transferChannel = 2; // ENet channel 3: beyond the 3 negotiated, refused as in Godot
    c.putPacket(enc('refused'));
    expect(c.stats.refusedSends).to.equal(1);
    await pump([small, c], () => small.getAvailablePacketCount() === 1, 'the packet on channel 1');
    expect([small.getPacketChannel(), dec(small.getPacket())]).to.deep.equal([1, 'ok']);
  });

  it('connects by the name "localhost" and over IPv6 loopback to a wildcard-bound server', async () => {
    const wild = new ENetMultiplayerPeer();
    extra.push(wild);
    await wild.createServer(0);
    const wport = (wild.host as ENetConnection).getLocalPort();
    const joined: number[] = [];
    wild.on('peerConnected', (id) => joined.push(id));
    const byName = new ENetMultiplayerPeer();
    const byV6 = new ENetMultiplayerPeer();
    extra.push(byName, byV6);
    await byName.createClient('localhost', wport);
    await byV6.createClient('::1', wport);
    await pump([wild, byName, byV6], () => joined.length === 2, 'both joined');
    expect(joined.sort()).to.deep.equal([byName.getUniqueId(), byV6.getUniqueId()].sort());
  });

  it('binds a client to bind IP:localPort when localPort is given (for NAT punching)', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const localPort = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = new ENetMultiplayerPeer();
    extra.push(c);
    c.setBindIp('127.0.0.1');
    await c.createClient('127.0.0.1', port, 0, 0, 0, localPort);
    expect((c.host as ENetConnection).getLocalPort()).to.equal(localPort);
    await pump([...all(), c], () => serverLog.length === 4, 'joined');
    expect(server.getPeer(c.getUniqueId()).getRemotePort()).to.equal(localPort);
  });

  it('autoPoll + packet event: works without calling poll()', async () => {
    const got: string[] = [];
    server.on('packet', (data, from, channel, mode) => got.push(`${from}/${channel}/${mode}/${dec(data)}`));
    server.autoPoll = true;
    const c = clients[0]!;
    c.autoPoll = true;
    c.transferChannel = 2;
    c.putPacket(enc('auto'));
    const deadline = Date.now() + 3000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(got).to.deep.equal([`${c.getUniqueId()}/2/2/auto`]);
    expect(server.getAvailablePacketCount()).to.equal(0);
  });
});
