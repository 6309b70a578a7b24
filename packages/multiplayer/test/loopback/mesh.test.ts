// A 4-peer mesh over real loopback UDP: each pair's ENetConnections are built by hand (bind,
// connect, service until connected) and handed to addMeshPeer, as the agent does (docs/design.md).
import { expect } from 'chai';
import { ENetConnection, EventType } from '@meshpunch/enet';
import { ENetMultiplayerPeer, MultiplayerError, TransferMode } from '../../src/index.js';
import { pump, recordEvents } from './pump.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Binds two hosts on loopback, connects a → b, services both until each saw its CONNECT. */
async function connectPair(): Promise<[ENetConnection, ENetConnection]> {
  const a = new ENetConnection();
  const b = new ENetConnection();
  await a.createHostBound('127.0.0.1', 0, 1, 0, 0, 0);
  await b.createHostBound('127.0.0.1', 0, 1, 0, 0, 0);
  a.connectToHost('127.0.0.1', b.getLocalPort(), 0, 0);
  let aUp = false;
  let bUp = false;
  const deadline = Date.now() + 5000;
  while (!(aUp && bUp)) {
    if (Date.now() > deadline) throw new Error('pair did not connect');
    for (;;) {
      const ev = a.serviceSync();
      if (ev.type === EventType.NONE) break;
      if (ev.type === EventType.CONNECT) aUp = true;
    }
    for (;;) {
      const ev = b.serviceSync();
      if (ev.type === EventType.NONE) break;
      if (ev.type === EventType.CONNECT) bUp = true;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return [a, b];
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

describe('ENetMultiplayerPeer mesh of 4 (loopback)', function () {
  const IDS = [1, 20, 300, 4000];
  let mesh: ENetMultiplayerPeer[];
  let logs: string[][];
  /** hosts[i][j] = the host peer i uses to talk to peer j. */
  let hosts: ENetConnection[][];
  const loose: ENetConnection[] = [];

  beforeEach(async () => {
    mesh = IDS.map((id) => {
      const p = new ENetMultiplayerPeer();
      p.createMesh(id);
      return p;
    });
    logs = mesh.map(recordEvents);
    hosts = IDS.map(() => []);
    for (let i = 0; i < 4; i++) {
      for (let j = i + 1; j < 4; j++) {
        const [a, b] = await connectPair();
        hosts[i]![j] = a;
        hosts[j]![i] = b;
        mesh[i]!.addMeshPeer(IDS[j]!, a);
        mesh[j]!.addMeshPeer(IDS[i]!, b);
      }
    }
  });
  afterEach(() => {
    for (const p of mesh) p.close();
    for (const h of loose.splice(0)) {
      try {
        h.destroy();
      } catch {
        // already destroyed by the test
      }
    }
  });

  it('emits peerConnected for each added peer, synchronously', () => {
    for (let i = 0; i < 4; i++) {
      expect([...logs[i]!].sort()).to.deep.equal(IDS.filter((_, j) => j !== i).map((id) => `+${id}`).sort());
      expect(mesh[i]!.getUniqueId()).to.equal(IDS[i]);
    }
  });

  it('carries all-to-all traffic in every mode and on channels 0..4 with sender, mode and channel', async () => {
    let expected = 0;
    for (let i = 0; i < 4; i++) {
      for (const mode of [TransferMode.TRANSFER_MODE_RELIABLE, TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, TransferMode.TRANSFER_MODE_UNRELIABLE]) {
        for (const ch of [0, 1, 4]) {
          mesh[i]!.transferMode = mode;
          mesh[i]!.transferChannel = ch;
          mesh[i]!.setTargetPeer(0);
          mesh[i]!.putPacket(enc(`${IDS[i]}|${mode}|${ch}`));
          expected += 3;
        }
      }
      // Targeted and all-but-one, reliable on channel 0.
      mesh[i]!.transferMode = TransferMode.TRANSFER_MODE_RELIABLE;
      mesh[i]!.transferChannel = 0;
      const next = IDS[(i + 1) % 4]!;
      mesh[i]!.setTargetPeer(next);
      mesh[i]!.putPacket(enc(`${IDS[i]}|to|${next}`));
      mesh[i]!.setTargetPeer(-next);
      mesh[i]!.putPacket(enc(`${IDS[i]}|notto|${next}`));
      expected += 1 + 2;
    }
    const total = () => mesh.reduce((n, p) => n + p.getAvailablePacketCount(), 0);
    await pump(mesh, () => total() === expected, `${expected} packets`);
    for (let j = 0; j < 4; j++) {
      const p = mesh[j]!;
      while (p.getAvailablePacketCount() > 0) {
        const from = p.getPacketPeer();
        const channel = p.getPacketChannel();
        const mode = p.getPacketMode();
        const [src, a, b] = dec(p.getPacket()).split('|');
        expect(Number(src)).to.equal(from);
        expect(from).to.not.equal(IDS[j]);
        if (a === 'to') expect(Number(b)).to.equal(IDS[j]);
        else if (a === 'notto') expect(Number(b)).to.not.equal(IDS[j]);
        else expect([mode, channel]).to.deep.equal([Number(a), Number(b)]);
      }
    }
    mesh[0]!.setTargetPeer(-IDS[0]!);
    expect(codeOf(() => mesh[0]!.putPacket(enc('x')))).to.equal('ERR_INVALID_PARAMETER');
  });

  it('reports a peer that close()s to every other peer, and the closer emits nothing', async () => {
    for (const l of logs) l.length = 0;
    mesh[3]!.close();
    const gone = `-${IDS[3]}`;
    await pump(mesh.slice(0, 3), () => logs.slice(0, 3).every((l) => l.includes(gone)), 'all see the close');
    expect(logs[3]).to.deep.equal([]);
    expect(logs.slice(0, 3)).to.deep.equal([[gone], [gone], [gone]]);
  });

  it('reports a peer that dies silently (ENet timeout) to every other peer', async () => {
    for (const i of [0, 1, 3]) mesh[i]!.getPeer(IDS[2]!).setTimeout(4, 200, 500);
    for (const l of logs) l.length = 0;
    // Peer 2 "crashes": its sockets vanish without a DISCONNECT and it never polls again.
    for (let j = 0; j < 4; j++) if (j !== 2) hosts[2]![j]!.destroy();
    const others = [mesh[0]!, mesh[1]!, mesh[3]!];
    const gone = `-${IDS[2]}`;
    await pump(others, () => [0, 1, 3].every((i) => logs[i]!.includes(gone)), 'all see the timeout', 8000);
    expect([logs[0], logs[1], logs[3]]).to.deep.equal([[gone], [gone], [gone]]);
    // The survivors still talk.
    mesh[0]!.setTargetPeer(IDS[3]!);
    mesh[0]!.putPacket(enc('still here'));
    await pump(others, () => mesh[3]!.getAvailablePacketCount() === 1, 'survivor traffic');
    expect(dec(mesh[3]!.getPacket())).to.equal('still here');
    mesh[2]!.close();
  });

  it('autoPoll: packets and departures arrive as events without poll(), and can be switched back', async () => {
    const got: string[][] = IDS.map(() => []);
    mesh.forEach((p, i) => {
      p.autoPoll = true;
      p.on('packet', (data, from, channel, mode) => got[i]!.push(`${from}/${channel}/${mode}/${dec(data)}`));
    });
    for (const h of hosts[0]!.filter(Boolean)) expect(h.autoService).to.equal(true);
    mesh[0]!.transferChannel = 3;
    mesh[0]!.putPacket(enc('hi'));
    const wait = async (cond: () => boolean, what: string) => {
      const deadline = Date.now() + 5000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    await wait(() => got.slice(1).every((g) => g.length === 1), 'packets by event');
    expect(got.slice(1)).to.deep.equal([['1/3/2/hi'], ['1/3/2/hi'], ['1/3/2/hi']]);
    for (const l of logs) l.length = 0;
    mesh[1]!.close();
    await wait(() => [0, 2, 3].every((i) => logs[i]!.includes(`-${IDS[1]}`)), 'departure by event');
    // Back to frame-driven: hosts leave autoService and poll() delivers again.
    mesh[0]!.autoPoll = false;
    for (const h of [hosts[0]![2]!, hosts[0]![3]!]) expect(h.autoService).to.equal(false);
    mesh[0]!.removeAllListeners('packet');
    mesh[2]!.setTargetPeer(IDS[0]!);
    mesh[2]!.putPacket(enc('polled'));
    await pump([mesh[0]!], () => mesh[0]!.getAvailablePacketCount() === 1, 'polled packet');
    expect(dec(mesh[0]!.getPacket())).to.equal('polled');
  });

  it('resets a stranger connecting to a mesh host that has a free slot', async () => {
    // The listener host here has 2 slots, so ENet accepts the stranger and the mesh must reset it.
    const a = new ENetConnection();
    const b = new ENetConnection();
    const stranger = new ENetConnection();
    loose.push(a, stranger);
    await a.createHostBound('127.0.0.1', 0, 1, 0, 0, 0);
    await b.createHostBound('127.0.0.1', 0, 2, 0, 0, 0);
    await stranger.createHost(1);
    a.connectToHost('127.0.0.1', b.getLocalPort(), 0, 0);
    const svc = (h: ENetConnection) => {
      for (let ev = h.serviceSync(); ev.type !== EventType.NONE; ev = h.serviceSync());
    };
    const deadline = Date.now() + 5000;
    while (b.getPeers().filter((x) => x.getState() === 5).length < 1 || a.getPeers()[0]?.getState() !== 5) {
      if (Date.now() > deadline) throw new Error('pair did not connect');
      svc(a);
      svc(b);
      await new Promise((r) => setTimeout(r, 1));
    }
    const m = new ENetMultiplayerPeer();
    m.createMesh(50);
    const mLog = recordEvents(m);
    // A host the caller left in autoService mode still works once handed over.
    b.autoService = true;
    m.addMeshPeer(51, b);
    expect(b.autoService).to.equal(false);
    stranger.connectToHost('127.0.0.1', b.getLocalPort(), 0, 777);
    await pump([m], () => m.stats.rejectedMeshConnections === 1, 'stranger reset', 5000, () => {
      svc(a);
      svc(stranger);
    });
    expect(mLog).to.deep.equal(['+51']);
    // The real mesh peer still gets through.
    a.getPeers()[0]!.send(0, enc('from a'), 1);
    await pump([m], () => m.getAvailablePacketCount() === 1, 'traffic after the stranger', 5000, () => svc(a));
    expect([m.getPacketPeer(), dec(m.getPacket())]).to.deep.equal([51, 'from a']);
    m.close();
  });

  it('addMeshPeer rejects hosts with 0 peers, 2 peers or an unconnected peer', async () => {
    const p = new ENetMultiplayerPeer();
    p.createMesh(9);
    const empty = new ENetConnection();
    loose.push(empty);
    await empty.createHostBound('127.0.0.1', 0, 1, 0, 0, 0);
    expect(codeOf(() => p.addMeshPeer(2, empty))).to.equal('ERR_INVALID_PARAMETER');

    const connecting = new ENetConnection();
    loose.push(connecting);
    await connecting.createHost(1);
    connecting.connectToHost('127.0.0.1', empty.getLocalPort(), 0, 0);
    expect(codeOf(() => p.addMeshPeer(2, connecting))).to.equal('ERR_INVALID_PARAMETER');

    const two = new ENetConnection();
    loose.push(two);
    await two.createHostBound('127.0.0.1', 0, 2, 0, 0, 0);
    const c1 = new ENetConnection();
    const c2 = new ENetConnection();
    loose.push(c1, c2);
    await c1.createHost(1);
    await c2.createHost(1);
    c1.connectToHost('127.0.0.1', two.getLocalPort(), 0, 0);
    c2.connectToHost('127.0.0.1', two.getLocalPort(), 0, 0);
    const deadline = Date.now() + 5000;
    while (two.getPeers().filter((x) => x.getState() === 5).length < 2 && Date.now() < deadline) {
      for (const h of [two, c1, c2]) while (h.serviceSync().type !== EventType.NONE);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(two.getPeers().length).to.equal(2);
    expect(codeOf(() => p.addMeshPeer(2, two))).to.equal('ERR_INVALID_PARAMETER');
    expect(codeOf(() => mesh[0]!.addMeshPeer(IDS[1]!, c1))).to.equal('ERR_ALREADY_IN_USE');
    p.close();
  });
});
