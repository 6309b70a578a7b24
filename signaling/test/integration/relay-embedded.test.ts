// The embedded TURN relay of meshpunch-signal (relay.md §2(b)) over real sockets on loopback:
// credentials from the service, membership, revocation, permission rules, quotas, caps, floods,
// fuzz; each outcome also read from /metrics over HTTP.
import { expect } from 'chai';
import { randomFillSync, randomInt } from 'node:crypto';
import { decodeStunMessage, encodeBindingRequest, mintTurnRestCredential, newTransactionId, nodeHmacSha1, parseTurnRestUsername } from '@meshpunch/nat';
import type { SignalingServerOptions, RelayServiceOptions } from '../../src/adapter/signaling-server.js';
import { defaultRelayPorts } from '../../src/adapter/embedded-relay.js';
import { SignalingError } from '../../src/errors.js';
import { startTestServer } from '../support/server.js';
import { RelayWorld, eventually, nextDatagram, rejection } from '../support/relay.js';

const SECRET = 'relay-test-secret';

async function world(relay: RelayServiceOptions = {}, extra: Partial<SignalingServerOptions> = {}): Promise<RelayWorld> {
  const base = randomInt(20_000, 30_000);
  const server = await startTestServer({
    stun: {},
    relay: { secret: SECRET, relayPorts: { min: base, max: base + 199 }, allowLoopback: true, ...relay },
    ...extra,
  });
  return new RelayWorld(server);
}

describe('embedded relay (meshpunch-signal)', function () {
  this.timeout(30_000);
  let w: RelayWorld | undefined;

  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('is on by default on the STUN port: welcome.relay, Allocate, permission, ChannelData both ways', async () => {
    w = await world();
    const [a] = await w.lobby(2);
    expect(a!.client.relay).to.deep.equal({ servers: [{ port: w.server.stunPort, transport: 'udp' }] });
    const t = await w.turn(a!.cred);
    const { relayed } = await t.allocate();
    expect(relayed.address).to.equal('127.0.0.1');
    expect(w.server.relay!.boundPorts).to.deep.equal([relayed.port]);
    const peer = await w.socket();
    await t.createPermission('127.0.0.1');
    const got = new Promise<Buffer>((res) => t.once('data', (p) => res(Buffer.from(p))));
    peer.send(Buffer.from('hello from peer'), relayed.port, '127.0.0.1');
    expect((await got).toString()).to.equal('hello from peer');
    const peerAddr = { address: '127.0.0.1', port: peer.address().port };
    await t.bindChannel(peerAddr);
    const back = nextDatagram(peer, 2000);
    t.send(peerAddr, Buffer.from('hello from client'));
    const d = await back;
    expect(d?.msg.toString()).to.equal('hello from client');
    expect(d?.from.port).to.equal(relayed.port);
    const m = await w.metrics();
    expect(m.get('relay_allocations')).to.equal(1);
    expect(m.get('relay_allocations_total{result="created"}')).to.equal(1);
    expect(m.get('relay_datagrams_total{direction="to_peer"}')).to.equal(1);
    expect(m.get('relay_datagrams_total{direction="to_client"}')).to.equal(1);
    expect(m.get('relay_requests_total{method="channel_bind",code="ok"}')).to.equal(1);
    expect(m.get('relay_credentials_total{result="minted"}')).to.equal(2);
    expect(m.get('relay_ports_free')).to.equal(199);
    // Binding requests on the shared port still reach the STUN responder: one from the peer's socket.
    const before = m.get('stun_requests_total{result="answered"}') ?? 0;
    const answer = nextDatagram(peer, 2000);
    const req = new Uint8Array(64);
    const len = encodeBindingRequest(req, newTransactionId((b) => randomFillSync(b)), {});
    peer.send(req.subarray(0, len), w.server.stunPort!, '127.0.0.1');
    const a2 = await answer;
    expect(a2?.from.port, 'no Binding answer from the shared port').to.equal(w.server.stunPort);
    expect(decodeStunMessage(a2!.msg).ok).to.equal(true);
    expect((await w.metrics()).get('stun_requests_total{result="answered"}')).to.equal(before + 1);
  });

  it('answers 401 to a wrong secret and to an expired credential (allocations_total{auth})', async () => {
    w = await world();
    const [a] = await w.lobby(2);
    const { member } = parseTurnRestUsername(a!.cred.username)!;
    const [tag, id] = [member.slice(0, member.lastIndexOf('.')), member.slice(member.lastIndexOf('.') + 1)];
    const nowS = Math.floor(Date.now() / 1000);
    const wrong = mintTurnRestCredential(new TextEncoder().encode('not-the-secret'), tag, id, nowS + 600, nodeHmacSha1);
    const expired = mintTurnRestCredential(new TextEncoder().encode(SECRET), tag, id, nowS - 5, nodeHmacSha1);
    for (const cred of [wrong, expired]) {
      const e = await rejection((await w.turn(cred)).allocate());
      expect(e.details, e.message).to.deep.include({ reason: 'unauthorized' });
    }
    const m = await w.metrics();
    expect(m.get('relay_allocations_total{result="auth"}')).to.equal(2);
    expect(m.get('relay_requests_total{method="allocate",code="401"}')).to.be.at.least(4);
    expect([m.get('relay_allocations'), w.server.relay!.boundPorts.length]).to.deep.equal([0, 0]);
  });

  it('ends a departed member\'s allocations at once (within 1 s asked), and its credential then gets 401', async () => {
    w = await world();
    const [, b] = await w.lobby(2);
    const t = await w.turn(b!.cred);
    const { relayed } = await t.allocate();
    expect(w.server.relay!.allocations).to.equal(1);
    await b!.client.leave();
    // Revoked in the same turn that handled the leave, before its `ok` was sent: no wait at all.
    expect([w.server.relay!.allocations, w.server.relay!.boundPorts]).to.deep.equal([0, []]);
    expect(relayed.port).to.be.greaterThan(0);
    const again = await rejection((await w.turn(b!.cred)).allocate());
    expect(again.details).to.deep.include({ reason: 'unauthorized' });
    const m = await w.metrics();
    expect(m.get('relay_allocations_ended_total{reason="member_left"}')).to.equal(1);
    expect(m.get('relay_allocations_total{result="membership"}')).to.equal(1);
    expect(m.get('relay_allocations')).to.equal(0);
  });

  it('answers 403 to permissions toward a non-member, private, loopback or multicast address', async () => {
    w = await world({ allowLoopback: false });
    const a = await w.client();
    const b = await w.client();
    const { lobby } = await a.createLobby();
    const startA = a.next('pairStart');
    await b.joinLobby(lobby.code);
    const pair = (await startA).pair;
    const t = await w.turn(await a.relayCredentials());
    await t.allocate();
    for (const ip of ['198.51.100.7', '10.0.1.2', '127.0.0.1', '224.0.0.1']) {
      const e = await rejection(t.createPermission(ip));
      expect(e.details, ip).to.deep.include({ code: 403 });
    }
    // A public address the other member sent as a candidate for their pair is permitted.
    const got = a.next('candidates');
    await b.sendCandidates(pair, [{ kind: 'srflx', family: 4, address: '203.0.113.5', port: 40000 }], { done: true });
    await got;
    await t.createPermission('203.0.113.5');
    const m = await w.metrics();
    expect(m.get('relay_requests_total{method="create_permission",code="403"}')).to.equal(4);
    expect(m.get('relay_requests_total{method="create_permission",code="ok"}')).to.equal(1);
  });

  it('drops and counts a non-member spraying a relayed port; the client sees nothing', async () => {
    w = await world();
    const [a] = await w.lobby(2);
    const t = await w.turn(a!.cred);
    const { relayed } = await t.allocate();
    await t.createPermission('127.0.0.1');
    let seen = 0;
    t.on('data', () => seen++);
    const sprayer = await w.socket('127.0.0.2');
    for (let i = 0; i < 200; i++) sprayer.send(Buffer.alloc(100, i), relayed.port, '127.0.0.1');
    // All 200 reach the relay unless a loaded kernel drops some first; none may reach the client.
    await eventually(() => w!.server.relay!.counters.dropped.no_permission >= 200, 3000);
    const dropped = w.server.relay!.counters.dropped.no_permission;
    expect(dropped).to.be.within(100, 200);
    expect(seen).to.equal(0);
    const m = await w.metrics();
    expect(m.get('relay_dropped_total{reason="no_permission"}')).to.equal(dropped);
    expect(m.get('relay_datagrams_total{direction="to_client"}')).to.equal(0);
  });

  it('answers 486 past the per-member quota, 508 past the total and past the permission cap', async () => {
    w = await world({ limits: { maxAllocationsPerMember: 2, maxAllocations: 3, maxPermissionsPerAllocation: 1 } });
    const [a, b] = await w.lobby(2);
    await (await w.turn(a!.cred)).allocate();
    const a2 = await w.turn(a!.cred);
    await a2.allocate();
    const q = await rejection((await w.turn(a!.cred)).allocate());
    expect(q.details).to.deep.include({ code: 486 });
    await (await w.turn(b!.cred, '127.0.0.2')).allocate();
    const c = await rejection((await w.turn(b!.cred)).allocate());
    expect(c.details).to.deep.include({ code: 508 });
    // b's TURN traffic came from 127.0.0.2: a may permit it, and 127.0.0.1 (b's WebSocket source).
    await a2.createPermission('127.0.0.1');
    const p = await rejection(a2.createPermission('127.0.0.2'));
    expect(p.details).to.deep.include({ code: 508 });
    const m = await w.metrics();
    expect(m.get('relay_allocations_total{result="quota"}')).to.equal(1);
    expect(m.get('relay_allocations_total{result="capacity"}')).to.equal(1);
    expect(m.get('relay_requests_total{method="allocate",code="486"}')).to.equal(1);
    expect(m.get('relay_requests_total{method="create_permission",code="508"}')).to.equal(1);
    expect(m.get('relay_allocations')).to.equal(3);
  });

  it('keeps a flooded allocation under its byte cap while another lobby\'s relayed traffic and joins flow', async () => {
    const cap = 64 * 1024;
    w = await world({ limits: { bytesPerSecondPerAllocation: cap } });
    const [fa] = await w.lobby(2);
    const flood = await w.turn(fa!.cred);
    await flood.allocate();
    const sink = await w.socket();
    let sunk = 0;
    sink.on('message', (msg) => (sunk += msg.length));
    const sinkAddr = { address: '127.0.0.1', port: sink.address().port };
    await flood.bindChannel(sinkAddr);
    const [qa] = await w.lobby(2);
    const quiet = await w.turn(qa!.cred);
    const { relayed } = await quiet.allocate();
    const echo = await w.socket();
    echo.on('message', (msg, r) => echo.send(msg, r.port, r.address));
    const echoAddr = { address: '127.0.0.1', port: echo.address().port };
    await quiet.bindChannel(echoAddr);
    let echoed = 0;
    quiet.on('data', () => echoed++);
    // 10× the cap for 2 s, in 20 ms bursts of 1000 B datagrams.
    const payload = Buffer.alloc(1000, 7);
    const started = Date.now();
    const perTick = Math.ceil((10 * cap) / 1000 / 50);
    let joins = 0;
    for (let tick = 0; tick < 100; tick++) {
      for (let i = 0; i < perTick; i++) flood.send(sinkAddr, payload);
      quiet.send(echoAddr, Buffer.from(`ping ${tick}`));
      if (tick % 20 === 0) {
        const c = await w.client();
        const j = await c.createLobby();
        if (j.you === 1) joins++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(() => echoed >= 100, 5000);
    const elapsedS = (Date.now() - started) / 1000;
    // The bucket starts full (cap/4), then refills at cap per second.
    expect(sunk).to.be.at.most(cap * elapsedS + cap / 4 + 1000);
    expect(sunk).to.be.at.least(cap);
    // All 100 unless the loaded kernel drops some on the shared control socket; a starved quiet
    // allocation would see next to none.
    expect(echoed).to.be.at.least(90);
    expect(joins).to.equal(5);
    void relayed;
    const m = await w.metrics();
    expect(m.get('relay_dropped_total{reason="over_rate"}')).to.be.greaterThan(0);
  });

  it('rate-limits an unauthenticated Allocate flood from one IP while another IP still allocates', async () => {
    w = await world({ limits: { unauthenticatedPerSecondPerIp: 20 } });
    const [a] = await w.lobby(2);
    const flooder = await w.socket('127.0.0.3');
    let answers = 0;
    flooder.on('message', () => answers++);
    // A bare Allocate request (no credentials): REQUESTED-TRANSPORT UDP, fresh transaction ids.
    const req = Buffer.from('000300082112a442000000000000000000000000001900041100000000', 'hex').subarray(0, 28);
    const started = Date.now();
    for (let i = 0; i < 5000; i++) {
      req.writeUInt32BE(i, 16);
      flooder.send(req, w.server.stunPort!, '127.0.0.1');
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
    }
    const t = await w.turn(a!.cred, '127.0.0.4');
    await t.allocate();
    // Wait (bounded) until the relay has read everything that reached it.
    const c = w.server.relay!.counters;
    let last = -1;
    await eventually(() => {
      const now = c.requests.allocate['401'];
      const settled = now === last;
      last = now;
      return settled;
    }, 10_000);
    const elapsedS = (Date.now() - started) / 1000;
    // Challenges owed to the flooder (the legitimate client's one aside), and those actually sent.
    const owed = c.requests.allocate['401'] - 1;
    const sent = owed - c.unauthenticatedDropped;
    expect(sent).to.be.at.most(40 + Math.ceil(20 * elapsedS) + 1);
    expect(c.unauthenticatedDropped).to.be.greaterThan(0);
    expect(answers).to.be.at.most(sent);
    expect(answers).to.be.at.least(1);
    const m = await w.metrics();
    expect(m.get('relay_unauthenticated_dropped_total')).to.equal(c.unauthenticatedDropped);
    expect(m.get('relay_allocations')).to.equal(1);
    expect(w.server.relay!.boundPorts.length).to.equal(1);
  });

  it('survives 10^5 fuzzed datagrams on the control port and a relayed port', async function () {
    this.timeout(120_000);
    w = await world();
    const [a] = await w.lobby(2);
    const t = await w.turn(a!.cred);
    const { relayed } = await t.allocate();
    await t.createPermission('127.0.0.1');
    const fuzzer = await w.socket();
    const seeds = [
      Buffer.from('000300082112a442000000000000000000000000001900041100000000', 'hex').subarray(0, 28),
      Buffer.from('40000004deadbeef', 'hex'),
      Buffer.from('0001000c2112a4420102030405060708090a0b0c802800045a5a5a5a', 'hex'),
    ];
    let state = 0x1234567;
    const rnd = (n: number): number => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % n;
    };
    for (let i = 0; i < 100_000; i++) {
      let d: Buffer;
      if (i % 3 === 0) {
        d = Buffer.alloc(rnd(200));
        for (let k = 0; k < d.length; k++) d[k] = rnd(256);
      } else {
        d = Buffer.from(seeds[i % seeds.length]!);
        for (let k = 0; k < 1 + rnd(4); k++) d[rnd(d.length)] = rnd(256);
        if (rnd(4) === 0) d = d.subarray(0, rnd(d.length + 1));
      }
      fuzzer.send(d, i % 2 === 0 ? w.server.stunPort! : relayed.port, '127.0.0.1');
      if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 300));
    // Still serving: the allocation relays, a new member allocates, /metrics answers.
    const got = new Promise<Buffer>((res) => t.once('data', (p) => res(Buffer.from(p))));
    const peer = await w.socket();
    peer.send(Buffer.from('after fuzz'), relayed.port, '127.0.0.1');
    expect((await got).toString()).to.equal('after fuzz');
    const [b] = await w.lobby(2);
    await (await w.turn(b!.cred)).allocate();
    const m = await w.metrics();
    expect(m.get('relay_allocations')).to.equal(2);
    expect((m.get('relay_dropped_total{reason="malformed"}') ?? 0) + (m.get('relay_dropped_total{reason="unbound_channel"}') ?? 0) + (m.get('relay_dropped_total{reason="no_permission"}') ?? 0)).to.be.greaterThan(1000);
  });

  it('keeps its default relayed ports clear of a control port inside 49152-65535 (as --port 0 may pick)', async () => {
    expect(defaultRelayPorts(8787)).to.deep.equal({ min: 49152, max: 65535 });
    expect(defaultRelayPorts(50000)).to.deep.equal({ min: 50001, max: 65535 });
    expect(defaultRelayPorts(60000)).to.deep.equal({ min: 49152, max: 59999 });
    expect(defaultRelayPorts(65535)).to.deep.equal({ min: 49152, max: 65534 });
    // A STUN port in the default range starts, and allocates outside it. The port must lie in
    // that range, so it is chosen here: the start itself is retried on a taken port (before: a
    // probe bound and closed it first, and another process could take it in between: EADDRINUSE).
    let port = 0;
    for (let i = 0; i < 20 && w === undefined; i++) {
      port = randomInt(50_000, 60_000);
      try {
        w = new RelayWorld(await startTestServer({ stun: { port }, relay: { secret: SECRET, allowLoopback: true } }));
      } catch (err) {
        if (!(err instanceof SignalingError && err.code === 'SIG_LISTEN_FAILED')) throw err;
      }
    }
    expect(w, 'no free STUN port in 50000-60000 in 20 tries').to.not.equal(undefined);
    expect(w!.server.stunPort).to.equal(port);
    const [a] = await w!.lobby(2);
    const { relayed } = await (await w!.turn(a!.cred)).allocate();
    expect(relayed.port).to.not.equal(port);
    expect(relayed.port).to.be.within(49152, 65535);
  });

  it('is off with relay: false and with embedded: false (coturn only), on without STUN never', async () => {
    w = await world({ embedded: false, turnServers: [{ host: '127.0.0.1', port: 3478 }] });
    expect(w.server.relay).to.equal(undefined);
    const c = await w.client();
    expect(c.relay).to.deep.equal({ servers: [{ host: '127.0.0.1', port: 3478, transport: 'udp' }] });
    const m = await w.metrics();
    expect(m.has('relay_allocations')).to.equal(false);
    await w.close();
    w = await world({ turnServers: [{ host: '127.0.0.1', port: 3478 }] });
    const d = await w.client();
    expect(d.relay).to.deep.equal({ servers: [{ host: '127.0.0.1', port: 3478, transport: 'udp' }, { port: w.server.stunPort, transport: 'udp' }] });
  });
});
