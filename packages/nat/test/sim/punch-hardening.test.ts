// Attacks on the punch machine, performed in the simulator (issue 13 items 6 and 7): forged probes
// that try to use up the real peer's answer budget, and hostile candidates that try to aim our
// probes at addresses no peer can be at.
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import {
  PunchMachine,
  StunAttr,
  StunClass,
  StunMethod,
  StunWriter,
  candidatePriority,
  decodeStunMessage,
  getUsername,
  nodeHmacSha1,
  type RankedCandidate,
  type PunchOptions,
} from '../../src/index.js';
import { addHost, makeWorld, type Host } from './world.js';

const SECRET = 'pair-secret-0123456789abcdef';

function hostCandidate(h: Host): RankedCandidate[] {
  return [{ kind: 'host', family: 4, address: h.address, port: h.port, priority: candidatePriority('host') }];
}

/** The USERNAME of the first probe `m` sends: what an on-path observer reads off the wire. */
function usernameOnTheWire(m: PunchMachine): string {
  m.handleTimeout(m.config.startAt);
  const out = new Uint8Array(1500);
  const n = m.pollTransmit(m.config.startAt, out, { address: '', port: 0 });
  const r = decodeStunMessage(out.subarray(0, n));
  if (!r.ok) throw new Error('the probe did not decode');
  return getUsername(r.message)!;
}

/** A Binding request with `username`, signed with a key that is not the pair secret (and a valid FINGERPRINT). */
function forgedProbe(username: string, txid: number): Uint8Array {
  const out = new Uint8Array(1500);
  const id = new Uint8Array(12);
  new DataView(id.buffer).setUint32(8, txid);
  const w = new StunWriter(out)
    .begin(StunClass.Request, StunMethod.Binding, id)
    .addString(StunAttr.Username, username)
    .addUint32(StunAttr.Priority, candidatePriority('prflx'))
    .addMessageIntegrity(new TextEncoder().encode('not the pair secret, 16+ bytes'), nodeHmacSha1)
    .addFingerprint();
  return out.slice(0, w.length);
}

describe('PunchMachine (forged probes, issue 13 item 6)', function () {
  this.timeout(60_000);

  /**
   * A (connect) and B (listen) are linked with 500 ms keepalives (the agent's). Then 12.8 k forged
   * probes per second hit B for 10 s, carrying the USERNAME read off the wire and a MESSAGE-INTEGRITY
   * made without the secret. Returns how many of A's keepalives in that window B answered.
   */
  function flood(source: 'stranger' | 'spoofed-peer') {
    const world = makeWorld(seedFromEnv(61));
    const ha = addHost(world, 'a', 'none');
    const hb = addHost(world, 'b', 'none');
    const hm = addHost(world, 'mallory', 'none');
    const common = { pairId: '1', secret: SECRET, startAt: 0, hmacSha1: nodeHmacSha1, keepaliveMs: 500 };
    const a = new PunchMachine({ ...common, role: 'connect', remoteCandidates: hostCandidate(hb), localCandidates: hostCandidate(ha), random: (x) => world.prng.fill(x) });
    const b = new PunchMachine({ ...common, role: 'listen', remoteCandidates: hostCandidate(ha), localCandidates: hostCandidate(hb), random: (x) => world.prng.fill(x) });
    const twin = new PunchMachine({ ...common, role: 'connect', remoteCandidates: hostCandidate(hb), random: (x) => world.prng.fill(x) });
    const username = usernameOnTheWire(twin);
    ha.mux.cores.push(a);
    hb.mux.cores.push(b);
    world.driver.runUntil(() => a.state === 'selected' && b.state === 'selected', { maxVirtualMs: 2000 });
    world.driver.runFor(1000);
    const t0 = world.driver.now;
    const sent0 = a.counters.requestsSent;
    const answered0 = a.counters.validResponses;
    const from = source === 'stranger' ? { address: hm.address, port: hm.port } : { address: ha.address, port: ha.port };
    const to = { address: hb.address, port: hb.port };
    const RATE_PER_MS = 12.8;
    const total = Math.round(10_000 * RATE_PER_MS);
    const probe = forgedProbe(username, 1);
    for (let i = 0; i < total; i++) world.net.send(t0 + Math.floor(i / RATE_PER_MS), from, to, probe);
    world.driver.runFor(10_000);
    return { keepalives: a.counters.requestsSent - sent0, answered: a.counters.validResponses - answered0, a, b, total };
  }

  it('derives USERNAMEs from the pair secret: the pair id does not give them away, and a guess costs no HMAC', () => {
    let hmacs = 0;
    const counting: PunchOptions['hmacSha1'] = (key, parts) => {
      hmacs++;
      return nodeHmacSha1(key, parts);
    };
    const make = (secret: string, role: 'connect' | 'listen') =>
      new PunchMachine({ role, pairId: '1', secret, startAt: 0, remoteCandidates: [{ kind: 'srflx', family: 4, address: '203.0.113.5', port: 4000, priority: 1 }], random: (x) => x.fill(7), hmacSha1: counting });
    const u1 = usernameOnTheWire(make(SECRET, 'connect'));
    const u2 = usernameOnTheWire(make('another pair secret, 16+ bytes', 'connect'));
    expect(u1).to.match(/^[0-9a-f]{16}:[0-9a-f]{16}$/);
    expect(u1).to.not.equal(u2);
    expect(u1).to.not.include('1.');
    const b = make(SECRET, 'listen');
    hmacs = 0;
    // The USERNAME pair ids used to give (listen.<pair>:connect.<pair>) and a few other guesses.
    const guesses = ['listen.1:connect.1', 'connect.1:listen.1', u2, `${u1.split(':')[1]}:${u1.split(':')[0]}`];
    for (let i = 0; i < guesses.length; i++) b.handleDatagram(i, { address: '203.0.113.9', port: 5000 }, forgedProbe(guesses[i]!, i));
    expect(b.counters.unknownUsername).to.equal(guesses.length);
    expect(hmacs).to.equal(0);
    // The real USERNAME from the wire gets an HMAC, which fails.
    b.handleDatagram(10, { address: '203.0.113.9', port: 5000 }, forgedProbe(u1, 99));
    expect([b.counters.badIntegrity, b.counters.responsesSent, hmacs]).to.deep.equal([1, 0, 1]);
  });

  it('bounds the HMACs that unauthenticated probes cost, however many sources they come from', () => {
    let hmacs = 0;
    const counting: PunchOptions['hmacSha1'] = (key, parts) => {
      hmacs++;
      return nodeHmacSha1(key, parts);
    };
    const common = { pairId: '1', secret: SECRET, startAt: 0, remoteCandidates: [{ kind: 'srflx' as const, family: 4 as const, address: '203.0.113.5', port: 4000, priority: 1 }], random: (x: Uint8Array) => x.fill(7) };
    const username = usernameOnTheWire(new PunchMachine({ ...common, role: 'connect', hmacSha1: nodeHmacSha1 }));
    const b = new PunchMachine({ ...common, role: 'listen', hmacSha1: counting, timeoutMs: 60_000 });
    hmacs = 0;
    const probe = forgedProbe(username, 1);
    // 10 s at 12.8 k/s: half from one source, half from 6,400 rotating spoofed sources.
    for (let i = 0; i < 128_000; i++) {
      const now = Math.floor(i / 12.8);
      const from = i % 2 === 0 ? { address: '203.0.113.9', port: 5000 } : { address: `198.51.100.${1 + (i % 200)}`, port: 1024 + (i % 32) };
      b.handleDatagram(now, from, probe);
      while (b.pollTransmit(now, new Uint8Array(1500), { address: '', port: 0 }) > 0);
    }
    // Total limit: 400/s for 10 s plus an 80-token burst; every other probe is a counter.
    expect(hmacs).to.be.at.most(400 * 10 + 80);
    expect(b.counters.badIntegrity).to.equal(hmacs);
    expect(b.counters.unauthenticatedLimited).to.equal(128_000 - hmacs);
    expect([b.counters.responsesSent, b.counters.rateLimited]).to.deep.equal([0, 0]);
  });

  for (const source of ['stranger', 'spoofed-peer'] as const) {
    it(`answers every keepalive of the real peer while 12.8 k forged probes/s arrive (${source})`, () => {
      const r = flood(source);
      console.log(`      forged from ${source}: ${r.answered} of ${r.keepalives} keepalives answered; B counters ${JSON.stringify(r.b.counters)}`);
      expect(r.keepalives).to.be.within(19, 21);
      expect(r.answered).to.equal(r.keepalives);
      expect(r.a.state).to.equal('selected');
    });
  }
});

export type { PunchOptions };

describe('PunchMachine (hostile candidates, issue 13 item 7)', () => {
  const SECRET7 = 'pair-secret-0123456789abcdef';
  const c = (kind: RankedCandidate['kind'], address: string, port: number): RankedCandidate =>
    ({ kind, family: address.includes(':') ? 6 : 4, address, port, priority: candidatePriority(kind) });

  /** Runs a machine with the agent's pacing until it ends; returns the probes sent per destination address. */
  function probesSent(m: PunchMachine): Map<string, number> {
    const out = new Uint8Array(1500);
    const to = { address: '', port: 0 };
    const sent = new Map<string, number>();
    for (let now = 0; now <= 10_000 && m.state !== 'failed'; now++) {
      if ((m.pollTimeout() ?? Infinity) <= now) m.handleTimeout(now);
      for (let n = m.pollTransmit(now, out, to); n > 0; n = m.pollTransmit(now, out, to)) sent.set(to.address, (sent.get(to.address) ?? 0) + 1);
    }
    return sent;
  }

  function machine(remote: RankedCandidate[], local: RankedCandidate[], over: Partial<PunchOptions> = {}): PunchMachine {
    let seed = 1;
    return new PunchMachine({
      role: 'listen', pairId: '1', secret: SECRET7, startAt: 0, remoteCandidates: remote, localCandidates: local,
      random: (b) => b.fill(seed++ & 0xff), hmacSha1: nodeHmacSha1, paceMs: 10, burstMs: 500, timeoutMs: 5000, ...over,
    });
  }

  const HOSTILE: RankedCandidate[] = [
    c('host', '224.0.0.251', 5353), c('srflx', '239.255.255.250', 1900), c('host', '255.255.255.255', 9), c('host', 'ff02::1', 5353),
    c('host', '127.0.0.1', 22), c('srflx', '::1', 22), c('host', '169.254.169.254', 80), c('srflx', '10.0.0.1', 53),
    c('host', '240.0.0.1', 7), c('upnp', '192.168.1.1', 80), c('host', '0.0.0.0', 9),
  ];

  it('sends no probe to multicast, broadcast, reserved, loopback or LAN addresses a public peer gives', () => {
    // We are a host on the internet: no loopback, no LAN address of ours.
    const m = machine([...HOSTILE, c('srflx', '203.0.113.7', 4000)], [c('host', '198.51.100.5', 40000)]);
    const sent = probesSent(m);
    console.log(`      probes per destination: ${JSON.stringify(Object.fromEntries(sent))}`);
    expect([...sent.keys()]).to.deep.equal(['203.0.113.7']);
    expect(m.counters.candidatesRejected).to.equal(HOSTILE.length);
    expect(m.rejectedCandidates().map((r) => `${r.address}:${r.port} ${r.reason}`)).to.deep.equal([
      '224.0.0.251:5353 multicast', '239.255.255.250:1900 multicast', '255.255.255.255:9 broadcast', 'ff02::1:5353 multicast',
      '127.0.0.1:22 loopback', '::1:22 loopback', '169.254.169.254:80 no-shared-lan', '10.0.0.1:53 private-not-host',
      '240.0.0.1:7 reserved', '192.168.1.1:80 private-not-host', '0.0.0.0:9 unspecified',
    ]);
  });

  it('fails with no-candidates when every candidate was refused, and says which and why', () => {
    const m = machine(HOSTILE, [c('host', '198.51.100.5', 40000)]);
    expect(probesSent(m).size).to.equal(0);
    expect(m.failure).to.equal('no-candidates');
    expect(m.rejectedCandidates()).to.have.length(HOSTILE.length);
  });

  it('probes LAN host candidates only when we are on a LAN of that family, and loopback only when we are on loopback', () => {
    const remote = [c('host', '192.168.1.7', 4000), c('host', 'fd00::7', 4000), c('srflx', '192.168.1.8', 4000), c('host', '127.0.0.1', 4001)];
    const lan = machine(remote, [c('host', '192.168.1.5', 40000), c('srflx', '203.0.113.9', 40000)]);
    expect([...probesSent(lan).keys()].sort()).to.deep.equal(['192.168.1.7']);
    expect(lan.rejectedCandidates().map((r) => r.reason)).to.deep.equal(['no-shared-lan', 'private-not-host', 'loopback']);
    const lo = machine(remote, [c('host', '127.0.0.1', 40000)]);
    expect([...probesSent(lo).keys()]).to.deep.equal(['127.0.0.1']);
  });

  it('accepts at most maxRemoteCandidates (16) from the peer, the rest refused as too-many', () => {
    const many = Array.from({ length: 40 }, (_, i) => c('srflx', `203.0.113.${i + 1}`, 4000));
    const m = machine(many, [c('host', '198.51.100.5', 40000)]);
    expect(m.timeline()).to.have.length(16);
    for (let i = 0; i < 5; i++) m.addRemoteCandidate(0, c('srflx', `198.51.100.${i + 10}`, 4000));
    expect(m.timeline()).to.have.length(16);
    expect(m.counters.candidatesRejected).to.equal(29);
    expect(new Set(m.rejectedCandidates().map((r) => r.reason))).to.deep.equal(new Set(['too-many']));
    expect(probesSent(m).size).to.equal(16);
  });

  it('never answers or learns a validly signed request from a multicast or broadcast source', () => {
    const peer = new PunchMachine({ role: 'connect', pairId: '1', secret: SECRET7, startAt: 0, remoteCandidates: [c('srflx', '198.51.100.5', 40000)], random: (b) => b.fill(9), hmacSha1: nodeHmacSha1 });
    peer.handleTimeout(0);
    const out = new Uint8Array(1500);
    const n = peer.pollTransmit(0, out, { address: '', port: 0 });
    const m = machine([c('srflx', '203.0.113.7', 4000)], [c('host', '198.51.100.5', 40000)], { startAt: 1000 });
    for (const address of ['224.0.0.1', '255.255.255.255', '0.0.0.0', 'ff02::1']) m.handleDatagram(0, { address, port: 5353 }, out.subarray(0, n));
    expect(m.counters.badSources).to.equal(4);
    expect([m.counters.validRequests, m.counters.peerReflexiveLearned, m.pollTransmit(0, out, { address: '', port: 0 })]).to.deep.equal([0, 0, 0]);
    // The same request from a real address is answered.
    m.handleDatagram(0, { address: '203.0.113.7', port: 4000 }, out.subarray(0, n));
    expect(m.counters.validRequests).to.equal(1);
  });
});
