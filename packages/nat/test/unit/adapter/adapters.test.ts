import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import {
  NatError,
  PunchSession,
  candidatePriority,
  createInterceptTransport,
  discoverNat,
  gatherCandidates,
  parseStunServer,
  stunBinding,
  udpTransport,
  type PunchEvent,
} from '../../../src/index.js';
import { LoopbackStunServer, boundSocket } from './loopback-stun.js';

const SECRET = 'loopback-pair-secret-0123456789';

describe('adapters (loopback only)', () => {
  const sockets: Socket[] = [];
  const servers: LoopbackStunServer[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
    for (const s of servers.splice(0)) s.close();
  });
  async function sock(address?: string): Promise<Socket> {
    const s = await boundSocket(address);
    sockets.push(s);
    return s;
  }
  async function server(plain = false): Promise<LoopbackStunServer> {
    const s = await LoopbackStunServer.start(plain);
    servers.push(s);
    return s;
  }

  describe('#parseStunServer', () => {
    const rows: Array<[string, { host: string; port: number } | string]> = [
      ['stun.example.org', { host: 'stun.example.org', port: 3478 }],
      ['203.0.113.10:3479', { host: '203.0.113.10', port: 3479 }],
      ['stun:[2001:db8::1]:5349', { host: '2001:db8::1', port: 5349 }],
      ['2001:db8::1', { host: '2001:db8::1', port: 3478 }],
      ['host:0', 'STUN server port must be 1..65535, got "0"'],
      ['host:x1', 'STUN server port must be 1..65535, got "x1"'],
      ['', 'STUN server must be host[:port], got ""'],
    ];
    for (const [input, want] of rows) {
      it(`parses ${JSON.stringify(input)}`, () => {
        if (typeof want === 'string') expect(() => parseStunServer(input)).to.throw(NatError, want);
        else expect(parseStunServer(input)).to.deep.equal(want);
      });
    }
  });

  describe('#stunBinding over udpTransport', () => {
    it('learns the socket\'s own address from a loopback server and leaves non-STUN datagrams to the app', async () => {
      const srv = await server(true);
      const s = await sock();
      const appSaw: number[] = [];
      s.on('message', (m) => appSaw.push(m[0]!));
      const t = udpTransport(s);
      const r = await stunBinding(t, srv.primary);
      expect(r.mapped).to.deep.equal({ family: 4, address: '127.0.0.1', port: s.address().port });
      expect(t.counters.stunReceived).to.equal(1);
      // An ENet-looking datagram reaches the app listener and not the STUN path.
      const other = await sock();
      await new Promise<void>((res) => other.send(Uint8Array.of(0x80, 0, 3, 0xe9), s.address().port, '127.0.0.1', () => res()));
      await new Promise((res) => setTimeout(res, 50));
      expect(t.counters.otherReceived).to.equal(1);
      expect(appSaw).to.include(0x80);
      t.detach();
    });

    it('rejects with NAT_STUN_TIMEOUT after its (shortened) schedule when nobody answers', async () => {
      const srv = await server(true);
      srv.silent = true;
      const t = udpTransport(await sock());
      try {
        await stunBinding(t, srv.primary, { rtoMs: 10, requestCount: 2, lastWaitFactor: 2 });
        expect.fail('resolved');
      } catch (err) {
        expect(err).to.be.instanceOf(NatError);
        expect((err as NatError).code).to.equal('NAT_STUN_TIMEOUT');
        expect((err as NatError).details.requestsSent).to.equal(2);
      }
      expect(srv.requests).to.equal(2);
    });

    it('rejects with NAT_STUN_CANCELLED when aborted', async () => {
      const srv = await server(true);
      srv.silent = true;
      const t = udpTransport(await sock());
      const ac = new AbortController();
      const p = stunBinding(t, srv.primary, { signal: ac.signal });
      setTimeout(() => ac.abort(), 20);
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect((err as NatError).code).to.equal('NAT_STUN_CANCELLED');
    });
  });

  describe('#discoverNat', () => {
    it('runs the RFC 5780 tests against a two-address loopback server: no NAT, no filtering', async () => {
      const srv = await server(false);
      const s = await sock();
      const r = await discoverNat(udpTransport(s), {
        servers: [srv.primary],
        localAddresses: [{ address: '127.0.0.1', port: s.address().port }],
        portSamples: 1,
      });
      expect([r.udp, r.rfc5780, r.mapping, r.filtering, r.portAllocation]).to.deep.equal([true, true, 'none', 'endpoint-independent', 'preserving']);
      expect(r.otherAddress?.address).to.equal('127.0.0.2');
    });
  });

  describe('#gatherCandidates', () => {
    it('lists host candidates from the given interfaces plus srflx and upnp', async () => {
      const srv = await server(true);
      const s = await sock();
      const port = s.address().port;
      const r = await gatherCandidates(udpTransport(s), {
        port,
        interfaces: { eth0: [{ address: '192.168.1.20', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: '192.168.1.20/24' }] },
        stunServers: [srv.primary],
        upnp: { address: '203.0.113.101', port: 51000 },
      });
      expect(r.candidates.map((c) => `${c.kind} ${c.address}:${c.port}`)).to.deep.equal([
        `host 192.168.1.20:${port}`, 'upnp 203.0.113.101:51000', `srflx 127.0.0.1:${port}`,
      ]);
      expect(r.errors).to.deep.equal([]);
    });
  });

  describe('PunchSession', () => {
    it('proves a loopback path between two sockets, keeps it, and stops', async () => {
      const a = await sock();
      const b = await sock();
      const cand = (s: Socket) => [{ kind: 'host' as const, family: 4 as const, address: '127.0.0.1', port: s.address().port, priority: candidatePriority('host') }];
      const pa = new PunchSession(udpTransport(a), { role: 'connect', pairId: 'lo', secret: SECRET, remoteCandidates: cand(b), localCandidates: cand(a) });
      const pb = new PunchSession(udpTransport(b), { role: 'listen', pairId: 'lo', secret: SECRET, remoteCandidates: cand(a), localCandidates: cand(b) });
      const seen: string[] = [];
      pb.on('selected', (e: PunchEvent) => seen.push(e.type));
      const [ra, rb] = await Promise.all([pa.result, pb.result]);
      expect([ra.address, ra.port, ra.path]).to.deep.equal(['127.0.0.1', b.address().port, 'lan']);
      expect([rb.address, rb.port]).to.deep.equal(['127.0.0.1', a.address().port]);
      expect(seen).to.deep.equal(['selected']);
      expect(pa.timeline()[0]!.provenAt).to.be.a('number');
      pa.stop();
      pb.stop();
      expect([pa.machine.state, pb.machine.state]).to.deep.equal(['stopped', 'stopped']);
    });

    it('punches over IPv6 loopback (udp6 sockets, ::1 candidates)', async () => {
      const v6 = async () => {
        const s = createSocket('udp6');
        sockets.push(s);
        await new Promise<void>((res, rej) => { s.once('error', rej); s.bind(0, '::1', () => res()); });
        return s;
      };
      const a = await v6();
      const b = await v6();
      const cand = (s: Socket) => [{ kind: 'host' as const, family: 6 as const, address: '::1', port: s.address().port, priority: candidatePriority('host') }];
      const pa = new PunchSession(udpTransport(a), { role: 'connect', pairId: 'lo6', secret: SECRET, remoteCandidates: cand(b), localCandidates: cand(a) });
      const pb = new PunchSession(udpTransport(b), { role: 'listen', pairId: 'lo6', secret: SECRET, remoteCandidates: cand(a), localCandidates: cand(b) });
      const [ra] = await Promise.all([pa.result, pb.result]);
      expect([ra.address, ra.port, ra.path, ra.localReflexive?.address]).to.deep.equal(['::1', b.address().port, 'lan', '::1']);
      pa.stop();
      pb.stop();
    });

    it('rejects with NAT_PUNCH_FAILED and a typed reason when the peer is silent', async () => {
      const a = await sock();
      const silent = await sock();
      const pa = new PunchSession(udpTransport(a), {
        role: 'connect', pairId: 'lo', secret: SECRET, timeoutMs: 200,
        remoteCandidates: [{ kind: 'host', family: 4, address: '127.0.0.1', port: silent.address().port, priority: 1 }],
        localCandidates: [{ kind: 'host', family: 4, address: '127.0.0.1', port: a.address().port, priority: 1 }],
      });
      const err = await pa.result.then(() => undefined, (e: unknown) => e as NatError);
      expect(err?.code).to.equal('NAT_PUNCH_FAILED');
      expect(err?.details.reason).to.equal('timeout');
      expect((err?.details.timeline as unknown[]).length).to.equal(1);
    });
  });
});

describe('createInterceptTransport', () => {
  it('lets STUN through to handlers (consumed) and hands ENet datagrams back to the host', () => {
    const sent: Array<[string, number, number]> = [];
    const it = createInterceptTransport((a, p, b) => sent.push([a, p, b.length]));
    const stunReq = new Uint8Array(Buffer.from('000100002112a442000102030405060708090a0b', 'hex'));
    const enet = Uint8Array.of(0x80, 0x00, 0x03, 0xe9, 0x01, 0xff, 0x00, 0x01);
    expect(it.intercept(stunReq, { address: '127.0.0.1', port: 1 })).to.equal(false);
    const got: number[] = [];
    const off = it.transport.onStun((b) => got.push(b.length));
    expect(it.intercept(stunReq, { address: '127.0.0.1', port: 1 })).to.equal(true);
    expect(it.intercept(enet, { address: '127.0.0.1', port: 1 })).to.equal(false);
    it.transport.send('127.0.0.1', 9, stunReq);
    off();
    expect(it.intercept(stunReq, { address: '127.0.0.1', port: 1 })).to.equal(false);
    expect(got).to.deep.equal([20]);
    expect(sent).to.deep.equal([['127.0.0.1', 9, 20]]);
  });
});
