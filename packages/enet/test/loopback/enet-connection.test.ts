// Adapter tests on real loopback sockets (127.0.0.1 and ::1 only).
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import {
  ENetConnection, ENetError, EventType, FLAG_RELIABLE, FLAG_UNSEQUENCED, HostStatistic, PeerState, PeerStatistic,
  type ENetEvent, type ENetPacketPeer,
} from '../../src/index.js';
import { datagramsArrive, nextEvent as pump, serviceUntil } from './support.js';

async function pair(address: string): Promise<{ server: ENetConnection; client: ENetConnection; cp: ENetPacketPeer; sp: ENetPacketPeer }> {
  const server = new ENetConnection();
  await server.createHostBound(address, 0, 8, 4);
  const client = new ENetConnection();
  await client.createHostBound(address, 0, 1, 4);
  const cp = client.connectToHost(address, server.getLocalPort(), 4, 77);
  expect(cp.getState()).to.equal(PeerState.CONNECTING);
  const sev = await pump([server, client], (ev, h) => ev.type === EventType.CONNECT && h === server);
  expect(sev.data).to.equal(77);
  if (cp.getState() !== PeerState.CONNECTED) await pump([client], (ev) => ev.type === EventType.CONNECT);
  return { server, client, cp, sp: sev.peer! };
}

describe('ENetConnection (loopback)', function () {
  this.timeout(10_000);

  for (const address of ['127.0.0.1', '::1']) {
    it(`connects, exchanges on several channels and disconnects with data over ${address}`, async () => {
      const { server, client, cp, sp } = await pair(address);
      expect(sp.getRemoteAddress()).to.equal(address);
      expect(cp.getChannels()).to.equal(4);
      expect(cp.send(0, Uint8Array.of(1), FLAG_RELIABLE)).to.equal(true);
      expect(cp.send(3, new Uint8Array(5000).fill(9), FLAG_RELIABLE)).to.equal(true);
      expect(cp.send(2, Uint8Array.of(2), FLAG_UNSEQUENCED)).to.equal(true);
      const got: ENetEvent[] = [];
      await pump([server, client], (ev, h) => {
        if (h === server && ev.type === EventType.RECEIVE) got.push(ev);
        return got.length === 3;
      });
      expect(got.map((e) => e.channel).sort()).to.deep.equal([0, 2, 3]);
      expect(got.find((e) => e.channel === 3)!.packet!.length).to.equal(5000);
      // The first ACK sets RTT = max(sample, 1) ms and its variance to (sample + 1) / 2 ≥ 1; before
      // any ACK they are 500 and 0, and neither drops below 1 afterwards (enet-protocol.md §7.1). A
      // variance of 0 here means no ACK ever reached the estimator.
      await serviceUntil([server, client], () => cp.getStatistic(PeerStatistic.ROUND_TRIP_TIME_VARIANCE) >= 1, 'an RTT variance sample');
      expect(cp.getStatistic(PeerStatistic.ROUND_TRIP_TIME_VARIANCE)).to.be.at.least(1);
      expect(cp.getStatistic(PeerStatistic.ROUND_TRIP_TIME)).to.be.at.least(1);
      sp.peerDisconnect(4242);
      const dev = await pump([server, client], (ev, h) => h === client && ev.type === EventType.DISCONNECT);
      expect(dev.data).to.equal(4242);
      expect(dev.peer).to.equal(cp);
      expect(cp.isActive()).to.equal(false);
      expect(server.popStatistic(HostStatistic.TOTAL_RECEIVED_PACKETS)).to.be.greaterThan(0);
      server.destroy();
      client.destroy();
    });
  }

  it('rejects a taken port with ERR_CANT_CREATE', async () => {
    const a = new ENetConnection();
    await a.createHostBound('127.0.0.1', 0);
    const b = new ENetConnection();
    try {
      await b.createHostBound('127.0.0.1', a.getLocalPort());
      expect.fail('bind should fail');
    } catch (err) {
      expect(err).to.be.instanceOf(ENetError);
      expect((err as ENetError).code).to.equal('ERR_CANT_CREATE');
    } finally {
      a.destroy();
    }
  });

  it('rejects bad arguments with ERR_INVALID_PARAMETER and use without a host with ERR_UNCONFIGURED', async () => {
    const c = new ENetConnection();
    expect(() => c.connectToHost('127.0.0.1', 1)).to.throw(ENetError).with.property('code', 'ERR_UNCONFIGURED');
    try {
      await c.createHostBound('not-an-ip', 0);
      expect.fail('should throw');
    } catch (err) {
      expect((err as ENetError).code).to.equal('ERR_INVALID_PARAMETER');
      expect((err as ENetError).message).to.equal('bindAddress must be "*" or an IP address, got "not-an-ip"');
    }
    try {
      await c.createHostBound('127.0.0.1', 0, 5000);
      expect.fail('should throw');
    } catch (err) {
      expect((err as ENetError).message).to.equal('maxPeers must be an integer 1..4095, got 5000');
    }
    await c.createHostBound('127.0.0.1', 0);
    expect(() => c.connectToHost('127.0.0.1', 0)).to.throw('port must be an integer 1..65535, got 0');
    expect(() => c.connectToHost('127.0.0.1', 9, 300)).to.throw('channels must be an integer 0..255, got 300');
    const p = c.connectToHost('127.0.0.1', 9, 0);
    expect(p.getChannels()).to.equal(255);
    expect(() => p.send(0, Uint8Array.of(1), 4)).to.throw('flags must be a combination of 1, 2 and 8, got 4');
    expect(p.send(0, Uint8Array.of(1), FLAG_RELIABLE)).to.equal(false);
    expect(() => p.setTimeout(32, 30000, 5000)).to.throw('setTimeout needs limit <= minMs <= maxMs, got 32, 30000, 5000');
    c.destroy();
  });

  it('lets intercept consume datagrams and socketSend deliver raw bytes', async () => {
    const host = new ENetConnection();
    await host.createHostBound('127.0.0.1', 0);
    const seen: number[][] = [];
    host.intercept = (_from, bytes) => {
      seen.push([...bytes]);
      return bytes[0] === 0xee;
    };
    const raw = createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
    const rawPort = raw.address().port;
    const echoed = new Promise<number[]>((r) => raw.once('message', (m) => r([...m])));
    host.socketSend('127.0.0.1', rawPort, Uint8Array.of(1, 2, 3));
    expect(await echoed).to.deep.equal([1, 2, 3]);
    raw.send(Uint8Array.of(0xee, 1), host.getLocalPort(), '127.0.0.1');
    raw.send(Uint8Array.of(0x00), host.getLocalPort(), '127.0.0.1');
    for (let i = 0; i < 100 && seen.length < 2; i++) await host.service(5);
    expect(seen).to.deep.equal([[0xee, 1], [0x00]]);
    expect(host.statistics!.droppedMalformed).to.equal(1);
    host.intercept = () => {
      throw new Error('hook bug');
    };
    raw.send(Uint8Array.of(0xdd), host.getLocalPort(), '127.0.0.1');
    for (let i = 0; i < 100 && host.interceptErrors === 0; i++) await host.service(5);
    expect(host.interceptErrors).to.equal(1);
    expect(host.statistics!.totalReceivedPackets).to.equal(1);
    raw.close();
    host.destroy();
  });

  it('emits events in autoService mode and then service() sees none', async () => {
    const server = new ENetConnection();
    await server.createHostBound('127.0.0.1', 0);
    server.autoService = true;
    const client = new ENetConnection();
    await client.createHostBound('127.0.0.1', 0);
    client.autoService = true;
    const connected = new Promise<ENetEvent>((r) => server.once('connect', r));
    const clientConnected = new Promise<void>((r) => client.once('connect', () => r()));
    const cp = client.connectToHost('127.0.0.1', server.getLocalPort(), 2, 5);
    const sev = await connected;
    expect(sev.data).to.equal(5);
    const received = new Promise<ENetEvent>((r) => server.once('receive', r));
    await clientConnected;
    cp.send(1, Uint8Array.of(9, 9), FLAG_RELIABLE);
    const rev = await received;
    expect([...rev.packet!]).to.deep.equal([9, 9]);
    expect(rev.channel).to.equal(1);
    expect(server.serviceSync().type).to.equal(EventType.NONE);
    server.destroy();
    client.destroy();
  });

  it('keeps an honest peer working while 2 000 garbage datagrams hit the real socket', async () => {
    const { server, client, cp } = await pair('127.0.0.1');
    const raw = createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
    let seed = 99;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(next() % 100);
      for (let k = 0; k < b.length; k++) b[k] = next() & 0xff;
      if (i % 3 === 0 && b.length > 2) b[0] = 0x80; // peer 0 with SENT_TIME: past the first check
      raw.send(b, server.getLocalPort(), '127.0.0.1');
      if (i % 200 === 0) {
        cp.send(0, Uint8Array.of(i & 0xff), FLAG_RELIABLE);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const got: number[] = [];
    await pump([server, client], (ev, h) => {
      if (h === server && ev.type === EventType.RECEIVE) got.push(ev.packet![0]!);
      return got.length === 10;
    });
    expect(got).to.deep.equal([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800].map((x) => x & 0xff));
    expect(server.statistics!.droppedDatagrams).to.be.greaterThan(100);
    expect(cp.getState()).to.equal(PeerState.CONNECTED);
    raw.close();
    server.destroy();
    client.destroy();
  });

  it('emits the DISCONNECT of a remote graceful disconnect in autoService mode with nothing else arriving', async () => {
    // Godot 3's disconnect_peer (test/interop/godot3) against an autoPoll client: the remote's
    // DISCONNECT arrives, our ACK leaves in the end-of-turn flush, and only writing that ACK
    // makes the peer a zombie with its DISCONNECT event queued. The remote then sends nothing
    // more, so the flush itself has to hand the event out.
    const { server, client, sp } = await pair('127.0.0.1');
    let ev: ENetEvent | undefined;
    client.once('disconnect', (e) => (ev = e));
    client.autoService = true;
    sp.peerDisconnect(42);
    // The server is serviced (it takes our ACK); the client only runs on its own.
    await serviceUntil([server], () => ev !== undefined, "the autoService client's DISCONNECT event", 8000);
    expect(ev!.data).to.equal(42);
    server.destroy();
    client.destroy();
  });

  it('follows the event ownership rule: a waiting service() gets the event, serviceSync() drains the queue, autoService emits what is queued', async () => {
    const { server, client, cp } = await pair('127.0.0.1');
    // A pending service(timeout) receives the first event produced while it waits.
    const waiting = server.service(2000);
    cp.send(0, Uint8Array.of(1), FLAG_RELIABLE);
    const ev = await waiting;
    expect(ev.type).to.equal(EventType.RECEIVE);
    expect([...ev.packet!]).to.deep.equal([1]);
    // Queued events stay in the core until serviceSync() takes them, in order, once each.
    // The three sends of one turn travel in one datagram (4 + 3 × 7 = 25 bytes); wait until the
    // server's core has it.
    const arrived = datagramsArrive(server, 1, (d) => d.length >= 25);
    cp.send(0, Uint8Array.of(2), FLAG_RELIABLE);
    cp.send(0, Uint8Array.of(3), FLAG_RELIABLE);
    cp.send(0, Uint8Array.of(4), FLAG_RELIABLE);
    await arrived;
    const first = server.serviceSync();
    expect([...first.packet!]).to.deep.equal([2]);
    // Switching autoService on emits the rest immediately; service() then sees nothing.
    const emitted: number[] = [];
    server.on('receive', (e) => emitted.push(e.packet![0]!));
    server.autoService = true;
    expect(emitted).to.deep.equal([3, 4]);
    expect((await server.service(0)).type).to.equal(EventType.NONE);
    server.destroy();
    client.destroy();
  });

  it('binds "*" dual-stack and talks to IPv4 and IPv6 peers with IPv4 shown without the v4-mapped prefix', async () => {
    const server = new ENetConnection();
    await server.createHost(4, 2);
    const c4 = new ENetConnection();
    await c4.createHostBound('127.0.0.1', 0);
    const c6 = new ENetConnection();
    await c6.createHostBound('::1', 0);
    c4.connectToHost('127.0.0.1', server.getLocalPort(), 1, 4);
    c6.connectToHost('::1', server.getLocalPort(), 1, 6);
    const seen = new Map<number, string>();
    await pump([server, c4, c6], (e, h) => {
      if (h === server && e.type === EventType.CONNECT) seen.set(e.data, e.peer!.getRemoteAddress());
      return seen.size === 2;
    });
    expect(seen.get(4)).to.equal('127.0.0.1');
    expect(seen.get(6)).to.equal('::1');
    expect(server.getPeers().length).to.equal(2);
    server.destroy();
    c4.destroy();
    c6.destroy();
  });

  it('gets the DISCONNECT of peerDisconnectNow out even when destroy() follows at once', async () => {
    const { server, client, cp } = await pair('127.0.0.1');
    cp.peerDisconnectNow(31);
    client.destroy();
    const ev = await pump([server], (e) => e.type === EventType.DISCONNECT);
    expect(ev.data).to.equal(31);
    server.destroy();
  });
});
