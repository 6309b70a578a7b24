// Hostile input against a server with live clients: malformed datagrams and out-of-range ids
// must never crash it nor disturb the clients (DESIGN rule 4).
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { ENetConnection } from '@meshpunch/enet';
import { ENetMultiplayerPeer, MultiplayerError } from '../../src/index.js';
import { pump, pumpFor, recordEvents } from './pump.js';

/** Deterministic xorshift32 so a failure is reproducible. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

describe('ENetMultiplayerPeer under bad input (loopback)', function () {
  let server: ENetMultiplayerPeer;
  let clients: ENetMultiplayerPeer[];
  let port: number;
  let serverLog: string[];

  beforeEach(async () => {
    server = new ENetMultiplayerPeer();
    server.setBindIp('127.0.0.1');
    await server.createServer(0);
    port = (server.host as ENetConnection).getLocalPort();
    serverLog = recordEvents(server);
    clients = [];
    for (let i = 0; i < 2; i++) {
      const c = new ENetMultiplayerPeer();
      await c.createClient('127.0.0.1', port);
      clients.push(c);
    }
    await pump([server, ...clients], () => serverLog.length === 2, 'clients connected');
  });
  afterEach(() => {
    for (const p of [server, ...clients]) p.close();
  });

  async function stillWorks(): Promise<void> {
    for (const c of clients) c.putPacket(new Uint8Array([1, 2, 3]));
    server.putPacket(new Uint8Array([4, 5]));
    await pump([server, ...clients], () => server.getAvailablePacketCount() === 2 && clients.every((c) => c.getAvailablePacketCount() === 1), 'traffic after bad input');
    expect(serverLog.filter((l) => l.startsWith('-'))).to.deep.equal([]);
  }

  it('survives random, truncated and mutated datagrams', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const rnd = prng(0x5eed);
    const datagrams: Buffer[] = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0xff, 0xff]), Buffer.from([0x8f, 0xff, 0, 0])];
    // ENet-looking headers (peer id 0xFFF = none, sent-time flag) with garbage commands.
    for (let i = 0; i < 300; i++) {
      const len = 1 + (rnd() % 200);
      const b = Buffer.alloc(len);
      for (let k = 0; k < len; k++) b[k] = rnd() & 0xff;
      if (i % 3 === 0 && len >= 4) {
        b[0] = 0x8f;
        b[1] = 0xff;
      }
      if (i % 5 === 0 && len >= 5) b[4] = 0x82; // CONNECT command with ACK flag, garbage body
      datagrams.push(b);
    }
    for (const d of datagrams) sock.send(d, port, '127.0.0.1');
    await pumpFor([server, ...clients], 100);
    sock.close();
    await stillWorks();
  });

  it('rejects out-of-range CONNECT ids and keeps serving', async () => {
    const raws: ENetConnection[] = [];
    for (const data of [0, 1, 0x80000000, 0xfffffffe, 0xffffffff, clients[0]!.getUniqueId()]) {
      const h = new ENetConnection();
      await h.createHost(1);
      h.connectToHost('127.0.0.1', port, 0, data);
      raws.push(h);
    }
    const svc = () => raws.forEach((h) => h.serviceSync());
    await pump([server, ...clients], () => server.stats.rejectedConnections === raws.length, 'all rejected', 5000, svc);
    expect(serverLog).to.have.length(2);
    for (const h of raws) h.destroy();
    await stillWorks();
  });

  it('rejects out-of-range targets and ids in the API without side effects', async () => {
    for (const t of [2 ** 31, -(2 ** 31), 1.5, NaN]) expect(() => server.setTargetPeer(t)).to.throw(MultiplayerError);
    for (const t of [0x7fffffff, -0x7fffffff, 12345]) {
      server.setTargetPeer(t);
      expect(() => server.putPacket(new Uint8Array(1))).to.throw(MultiplayerError);
    }
    server.setTargetPeer(0);
    expect(() => server.disconnectPeer(-1)).to.throw(MultiplayerError);
    expect(() => server.getPeer(0)).to.throw(MultiplayerError);
    await stillWorks();
  });
});
