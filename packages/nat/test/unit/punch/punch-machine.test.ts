import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { NatError, PunchMachine, StunClient, candidatePriority, nodeHmacSha1, type PunchOptions } from '../../../src/index.js';
import { RFC5769_REQUEST, RFC5769_RESPONSE_V4 } from '../vectors.js';

const SECRET = 'unit-pair-secret-0123456789';

function options(prng: Prng, over: Partial<PunchOptions> = {}): PunchOptions {
  return {
    role: 'listen', pairId: 'p-1', secret: SECRET, startAt: 0,
    remoteCandidates: [{ kind: 'srflx', family: 4, address: '203.0.113.5', port: 4000, priority: candidatePriority('srflx') }],
    random: (b) => prng.fill(b), hmacSha1: nodeHmacSha1, ...over,
  };
}

describe('punch/PunchMachine', () => {
  describe('#constructor', () => {
    const prng = new Prng(1);
    const rows: Array<[Partial<PunchOptions>, string]> = [
      [{ role: 'both' as never }, `role must be 'connect' or 'listen', got "both"`],
      [{ pairId: 'has space' }, 'pairId must be 1..128 characters of [A-Za-z0-9._-], got "has space"'],
      [{ secret: 'short' }, 'secret must be at least 16 bytes, got 5'],
      [{ paceMs: 1 }, 'paceMs must be an integer 5..10000, got 1'],
      [{ startAt: -1 }, 'startAt must be an integer 0..9007199254740991, got -1'],
    ];
    for (const [over, message] of rows) {
      it(`throws ERR_INVALID_PARAMETER: ${message}`, () => {
        try {
          new PunchMachine(options(prng, over));
          expect.fail('no throw');
        } catch (err) {
          expect(err).to.be.instanceOf(NatError);
          expect((err as NatError).code).to.equal('ERR_INVALID_PARAMETER');
          expect((err as NatError).message).to.equal(message);
        }
      });
    }
  });

  describe('#pollTimeout', () => {
    it('waits for startAt, then paces probes 50 ms apart', () => {
      const prng = new Prng(2);
      const m = new PunchMachine(options(prng, { startAt: 1000 }));
      const out = new Uint8Array(1500);
      const to = { address: '', port: 0 };
      expect(m.pollTimeout()).to.equal(1000);
      m.handleTimeout(999);
      expect(m.pollTransmit(999, out, to)).to.equal(0);
      m.handleTimeout(1000);
      expect(m.pollTransmit(1000, out, to)).to.be.greaterThan(20);
      expect(to).to.deep.equal({ address: '203.0.113.5', port: 4000 });
      expect(m.pollTimeout()).to.equal(1050);
      // A spurious timeout does nothing.
      m.handleTimeout(1010);
      expect(m.pollTransmit(1010, out, to)).to.equal(0);
    });
  });

  describe('#addRemoteCandidate', () => {
    it('adds trickled candidates while waiting or probing, refusing duplicates and our own', () => {
      const prng = new Prng(4);
      const own = { kind: 'host' as const, family: 4 as const, address: '10.0.0.9', port: 7, priority: 1 };
      const m = new PunchMachine(options(prng, { startAt: 100, localCandidates: [own] }));
      expect(m.addRemoteCandidate(0, { kind: 'host', family: 4, address: '10.0.0.5', port: 7, priority: 5 })).to.equal(true);
      expect(m.addRemoteCandidate(0, { kind: 'host', family: 4, address: '10.0.0.5', port: 7, priority: 5 })).to.equal(false);
      expect(m.addRemoteCandidate(0, own)).to.equal(false);
      expect(m.timeline().map((t) => `${t.kind} ${t.address}`)).to.deep.equal(['srflx 203.0.113.5', 'host 10.0.0.5']);
      m.stop(1);
      expect(m.addRemoteCandidate(2, { kind: 'host', family: 4, address: '10.0.0.6', port: 7, priority: 5 })).to.equal(false);
    });
  });

  describe('nomination', () => {
    it('moves the listen side to the path the connect side nominated (USE-CANDIDATE)', () => {
      // A hand-wired network: A is 10.0.0.1:1000 on its LAN and 203.0.113.1:1000 outside; B is
      // 10.0.0.2:2000 and 203.0.113.2:2000; LAN hops take 1 ms, public ones 20 ms. A firewall drops
      // requests A sends to B's LAN address (answers pass), so B proves and selects the LAN path
      // while A can only prove B's public address, which it then nominates.
      const prng = new Prng(seedFromEnv(41));
      const common = { pairId: 'p-1', secret: SECRET, startAt: 0, random: (b: Uint8Array) => prng.fill(b), hmacSha1: nodeHmacSha1 };
      const a = new PunchMachine({ ...common, role: 'connect', remoteCandidates: [{ kind: 'srflx', family: 4, address: '203.0.113.2', port: 2000, priority: candidatePriority('srflx') }],
        localCandidates: [{ kind: 'host', family: 4, address: '10.0.0.1', port: 1000, priority: candidatePriority('host') }] });
      const b = new PunchMachine({ ...common, role: 'listen', localCandidates: [{ kind: 'host', family: 4, address: '10.0.0.2', port: 2000, priority: candidatePriority('host') }], remoteCandidates: [
        { kind: 'host', family: 4, address: '10.0.0.1', port: 1000, priority: candidatePriority('host') },
        { kind: 'srflx', family: 4, address: '203.0.113.1', port: 1000, priority: candidatePriority('srflx') },
      ] });
      // "sender>destination" → [receiver, source the receiver sees, one-way delay ms]; missing = dropped.
      const routes: Record<string, [PunchMachine, string, number, number]> = {
        'a>203.0.113.2:2000': [b, '203.0.113.1', 1000, 20],
        'a>10.0.0.2:2000': [b, '10.0.0.1', 1000, 1],
        'b>10.0.0.1:1000': [a, '10.0.0.2', 2000, 1],
        'b>203.0.113.1:1000': [a, '203.0.113.2', 2000, 20],
      };
      const inFlight: Array<{ at: number; to: PunchMachine; from: { address: string; port: number }; bytes: Uint8Array }> = [];
      const out = new Uint8Array(1500);
      const to = { address: '', port: 0 };
      const bEvents: string[] = [];
      for (let now = 0; now < 3000 && !bEvents.includes('nominated:direct'); now++) {
        for (const d of inFlight.filter((x) => x.at === now)) d.to.handleDatagram(now, d.from, d.bytes);
        for (const [name, m] of [['a', a], ['b', b]] as const) {
          if ((m.pollTimeout() ?? Infinity) <= now) m.handleTimeout(now);
          for (let n = m.pollTransmit(now, out, to); n > 0; n = m.pollTransmit(now, out, to)) {
            const r = routes[`${name}>${to.address}:${to.port}`];
            const isRequest = (out[0]! & 0x01) === 0x00 && (out[1]! & 0x10) === 0; // class bits C1 C0 = 00
            if (!r || (name === 'a' && to.address === '10.0.0.2' && isRequest)) continue;
            inFlight.push({ at: now + r[3], to: r[0], from: { address: r[1], port: r[2] }, bytes: out.slice(0, n) });
          }
        }
        for (let e = b.pollEvent(); e; e = b.pollEvent()) if (e.type === 'selected' || e.type === 'nominated') bEvents.push(`${e.type}:${e.selected.path}`);
      }
      expect([a.selected?.address, a.selected?.path]).to.deep.equal(['203.0.113.2', 'direct']);
      expect(bEvents).to.deep.equal(['selected:lan', 'nominated:direct']);
      expect([b.selected?.address, b.selected?.path]).to.deep.equal(['203.0.113.1', 'direct']);
    });
  });

  describe('fuzz', () => {
    it('never throws on random or mutated datagrams, and counts them', () => {
      const prng = new Prng(seedFromEnv(31337));
      const m = new PunchMachine(options(prng));
      const c = new StunClient({ random: (b) => prng.fill(b) });
      // A valid probe of this pair to mutate.
      const peer = new PunchMachine(options(new Prng(3), { role: 'connect', remoteCandidates: [{ kind: 'host', family: 4, address: '10.0.0.2', port: 1, priority: 1 }] }));
      peer.handleTimeout(0);
      const out = new Uint8Array(1500);
      const to = { address: '', port: 0 };
      const probe = out.slice(0, peer.pollTransmit(0, out, to));
      const seeds = [probe, RFC5769_REQUEST, RFC5769_RESPONSE_V4];
      const miEnd = probe.length - 8; // FINGERPRINT (8 bytes) follows MESSAGE-INTEGRITY
      let accepted = 0;
      for (let i = 0; i < 3000; i++) {
        let bytes: Uint8Array;
        if (i % 3 === 0) bytes = prng.bytes(prng.int(0, 200));
        else {
          bytes = prng.pick(seeds).slice();
          const n = prng.int(1, 3);
          for (let k = 0; k < n; k++) bytes[prng.int(0, bytes.length - 1)] = prng.nextUint32() & 0xff;
        }
        const from = { address: `203.0.113.${prng.int(1, 254)}`, port: prng.int(1, 65535) };
        const before = m.counters.validRequests;
        m.handleDatagram(i, from, bytes);
        if (m.counters.validRequests > before) {
          // Only the bytes MESSAGE-INTEGRITY covers are protected: anything accepted must equal the
          // original probe up to the end of MESSAGE-INTEGRITY (what follows it is ignored, RFC 8489 §14.5).
          expect(Buffer.from(bytes.subarray(4, miEnd)).equals(Buffer.from(probe.subarray(4, miEnd))), `i ${i}`).to.equal(true);
          accepted++;
        }
        c.handleDatagram(i, from, bytes);
        m.handleTimeout(i);
        while (m.pollTransmit(i, out, to) > 0);
      }
      const k = m.counters;
      expect(k.malformed + k.unknownUsername + k.badIntegrity + k.unmatchedResponses + k.rateLimited).to.be.greaterThan(2500);
      expect(k.validRequests).to.equal(accepted);
      expect(accepted).to.be.below(60);
      expect(m.timeline().length).to.be.at.most(32);
    });
  });
});

// Consent after a stall of our own event loop (NAT lab at load ~28): Node runs due timers before
// it reads the socket, so the machine's handleTimeout comes first and the answers that arrived
// meanwhile after it. A 3.3 s stall then ended a healthy path with consent-lost.
describe('punch/PunchMachine consent across a stall of our own', () => {
  /** A (connect) and B (listen) on one public path, 10 ms each way; A's probes to B's LAN address get nowhere. */
  function pair(seed: number) {
    const prng = new Prng(seed);
    const common = { pairId: 'p-1', secret: SECRET, startAt: 0, random: (b: Uint8Array) => prng.fill(b), hmacSha1: nodeHmacSha1, keepaliveMs: 500, consentTimeoutMs: 2500 };
    const a = new PunchMachine({ ...common, role: 'connect', localCandidates: [{ kind: 'host', family: 4, address: '10.0.9.1', port: 1000, priority: candidatePriority('host') }], remoteCandidates: [
      { kind: 'host', family: 4, address: '10.0.9.2', port: 2000, priority: candidatePriority('host') },
      { kind: 'srflx', family: 4, address: '203.0.113.2', port: 2000, priority: candidatePriority('srflx') },
    ] });
    // B's own consent is not under test: it waits out A's stall.
    const b = new PunchMachine({ ...common, consentTimeoutMs: 20_000, role: 'listen', remoteCandidates: [{ kind: 'srflx', family: 4, address: '203.0.113.1', port: 1000, priority: candidatePriority('srflx') }] });
    const inFlight: Array<{ at: number; to: PunchMachine; from: { address: string; port: number }; bytes: Uint8Array }> = [];
    const out = new Uint8Array(1500);
    const to = { address: '', port: 0 };
    const aEvents: string[] = [];
    /** One ms of the world; A does nothing while `aStalled` (its datagrams wait, as in its socket). */
    const tick = (now: number, aStalled: boolean): void => {
      // A after a stall: timers first, then what waited in the socket (Node's event-loop order).
      const order: Array<['a' | 'b', PunchMachine]> = [['a', a], ['b', b]];
      for (const [name, m] of order) {
        if (name === 'a' && aStalled) continue;
        if ((m.pollTimeout() ?? Infinity) <= now) m.handleTimeout(now);
        for (const d of inFlight.filter((x) => x.to === m && x.at <= now)) {
          inFlight.splice(inFlight.indexOf(d), 1);
          m.handleDatagram(now, d.from, d.bytes);
        }
        if ((m.pollTimeout() ?? Infinity) <= now) m.handleTimeout(now);
        for (let n = m.pollTransmit(now, out, to); n > 0; n = m.pollTransmit(now, out, to)) {
          if (name === 'a' && to.address === '203.0.113.2') inFlight.push({ at: now + 10, to: b, from: { address: '203.0.113.1', port: 1000 }, bytes: out.slice(0, n) });
          if (name === 'b' && to.address === '203.0.113.1') inFlight.push({ at: now + 10, to: a, from: { address: '203.0.113.2', port: 2000 }, bytes: out.slice(0, n) });
        }
      }
      for (let e = a.pollEvent(); e; e = a.pollEvent()) aEvents.push(e.type === 'failed' ? `failed:${e.reason}` : e.type);
    };
    return { a, b, tick, aEvents };
  }

  it('a selected path outlives a 3.3 s stall: the answers read after the timer still count', () => {
    const { a, tick, aEvents } = pair(seedFromEnv(51));
    let now = 0;
    for (; now < 2000; now++) tick(now, false);
    expect(a.state).to.equal('selected');
    for (; now < 5300; now++) tick(now, true);
    for (; now < 12_000; now++) tick(now, false);
    expect([a.state, aEvents.filter((e) => e.startsWith('failed'))]).to.deep.equal(['selected', []]);
  });

  it('a selection made late by a stall (the LAN grace period outlasted it) is not judged on the old answer', () => {
    const { a, tick, aEvents } = pair(seedFromEnv(52));
    let now = 0;
    // The public path proves; A waits lanGraceMs (150 ms) for the unproven LAN check, and stalls meanwhile.
    for (; now < 1000 && a.timeline().every((c) => c.provenAt === undefined); now++) tick(now, false);
    expect(a.state).to.equal('probing');
    for (const end = now + 3300; now < end; now++) tick(now, true);
    for (const end = now + 6000; now < end; now++) tick(now, false);
    expect([a.state, aEvents.filter((e) => e.startsWith('failed'))]).to.deep.equal(['selected', []]);
  });

  it('a path that goes silent still loses consent once as many keepalives as consentTimeoutMs holds went unanswered', () => {
    const { a, b, tick, aEvents } = pair(seedFromEnv(53));
    let now = 0;
    for (; now < 2000; now++) tick(now, false);
    expect(a.state).to.equal('selected');
    b.stop(now);
    const silentAt = now;
    for (; now < silentAt + 10_000 && a.state === 'selected'; now++) tick(now, false);
    expect(aEvents).to.include('failed:consent-lost');
    // Virtual ms after the last answer (at most one keepalive interval before silentAt): about
    // consentTimeoutMs, not at the first missing answer.
    expect(now - silentAt).to.be.within(2000, 3500);
  });
});
