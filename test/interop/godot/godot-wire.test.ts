// Real-library check: a libenet 1.3.17 peer following Godot 4's ENetMultiplayerPeer wire rules
// (godot-peer.c) talks to our ENetMultiplayerPeer as server and as client (godot-enet.md §2).
import { expect } from 'chai';
import { ENetConnection, EventType } from '@meshpunch/enet';
import { ConnectionStatus, ENetMultiplayerPeer, TransferMode } from '@meshpunch/multiplayer';
import { steadyThrottle } from '../support/steady-throttle.js';
import { buildGodotPeer, GodotPeerProcess, missingPrerequisite, until } from './godot-harness.js';

const hex = (s: string) => Buffer.from(s).toString('hex');
const text = (b: Uint8Array) => Buffer.from(b).toString();
/** Godot's (mode, transfer channel) → (ENet channel, flags as libenet reports them on receipt). */
const MODES = [TransferMode.TRANSFER_MODE_RELIABLE, TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, TransferMode.TRANSFER_MODE_UNRELIABLE];
const RECEIVED_FLAGS: Record<number, number> = { 2: 1, 1: 0, 0: 2 };
const enetChannel = (mode: number, ch: number) => (ch > 0 ? ch + 1 : mode === 2 ? 0 : 1);

describe('Godot 4 wire conventions against libenet (godot-peer.c)', function () {
  let bin = '';
  let cleanup: (() => void) | undefined;
  const procs: GodotPeerProcess[] = [];
  const peers: ENetMultiplayerPeer[] = [];

  before(function () {
    const missing = missingPrerequisite();
    if (missing !== undefined) {
      if (process.env.CI !== 'true') {
        console.log(`  skipping: ${missing}`);
        this.skip();
      }
      throw new Error(`CI=true but ${missing}`);
    }
    const built = buildGodotPeer();
    bin = built.bin;
    cleanup = built.cleanup;
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    for (const p of procs.splice(0)) await p.stop();
  });
  after(() => cleanup?.());

  function harness(args: string[]): GodotPeerProcess {
    const p = new GodotPeerProcess(bin, args);
    procs.push(p);
    return p;
  }
  /**
   * A peer whose links keep their packet throttle at its limit (steadyThrottle, set in the poll
   * that reports each connection): every UNRELIABLE packet sent here must arrive, and on a loaded
   * machine ENet's throttle would otherwise drop some on purpose.
   */
  function peer(): ENetMultiplayerPeer {
    const p = new ENetMultiplayerPeer();
    p.on('peerConnected', (id) => {
      if (p.host !== null) steadyThrottle(p.getPeer(id));
    });
    peers.push(p);
    return p;
  }

  it('our client ↔ Godot-style libenet server: id in CONNECT data, channels 0/1/k+1, flags, echo', async () => {
    const srv = harness(['server', '0', 'echo']);
    const port = Number((await srv.waitFor(/^ready (\d+)$/))[1]);
    const client = peer();
    const events: string[] = [];
    client.on('peerConnected', (id) => events.push(`+${id}`));
    client.on('peerDisconnected', (id) => events.push(`-${id}`));
    await client.createClient('127.0.0.1', port);
    const tick = () => client.poll();
    const m = await srv.waitFor(/^connect (\d+)$/, { tick });
    expect(Number(m[1])).to.equal(client.getUniqueId());
    await until(() => client.getConnectionStatus() === ConnectionStatus.CONNECTION_CONNECTED, tick, 5000, 'client CONNECTED');
    expect(events).to.deep.equal(['+1']);

    for (const mode of MODES) {
      for (const ch of [0, 1, 4]) {
        const payload = `m${mode}c${ch}`;
        client.transferMode = mode;
        client.transferChannel = ch;
        const from = srv.lines.length;
        client.putPacket(Buffer.from(payload));
        const r = await srv.waitFor(new RegExp(`^recv (\\d+) (\\d+) (\\d+) (\\d+) ${hex(payload)}$`), { from, tick });
        expect([Number(r[1]), Number(r[2]), Number(r[3])], payload).to.deep.equal([client.getUniqueId(), enetChannel(mode, ch), RECEIVED_FLAGS[mode]]);
        await until(() => client.getAvailablePacketCount() > 0, tick, 3000, `echo of ${payload}`);
        expect([client.getPacketPeer(), client.getPacketChannel(), client.getPacketMode()], payload).to.deep.equal([1, ch, mode]);
        expect(text(client.getPacket())).to.equal(`echo:${payload}`);
      }
    }

    // A 3000-byte UNRELIABLE packet is sent as unreliable fragments: Godot reports UNRELIABLE_ORDERED.
    srv.command(`send 0 0 0 big:3000`);
    await until(() => client.getAvailablePacketCount() > 0, tick, 3000, 'big unreliable packet');
    expect(client.getPacketMode()).to.equal(TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED);
    expect(client.getPacketChannel()).to.equal(0);
    const big = client.getPacket();
    expect(big.length).to.equal(3000);
    expect(big[10]).to.equal((10 * 7 + 3) & 0xff);

    // Our 3000-byte UNRELIABLE packet reaches libenet as unreliable fragments (flags 8) on
    // channel 1; the Godot-style echo therefore comes back as UNRELIABLE_ORDERED.
    client.transferMode = TransferMode.TRANSFER_MODE_UNRELIABLE;
    client.transferChannel = 0;
    const fromBig = srv.lines.length;
    client.putPacket(new Uint8Array(3000).fill(0x41));
    const rb = await srv.waitFor(/^recv \d+ (\d+) (\d+) 3000 /, { from: fromBig, tick });
    expect([Number(rb[1]), Number(rb[2])]).to.deep.equal([1, 8]);
    await until(() => client.getAvailablePacketCount() > 0, tick, 3000, 'echo of the big packet');
    expect(client.getPacketMode()).to.equal(TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED);
    expect(client.getPacket().length).to.equal(3005);

    // The server disconnects us: peerDisconnected(1), then DISCONNECTED.
    srv.command(`disconnect ${client.getUniqueId()}`);
    await until(() => client.getConnectionStatus() === ConnectionStatus.CONNECTION_DISCONNECTED, tick, 5000, 'client closed');
    expect(events).to.deep.equal(['+1', '-1']);
  });

  it('Godot-style libenet client ↔ our server: id accepted, modes and channels both ways, reject 0/1/duplicate', async () => {
    const server = peer();
    await server.createServer(0);
    const port = (server.host as unknown as { getLocalPort(): number }).getLocalPort();
    const joined: number[] = [];
    const left: number[] = [];
    server.on('peerConnected', (id) => joined.push(id));
    server.on('peerDisconnected', (id) => left.push(id));
    const tick = () => server.poll();

    const c = harness(['client', String(port), '12345']);
    await c.waitFor(/^connect 1$/, { tick });
    await until(() => joined.length === 1, tick, 5000, 'peerConnected(12345)');
    expect(joined).to.deep.equal([12345]);

    for (const mode of MODES) {
      for (const ch of [0, 2, 3]) {
        const payload = `c${mode}/${ch}`;
        c.command(`send 1 ${mode} ${ch} ${hex(payload)}`);
        await until(() => server.getAvailablePacketCount() > 0, tick, 3000, payload);
        expect([server.getPacketPeer(), server.getPacketChannel(), server.getPacketMode()], payload).to.deep.equal([12345, ch, mode]);
        expect(text(server.getPacket())).to.equal(payload);

        const reply = `s${mode}/${ch}`;
        const from = c.lines.length;
        server.transferMode = mode;
        server.transferChannel = ch;
        server.setTargetPeer(12345);
        server.putPacket(Buffer.from(reply));
        const r = await c.waitFor(new RegExp(`^recv 1 (\\d+) (\\d+) \\d+ ${hex(reply)}$`), { from, tick });
        expect([Number(r[1]), Number(r[2])], reply).to.deep.equal([enetChannel(mode, ch), RECEIVED_FLAGS[mode]]);
      }
    }

    // Ids 0, 1 and a duplicate are reset by the server without any event (the libenet client
    // itself sees its CONNECT first, exactly as against Godot).
    const rejectedBefore = server.stats.rejectedConnections;
    for (const id of ['0', '1', '12345']) {
      const bad = harness(['client', String(port), id]);
      await bad.waitFor(/^connect 1$/, { tick });
    }
    await until(() => server.stats.rejectedConnections === rejectedBefore + 3, tick, 3000, '3 rejections');
    expect(joined).to.deep.equal([12345]);

    // The Godot-style client closes (disconnect_now): our server reports it.
    c.command('quit');
    await until(() => left.length === 1, tick, 5000, 'peerDisconnected(12345)');
    expect(left).to.deep.equal([12345]);
  });

  it('mesh link to a libenet peer: a hand-built host handed to addMeshPeer carries Godot-style traffic', async () => {
    const host = new ENetConnection();
    await host.createHostBound('127.0.0.1', 0, 1, 0, 0, 0);
    const c = harness(['client', String(host.getLocalPort()), '777']);
    let connected = false;
    const deadline = Date.now() + 5000;
    while (!connected) {
      if (Date.now() > deadline) throw new Error('libenet peer did not connect');
      for (let ev = host.serviceSync(); ev.type !== EventType.NONE; ev = host.serviceSync()) {
        if (ev.type !== EventType.CONNECT) continue;
        connected = true;
        steadyThrottle(ev.peer!);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const mesh = peer();
    mesh.createMesh(5);
    const events: string[] = [];
    mesh.on('peerConnected', (id) => events.push(`+${id}`));
    mesh.on('peerDisconnected', (id) => events.push(`-${id}`));
    mesh.addMeshPeer(777, host);
    expect(events).to.deep.equal(['+777']);
    const tick = () => mesh.poll();
    for (const mode of MODES) {
      const payload = `mesh${mode}`;
      c.command(`send 1 ${mode} 2 ${hex(payload)}`);
      await until(() => mesh.getAvailablePacketCount() > 0, tick, 3000, payload);
      expect([mesh.getPacketPeer(), mesh.getPacketChannel(), mesh.getPacketMode()]).to.deep.equal([777, 2, mode]);
      expect(text(mesh.getPacket())).to.equal(payload);
      mesh.transferMode = mode;
      mesh.transferChannel = 2;
      const from = c.lines.length;
      mesh.putPacket(Buffer.from(`back${mode}`));
      const r = await c.waitFor(new RegExp(`^recv 1 (\\d+) (\\d+) \\d+ ${hex(`back${mode}`)}$`), { from, tick });
      expect([Number(r[1]), Number(r[2])]).to.deep.equal([3, RECEIVED_FLAGS[mode]]);
    }
    c.command('quit');
    await until(() => events.length === 2, tick, 5000, 'mesh peer left');
    expect(events).to.deep.equal(['+777', '-777']);
  });
});
