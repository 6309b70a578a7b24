// Conformance of the core: punch scheduling, candidate relay, pair results, the lobby view.
import { expect } from 'chai';
import type { PairStartMessage } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

const CAND = { kind: 'host', family: 4, address: '192.168.1.20', port: 40000 };

/** A connection past hello; with `caps` (e.g. `link-view`, which lobby views with links need, 1.8) offered. */
function client(h: CoreHarness, caps?: string[]): number {
  if (caps === undefined) return h.client();
  const c = h.open();
  expect(h.request(c, { type: 'hello', versions: [1], caps }).type).to.equal('welcome');
  h.take(c);
  return c;
}

function trio(h: CoreHarness, mode: 'mesh' | 'server' = 'mesh', caps?: string[]): Array<{ c: number; id: number }> {
  const a = client(h, caps);
  const { lobby } = h.create(a, { mode });
  const out = [{ c: a, id: 1 }];
  for (let i = 0; i < 2; i++) {
    const c = client(h, caps);
    out.push({ c, id: h.join(c, lobby.code).you });
  }
  return out;
}

describe('SignalingCore pairs', () => {
  describe('pair.start', () => {
    it('starts a pair for every new pair of members: lower id listens, same secret and time for both', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a);
      const b = h.client();
      const joinedAt = h.now;
      const { you } = h.join(b, lobby.code);
      const [sa] = h.takeType(a, 'pair.start');
      const [sb] = h.takeType(b, 'pair.start');
      expect(sa).to.deep.include({ pair: 1, remote: you, role: 'listen' });
      expect(sb).to.deep.include({ pair: 1, remote: 1, role: 'connect' });
      expect(sa!.secret).to.equal(sb!.secret);
      expect(sa!.secret).to.match(/^[A-Za-z0-9_-]{22}$/);
      expect(sa!.at).to.equal(sb!.at);
      // Heartbeats were acked with RTT 0, so the lead is the 100 ms floor.
      expect(sa!.at - joinedAt).to.equal(100);
      expect(sa!.offsetMs).to.equal(5000);
    });

    it('schedules at least 2 × the larger measured RTT ahead', () => {
      const h = new CoreHarness();
      h.autoAck = false;
      const a = h.open();
      h.send(a, { type: 'hello', rid: 1, versions: [1] });
      const hb = h.takeType(a, 'welcome')[0]!;
      h.now += 300;
      h.send(a, { type: 'heartbeat.ack', n: hb.n!, local: 0 });
      const { lobby } = h.create(a);
      const b = h.open();
      h.send(b, { type: 'hello', rid: 1, versions: [1] });
      const now = h.now;
      h.join(b, lobby.code);
      // a: RTT 300 measured; b: not measured yet, assumed unknownRttMs = 250.
      expect(h.takeType(b, 'pair.start')[0]!.at - now).to.equal(600);
      expect(h.takeType(b, 'pair.start')).to.deep.equal([]);
    });

    it('pairs every member with every other in mesh mode (3 members → 3 pairs)', () => {
      const h = new CoreHarness();
      const ms = trio(h, 'mesh', ['link-view']);
      const starts = ms.map((m) => h.takeType(m.c, 'pair.start'));
      expect(starts.map((s) => s.length)).to.deep.equal([2, 2, 2]);
      const view = h.request(ms[0]!.c, { type: 'lobby.get' });
      expect(view.type === 'lobby.state' && view.lobby.links.length).to.equal(3);
    });

    it('pairs members only with the owner in server mode', () => {
      const h = new CoreHarness();
      const ms = trio(h, 'server');
      const starts = ms.map((m) => h.takeType(m.c, 'pair.start'));
      expect(starts.map((s) => s.length)).to.deep.equal([2, 1, 1]);
      expect(starts[1]![0]!.remote).to.equal(1);
    });

    it('has the server-mode owner listen even toward a later joiner with a lower id', () => {
      const h = new CoreHarness();
      const ms = trio(h, 'server');
      const code = (h.request(ms[0]!.c, { type: 'lobby.get' }) as { lobby: { code: string } }).lobby.code;
      h.request(ms[0]!.c, { type: 'lobby.leave' });
      const owner = Math.min(ms[1]!.id, ms[2]!.id);
      let checked = false;
      for (let i = 0; i < 60 && !checked; i++) {
        const c = h.client();
        const { you } = h.join(c, code);
        const start = h.takeType(c, 'pair.start')[0]!;
        expect(start.remote).to.equal(owner);
        expect(start.role).to.equal('connect');
        if (you < owner) checked = true;
        h.drop(c, 1000);
      }
      expect(checked, 'a joiner drew an id below the owner').to.equal(true);
    });

    it('pairs the new owner with everyone when the server-mode owner leaves', () => {
      const h = new CoreHarness();
      const ms = trio(h, 'server');
      for (const m of ms) h.take(m.c);
      h.request(ms[0]!.c, { type: 'lobby.leave' });
      const [x, y] = ms.slice(1).sort((p, q) => p.id - q.id);
      const sx = h.takeType(x!.c, 'pair.start');
      expect(sx).to.have.length(1);
      expect(sx[0]).to.deep.include({ remote: y!.id, role: 'listen' });
    });
  });

  describe('pair.candidates', () => {
    it('relays candidates only to the other side of the pair', () => {
      const h = new CoreHarness();
      const [a, b, c] = trio(h);
      const pairAB = h.takeType(a!.c, 'pair.start').find((s) => s.remote === b!.id)!;
      h.take(b!.c);
      h.take(c!.c);
      expect(h.request(a!.c, { type: 'pair.candidates', pair: pairAB.pair, candidates: [CAND], done: true }).type).to.equal('ok');
      expect(h.take(b!.c)).to.deep.equal([{ type: 'pair.candidates', pair: pairAB.pair, from: 1, candidates: [CAND], done: true }]);
      expect(h.take(c!.c)).to.deep.equal([]);
    });

    it('keeps a member\'s equal lists, sent as bytes on each of its pairs, as one list; counts and relay permissions from it per pair', () => {
      const h = new CoreHarness();
      h.viaBytes = true;
      const [a, b, c] = trio(h);
      const starts = h.takeType(a!.c, 'pair.start');
      const ab = starts.find((s) => s.remote === b!.id)!.pair;
      const ac = starts.find((s) => s.remote === c!.id)!.pair;
      const list = [CAND, { kind: 'relay', family: 4, address: '203.0.113.77', port: 3478 }];
      for (const pair of [ab, ac]) expect(h.request(a!.c, { type: 'pair.candidates', pair, candidates: list, done: true }).type).to.equal('ok');
      const pairs = [...h.core.lobbies()][0]!.pairs;
      const kept = (pair: number): unknown => pairs.get(pair)!.events.find((e) => e.kind === 'candidates')!;
      const [kab, kac] = [kept(ab), kept(ac)] as Array<{ candidates: unknown[] }>;
      expect(kab!.candidates).to.deep.equal(list);
      expect(kac!.candidates).to.equal(kab!.candidates);
      // Side a of both pairs (the creator, id 1, listens): 2 sent; its host address may be permitted, its relay one not.
      expect(pairs.get(ab)!.candidatesFromA).to.equal(2);
      expect(pairs.get(ab)!.candidatesFromB).to.equal(0);
      expect(pairs.get(ab)!.sentAddress(true, CAND.address)).to.equal(true);
      expect(pairs.get(ab)!.sentAddress(true, '203.0.113.77')).to.equal(false);
      expect(pairs.get(ab)!.sentAddress(false, CAND.address)).to.equal(false);
      // A second message of the same side adds to what it sent, and the first pair's list is unchanged.
      const more = [{ ...CAND, address: '10.7.7.7' }];
      expect(h.request(a!.c, { type: 'pair.candidates', pair: ab, candidates: more }).type).to.equal('ok');
      expect(pairs.get(ab)!.candidatesFromA).to.equal(3);
      expect(pairs.get(ab)!.sentAddress(true, '10.7.7.7')).to.equal(true);
      expect(pairs.get(ac)!.sentAddress(true, '10.7.7.7')).to.equal(false);
      expect(kac!.candidates).to.deep.equal(list);
      // A list with a never-a-peer address is refused even right after the accepted one.
      h.expectError(a!.c, { type: 'pair.candidates', pair: ac, candidates: [CAND, { ...CAND, address: '224.0.0.251' }] }, 'SIG_BAD_CANDIDATE');
    });

    it('refuses a pair the sender is not part of with SIG_UNKNOWN_PAIR', () => {
      const h = new CoreHarness();
      const [a, b, c] = trio(h);
      const pairAB = h.takeType(a!.c, 'pair.start').find((s) => s.remote === b!.id)!;
      const err = h.expectError(c!.c, { type: 'pair.candidates', pair: pairAB.pair, candidates: [CAND] }, 'SIG_UNKNOWN_PAIR');
      expect(err.details).to.deep.equal({ pair: pairAB.pair });
      h.expectError(a!.c, { type: 'pair.candidates', pair: 999, candidates: [CAND] }, 'SIG_UNKNOWN_PAIR');
      h.expectError(h.client(), { type: 'pair.candidates', pair: 1, candidates: [CAND] }, 'SIG_NOT_IN_LOBBY');
    });

    it('caps candidates at 16 per side per pair across messages (SIG_BAD_CANDIDATE)', () => {
      const h = new CoreHarness();
      const [a] = trio(h);
      const s = h.takeType(a!.c, 'pair.start')[0]!;
      const ten = Array.from({ length: 10 }, (_, i) => ({ ...CAND, port: 40000 + i }));
      expect(h.request(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: ten }).type).to.equal('ok');
      const err = h.expectError(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: ten }, 'SIG_BAD_CANDIDATE');
      expect(err.message).to.equal(`pair ${s.pair} would get 20 candidates from this side; the limit is 16`);
      h.expectError(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: Array.from({ length: 17 }, () => CAND) }, 'SIG_BAD_MESSAGE');
    });

    it('refuses candidates at multicast, broadcast, reserved or unspecified addresses and relays none of the message (issue 13 item 7)', () => {
      const h = new CoreHarness();
      const [a, b] = trio(h);
      const s = h.takeType(a!.c, 'pair.start').find((x) => x.remote === b!.id)!;
      h.takeType(b!.c, 'pair.candidates');
      for (const [address, family, what] of [['224.0.0.251', 4, 'multicast'], ['255.255.255.255', 4, 'broadcast'], ['240.0.0.1', 4, 'reserved'], ['0.0.0.0', 4, 'unspecified'], ['ff02::1', 6, 'multicast']] as const) {
        const err = h.expectError(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: [CAND, { kind: 'host', family, address, port: 5353 }] }, 'SIG_BAD_CANDIDATE');
        expect(err.message).to.equal(`candidate ${address} port 5353 is a ${what} address, never a peer's`);
      }
      expect(h.takeType(b!.c, 'pair.candidates')).to.deep.equal([]);
      // Refused messages count nothing against the cap: 16 good ones still pass.
      expect(h.request(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: Array.from({ length: 16 }, (_, i) => ({ ...CAND, port: 40000 + i })) }).type).to.equal('ok');
    });

    it('validates address family and port', () => {
      const h = new CoreHarness();
      const [a] = trio(h);
      const s = h.takeType(a!.c, 'pair.start')[0]!;
      const bad: Array<[object, string]> = [
        [{ ...CAND, family: 6 }, 'candidates[0]: candidate.address must be an IPv6 address'],
        [{ ...CAND, address: '300.1.1.1' }, 'candidates[0]: candidate.address must be an IPv4 address'],
        [{ ...CAND, port: 0 }, 'candidates[0]: candidate.port must be an integer 1..65535'],
        [{ ...CAND, port: 70000 }, 'candidates[0]: candidate.port must be an integer 1..65535'],
        [{ ...CAND, family: 5 }, 'candidates[0]: candidate.family must be 4 or 6'],
        [{ ...CAND, kind: 'magic' }, 'candidates[0]: candidate.kind must be one of host, srflx, upnp, relay'],
      ];
      for (const [cand, message] of bad) {
        expect(h.expectError(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: [cand] }, 'SIG_BAD_MESSAGE').message).to.equal(message);
      }
      const v6 = { kind: 'srflx', family: 6, address: '2001:db8::1', port: 9 };
      expect(h.request(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: [v6] }).type).to.equal('ok');
    });
  });

  describe('pair.result', () => {
    it('records the result and tells every member the link state', () => {
      const h = new CoreHarness();
      const [a, b, c] = trio(h, 'mesh', ['link-view']);
      const s = h.takeType(b!.c, 'pair.start').find((x) => x.remote === 1)!;
      for (const m of [a, b, c]) h.take(m!.c);
      expect(h.request(b!.c, { type: 'pair.result', pair: s.pair, outcome: 'connected', path: 'direct', rttMs: 12.5 }).type).to.equal('ok');
      const link = { pair: s.pair, a: 1, b: b!.id, state: 'connected', path: 'direct', rttMs: 12.5 };
      for (const m of [a, b, c]) expect(h.take(m!.c)).to.deep.equal([{ type: 'link.updated', link }]);
      const view = h.request(c!.c, { type: 'lobby.get' });
      expect(view.type === 'lobby.state' && view.lobby.links.find((l) => l.pair === s.pair)).to.deep.equal(link);
      expect(h.core.metrics.pairResults['connected/direct']).to.equal(1);
    });

    it('records failures with their reason and requires path / reason', () => {
      const h = new CoreHarness();
      const [a] = trio(h);
      const s = h.takeType(a!.c, 'pair.start')[0]!;
      h.request(a!.c, { type: 'pair.result', pair: s.pair, outcome: 'failed', reason: 'timeout' });
      expect(h.core.metrics.pairResults['failed/timeout']).to.equal(1);
      expect(h.expectError(a!.c, { type: 'pair.result', pair: s.pair, outcome: 'connected' }, 'SIG_BAD_MESSAGE').message).to.equal('path is required when outcome is connected');
      expect(h.expectError(a!.c, { type: 'pair.result', pair: s.pair, outcome: 'failed' }, 'SIG_BAD_MESSAGE').message).to.equal('reason is required when outcome is failed');
      h.expectError(a!.c, { type: 'pair.result', pair: 12345, outcome: 'failed', reason: 'timeout' }, 'SIG_UNKNOWN_PAIR');
    });

    it('keeps a side\'s per-candidate probe record (1.6) for the live view, only its newest, and refuses a bad one with a clear error and a counter', () => {
      const h = new CoreHarness();
      const [a] = trio(h);
      const s = h.takeType(a!.c, 'pair.start')[0]!;
      const check = { kind: 'srflx', path: 'direct', outcome: 'timeout', sent: 12, firstMs: 3, address: '203.0.113.9', port: 40001 };
      const probes = { ageMs: 5000, checks: [check] };
      expect(h.request(a!.c, { type: 'pair.result', pair: s.pair, outcome: 'failed', reason: 'timeout', probes }).type).to.equal('ok');
      const pair = [...h.core.lobbies()][0]!.pairs.get(s.pair)!;
      const results = (): unknown[] => pair.events.flatMap((e) => (e.kind === 'result' ? [e.report.probes] : []));
      expect(results()).to.deep.equal([probes]);
      expect(h.core.metrics.probeReportsKept).to.equal(1);
      // A later report with a record replaces the earlier one's (at most one per side).
      const again = { ageMs: 6000, checks: [{ ...check, sent: 20 }] };
      h.request(a!.c, { type: 'pair.result', pair: s.pair, outcome: 'failed', reason: 'timeout', probes: again });
      expect(results()).to.deep.equal([undefined, again]);
      // Out of bounds or malformed: the whole result is refused, naming the field, and counted.
      const bad: Array<[unknown, string]> = [
        [{ ageMs: 1, checks: Array.from({ length: 17 }, () => check) }, 'probes.checks must be an array of at most 16 items'],
        [{ ageMs: 1, checks: [{ ...check, kind: 'lan' }] }, 'probes.checks[0]: kind must be one of host, srflx, prflx, upnp, relay'],
        [{ ageMs: 1, checks: [{ ...check, address: 'x'.repeat(46) }] }, 'probes.checks[0]: address must be a string of 2..45 characters'],
        [{ ageMs: 1, checks: [{ ...check, address: '<img src=x>' }] }, 'probes.checks[0]: address must be an IPv4 or IPv6 address'],
        [{ ageMs: 1, checks: [{ ...check, address: 'fe80::1%eth0' }] }, 'probes.checks[0]: address must be an IPv4 or IPv6 address'],
        [{ ageMs: 1, checks: [{ ...check, outcome: 'answered' }] }, 'probes.checks[0]: answerMs is required when outcome is answered'],
        [{ ageMs: -1, checks: [] }, 'probes.ageMs must be a number 0..600000'],
        [[check], 'probes must be an object'],
      ];
      for (const [p, message] of bad) {
        expect(h.expectError(a!.c, { type: 'pair.result', pair: s.pair, outcome: 'failed', reason: 'timeout', probes: p }, 'SIG_BAD_MESSAGE').message).to.equal(message);
      }
      expect(h.core.metrics.probeReportsRejected).to.equal(bad.length);
      expect(results()).to.deep.equal([undefined, again]);
    });

    it('ends the pairs of a member that leaves', () => {
      const h = new CoreHarness();
      const [a, b] = trio(h);
      const s = h.takeType(a!.c, 'pair.start').find((x) => x.remote === b!.id)! as PairStartMessage;
      h.request(b!.c, { type: 'lobby.leave' });
      h.expectError(a!.c, { type: 'pair.candidates', pair: s.pair, candidates: [CAND] }, 'SIG_UNKNOWN_PAIR');
    });
  });
});
