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
  type Candidate,
  type PunchOptions,
} from '../../src/index.js';
import { addHost, makeWorld, type Host } from './world.js';

const SECRET = 'pair-secret-0123456789abcdef';

function hostCandidate(h: Host): Candidate[] {
  return [{ type: 'host', address: h.address, port: h.port, priority: candidatePriority('host') }];
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
      new PunchMachine({ role, pairId: '1', secret, startAt: 0, remoteCandidates: [{ type: 'srflx', address: '203.0.113.5', port: 4000, priority: 1 }], random: (x) => x.fill(7), hmacSha1: counting });
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
    const common = { pairId: '1', secret: SECRET, startAt: 0, remoteCandidates: [{ type: 'srflx' as const, address: '203.0.113.5', port: 4000, priority: 1 }], random: (x: Uint8Array) => x.fill(7) };
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
