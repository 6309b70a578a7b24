import { expect } from 'chai';
import { NatBox, Prng, natPreset, seedFromEnv } from '@meshpunch/sim';
import {
  NatDiscovery,
  PunchMachine,
  candidatePriority,
  nodeHmacSha1,
  type RankedCandidate,
  type NatProfile,
  type PunchEvent,
} from '../../src/index.js';
import { CoreMux, addHost, makeWorld, type Host, type NatKind, type World } from './world.js';

const SECRET = 'pair-secret-0123456789abcdef';

function events<E>(core: { pollEvent(): E | undefined }): E[] {
  const out: E[] = [];
  for (let e = core.pollEvent(); e; e = core.pollEvent()) out.push(e);
  return out;
}

/**
 * What each host learns before punching, as the agent does: RFC 5780 discovery from its own socket
 * (the NAT profile it shares with the peer), host + server-reflexive candidates.
 */
function gather(world: World, hosts: Host[]): Array<{ candidates: RankedCandidate[]; nat: NatProfile }> {
  const runs = hosts.map((h) => {
    const d = new NatDiscovery({
      random: (b) => world.prng.fill(b),
      servers: [world.server.primary],
      localAddresses: [{ address: h.address, port: h.port }],
      now: world.driver.now,
    });
    h.mux.cores.push(d);
    return d;
  });
  world.driver.runUntil(() => runs.every((d) => d.report !== undefined), { maxVirtualMs: 40_000 });
  return hosts.map((h, i) => {
    const r = runs[i]!.report!;
    const candidates: RankedCandidate[] = [{ kind: 'host', family: 4, address: h.address, port: h.port, priority: candidatePriority('host') }];
    if (r.mappedAddress && (r.mappedAddress.address !== h.address || r.mappedAddress.port !== h.port)) {
      candidates.push({ kind: 'srflx', family: 4, address: r.mappedAddress.address, port: r.mappedAddress.port, priority: candidatePriority('srflx') });
    }
    return { candidates, nat: { mapping: r.mapping, filtering: r.filtering, portAllocation: r.portAllocation } };
  });
}

interface Outcome {
  result: 'direct' | 'lan' | 'upnp' | 'relay' | 'fail';
  reason?: string;
  /** ms from the scheduled start to the connect side's selection. */
  ms?: number;
  a: PunchMachine;
  b: PunchMachine;
}

/** Runs one pair: A connects, B listens; both punch at the same scheduled time (± skew). */
function punchPair(seed: number, kindA: NatKind, kindB: NatKind | 'same-nat'): Outcome {
  const prng0 = seed;
  const world = makeWorld(prng0, { latencyMs: 5 + (seed % 30), jitterMs: seed % 7, loss: 0.01 });
  const hostA = addHost(world, 'a', kindA);
  const hostB = kindB === 'same-nat' ? addHost(world, 'b', kindA, { behind: hostA }) : addHost(world, 'b', kindB);
  const [ga, gb] = gather(world, [hostA, hostB]);
  const start = world.driver.now + 100;
  const skew = world.prng.int(0, 60);
  const a = new PunchMachine({
    role: 'connect', pairId: 'p1', secret: SECRET, startAt: start, remoteCandidates: gb!.candidates, localCandidates: ga!.candidates,
    random: (bytes) => world.prng.fill(bytes), hmacSha1: nodeHmacSha1, localNat: ga!.nat, remoteNat: gb!.nat,
  });
  const b = new PunchMachine({
    role: 'listen', pairId: 'p1', secret: SECRET, startAt: start + skew, remoteCandidates: ga!.candidates, localCandidates: gb!.candidates,
    random: (bytes) => world.prng.fill(bytes), hmacSha1: nodeHmacSha1, localNat: gb!.nat, remoteNat: ga!.nat,
  });
  hostA.mux.cores.push(a);
  hostB.mux.cores.push(b);
  const done = (m: PunchMachine) => m.state === 'selected' || m.state === 'failed';
  world.driver.runUntil(() => done(a) && done(b), { maxVirtualMs: 20_000 });
  if (a.state === 'failed' || b.state === 'failed') {
    return { result: 'fail', reason: a.failure ?? b.failure, a, b };
  }
  return { result: a.selected!.path, ms: a.selected!.provenAt - start, a, b };
}

const KINDS: NatKind[] = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric'];

/** Expected outcome per cell (issue 6): fail only for symmetric ↔ symmetric and symmetric ↔ port-restricted. */
function expected(a: NatKind, b: NatKind | 'same-nat'): 'direct' | 'lan' | 'fail' {
  if (b === 'same-nat') return 'lan';
  const pair = [a, b].sort().join('|');
  if (pair === 'symmetric|symmetric' || pair === 'port-restricted|symmetric') return 'fail';
  return 'direct';
}

describe('PunchMachine (simulated NAT matrix: discovery → candidates → punch)', function () {
  this.timeout(120_000);
  const only = process.env.MESHPUNCH_PUNCH_CELL; // e.g. "symmetric|full-cone" or "port-restricted|same-nat"
  const seeds = Number(process.env.MESHPUNCH_PUNCH_SEEDS ?? 20);
  const cells: Array<[NatKind, NatKind | 'same-nat']> = [];
  for (const a of KINDS) for (const b of KINDS) cells.push([a, b]);
  cells.push(['port-restricted', 'same-nat'], ['symmetric', 'same-nat']);
  const grid = new Map<string, string>();

  for (const [a, b] of cells) {
    const name = `${a}|${b}`;
    if (only && only !== name) continue;
    const want = expected(a, b);
    it(`${a} (connect) ↔ ${b} (listen): ${want} on ${seeds} seeds`, () => {
      const times: number[] = [];
      const reasons = new Set<string>();
      for (let s = 0; s < seeds; s++) {
        const seed = seedFromEnv(1000 * (cells.findIndex(([x, y]) => x === a && y === b) + 1) + s);
        const o = punchPair(seed, a, b);
        expect(o.result, `${name} seed ${seed}: ${o.reason ?? ''} (replay with MESHPUNCH_SEED=${seed} MESHPUNCH_PUNCH_CELL='${name}' MESHPUNCH_PUNCH_SEEDS=1)`).to.equal(want);
        if (o.ms !== undefined) times.push(o.ms);
        if (o.reason) reasons.add(o.reason);
        if (want === 'fail') {
          // A typed failure within the bounded time, never a hang.
          expect(o.a.pollTimeout()).to.equal(undefined);
        }
      }
      times.sort((x, y) => x - y);
      const cell = want === 'fail' ? `fail:${[...reasons].join('/')}` : `${want} p50=${times[Math.floor(times.length / 2)]}ms max=${times[times.length - 1]}ms`;
      grid.set(name, cell);
    });
  }

  after(() => {
    if (grid.size === 0) return;
    const cols: Array<NatKind | 'same-nat'> = [...KINDS, 'same-nat'];
    const w = 34;
    const lines = [`connect \\ listen`.padEnd(20) + cols.map((c) => c.padEnd(w)).join('')];
    for (const a of KINDS) {
      lines.push(a.padEnd(20) + cols.map((b) => (grid.get(`${a}|${b}`) ?? '').padEnd(w)).join(''));
    }
    console.log(`\n  punch matrix (${seeds} seeds per cell, 1 % loss, 5-34 ms latency; time from scheduled start to the connect side's selection)\n  ${lines.join('\n  ')}\n`);
  });
});

describe('PunchMachine (simulated abuse and edge cases)', () => {
  function pairOnInternet(seed: number) {
    const world = makeWorld(seed);
    const ha = addHost(world, 'a', 'none');
    const hb = addHost(world, 'b', 'none');
    const cand = (h: Host): RankedCandidate[] => [{ kind: 'host', family: 4, address: h.address, port: h.port, priority: candidatePriority('host') }];
    return { world, ha, hb, cand };
  }

  it('ignores and counts probes made with the wrong secret (their USERNAME is another), and never answers them', () => {
    const { world, ha, hb, cand } = pairOnInternet(seedFromEnv(7));
    const a = new PunchMachine({ role: 'connect', pairId: 'p1', secret: 'a wrong secret, 16+ bytes', startAt: 0, remoteCandidates: cand(hb), random: (b) => world.prng.fill(b), hmacSha1: nodeHmacSha1, timeoutMs: 3000 });
    const b = new PunchMachine({ role: 'listen', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(ha), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1, timeoutMs: 3000 });
    ha.mux.cores.push(a);
    hb.mux.cores.push(b);
    world.driver.runUntil(() => a.state === 'failed' && b.state === 'failed', { maxVirtualMs: 5000 });
    // USERNAMEs are derived from the secret (issue 13 item 6), so the wrong one is refused before any HMAC.
    expect(b.counters.unknownUsername).to.be.greaterThan(10);
    expect(b.counters.validRequests).to.equal(0);
    expect(b.counters.responsesSent).to.equal(0);
    expect(a.counters.unknownUsername).to.be.greaterThan(10);
    expect(a.failure).to.equal('timeout');
    expect(events<PunchEvent>(b).map((e) => e.type)).to.deep.equal(['failed']);
  });

  it('rate-limits answers to a flood of valid probes (bounded answers per second)', () => {
    const { world, ha, hb, cand } = pairOnInternet(seedFromEnv(8));
    const b = new PunchMachine({ role: 'listen', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(ha), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1, maxAnswersPerSecond: 100, answerBurst: 20, timeoutMs: 60_000 });
    hb.mux.cores.push(b);
    // A flooder replays 5000 validly signed probes within one virtual second.
    const flooder = new PunchMachine({ role: 'connect', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(hb), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1 });
    const out = new Uint8Array(1500);
    const to = { address: '', port: 0 };
    flooder.handleTimeout(0);
    const n = flooder.pollTransmit(0, out, to);
    const probe = out.slice(0, n);
    for (let i = 0; i < 5000; i++) world.net.send(Math.floor(i / 5), { address: ha.address, port: ha.port }, to, probe);
    world.driver.runFor(1100);
    const answered = b.counters.responsesSent;
    expect(b.counters.rateLimited).to.be.greaterThan(4800);
    // burst 20 + 100/s over ~1 s: at most ~125 answers.
    expect(answered).to.be.within(100, 130);
  });

  it('reaches a symmetric-NAT peer through the peer-reflexive address its probes came from', () => {
    const o = punchPair(seedFromEnv(77), 'full-cone', 'symmetric');
    expect(o.result).to.equal('direct');
    expect(o.a.selected!.candidateKind).to.equal('prflx');
    expect(o.a.counters.peerReflexiveLearned).to.be.at.least(1);
    const learned = o.a.timeline().find((t) => t.kind === 'prflx')!;
    expect(learned.firstReceivedAt).to.be.a('number');
    expect(learned.provenAt).to.be.a('number');
  });

  it('fails fast with no-candidates when the peer gave none', () => {
    const { world, hb } = pairOnInternet(seedFromEnv(9));
    const b = new PunchMachine({ role: 'listen', pairId: 'p1', secret: SECRET, startAt: 50, remoteCandidates: [], random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1 });
    hb.mux.cores.push(b);
    world.driver.runUntil(() => b.state === 'failed', { maxVirtualMs: 100 });
    expect(b.failure).to.equal('no-candidates');
    expect(world.driver.now).to.equal(50);
    expect(b.pollTimeout()).to.equal(undefined);
  });

  it('ends with timeout (typed, bounded) when the peer never answers, probing at 50 ms then backing off', () => {
    const { world, ha, hb, cand } = pairOnInternet(seedFromEnv(10));
    const a = new PunchMachine({ role: 'connect', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(hb), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1 });
    ha.mux.cores.push(a);
    world.driver.runUntil(() => a.state === 'failed', { maxVirtualMs: 20_000 });
    expect(a.failure).to.equal('timeout');
    expect(world.driver.now).to.equal(10_000);
    const t = a.timeline()[0]!;
    // 2 s at 50 ms = 40 probes, then 100 ms for 2 s (20), 200 ms (10), 400 ms (5), 500 ms to 10 s (4 + 1).
    expect(t.requestsSent).to.be.within(75, 85);
    expect(t.provenAt).to.equal(undefined);
  });

  it('keeps the selected path warm and stops cleanly', () => {
    const { world, ha, hb, cand } = pairOnInternet(seedFromEnv(11));
    const a = new PunchMachine({ role: 'connect', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(hb), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1, keepaliveMs: 1000 });
    const b = new PunchMachine({ role: 'listen', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(ha), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1, keepaliveMs: 1000 });
    ha.mux.cores.push(a);
    hb.mux.cores.push(b);
    world.driver.runUntil(() => a.state === 'selected' && b.state === 'selected', { maxVirtualMs: 2000 });
    const sentAtSelect = a.counters.requestsSent;
    world.driver.runFor(10_000);
    expect(a.state).to.equal('selected');
    expect(a.counters.requestsSent - sentAtSelect).to.be.within(9, 12);
    expect(events<PunchEvent>(b).map((e) => e.type)).to.include('nominated');
    a.stop(world.driver.now);
    b.stop(world.driver.now);
    expect([a.state, b.state, a.pollTimeout(), b.pollTimeout()]).to.deep.equal(['stopped', 'stopped', undefined, undefined]);
  });

  it('keeps port-restricted NAT mappings with a 5 s timeout open for a minute, and loses them without keepalives', () => {
    const run = (keepaliveMs: number) => {
      const world = makeWorld(seedFromEnv(13));
      const ha = addHost(world, 'a', 'port-restricted', { nat: { mappingTimeoutMs: 5000 } });
      const hb = addHost(world, 'b', 'port-restricted', { nat: { mappingTimeoutMs: 5000 } });
      const [ga, gb] = gather(world, [ha, hb]);
      const common = { pairId: 'p1', secret: SECRET, startAt: world.driver.now, hmacSha1: nodeHmacSha1, keepaliveMs, consentTimeoutMs: 20_000 };
      const a = new PunchMachine({ ...common, role: 'connect', remoteCandidates: gb!.candidates, random: (x) => world.prng.fill(x) });
      const b = new PunchMachine({ ...common, role: 'listen', remoteCandidates: ga!.candidates, random: (x) => world.prng.fill(x) });
      ha.mux.cores.push(a);
      hb.mux.cores.push(b);
      world.driver.runUntil(() => a.state === 'selected' && b.state === 'selected', { maxVirtualMs: 5000 });
      world.driver.runFor(60_000);
      return [a.state, ha.box!.mappingCount(world.driver.now)];
    };
    // The one live mapping: the pair socket's (EIM), refreshed by the keepalives.
    expect(run(2500)).to.deep.equal(['selected', 1]);
    expect(run(30_000)).to.deep.equal(['failed', 0]);
  });

  it('reaches a host behind a symmetric NAT through its UPnP port forward (path upnp)', () => {
    const world = makeWorld(seedFromEnv(15));
    const ha = addHost(world, 'a', 'symmetric');
    const hb = addHost(world, 'b', 'symmetric');
    const [ga, gb] = gather(world, [ha, hb]);
    // What the IGD client would produce for B's socket: a forward and a 'upnp' candidate.
    expect(hb.box!.addPortForward(world.driver.now, { address: hb.address, port: hb.port }, 51000)).to.equal(true);
    const bUpnp: RankedCandidate = { kind: 'upnp', family: 4, address: hb.box!.publicAddress, port: 51000, priority: candidatePriority('upnp') };
    const common = { pairId: 'p1', secret: SECRET, startAt: world.driver.now + 50, hmacSha1: nodeHmacSha1 };
    const a = new PunchMachine({ ...common, role: 'connect', remoteCandidates: [...gb!.candidates, bUpnp], random: (x) => world.prng.fill(x), localNat: ga!.nat, remoteNat: gb!.nat });
    const b = new PunchMachine({ ...common, role: 'listen', remoteCandidates: ga!.candidates, random: (x) => world.prng.fill(x), localNat: gb!.nat, remoteNat: ga!.nat });
    ha.mux.cores.push(a);
    hb.mux.cores.push(b);
    world.driver.runUntil(() => a.state !== 'probing' && a.state !== 'waiting' && b.state !== 'probing' && b.state !== 'waiting', { maxVirtualMs: 15_000 });
    expect([a.state, a.selected?.path, a.selected?.port]).to.deep.equal(['selected', 'upnp', 51000]);
    // B reaches A through the peer-reflexive address A's probes came from.
    expect([b.state, b.selected?.candidateKind]).to.deep.equal(['selected', 'prflx']);
  });

  describe('port prediction for a symmetric NAT that allocates sequentially', () => {
    function run(seed: number, prediction: number, symmetricConnects: boolean) {
      const world = makeWorld(seed, { latencyMs: 5 + (seed % 20), loss: 0.01 });
      const sym = addHost(world, 's', 'symmetric', { nat: { portAllocation: 'sequential', portRange: [20000, 29999] } });
      const pr = addHost(world, 'p', 'port-restricted');
      const [gs, gp] = gather(world, [sym, pr]);
      expect(gs!.nat.portAllocation).to.equal('sequential');
      const common = { pairId: 'p1', secret: SECRET, startAt: world.driver.now + 50, hmacSha1: nodeHmacSha1, portPrediction: prediction };
      const s = new PunchMachine({ ...common, role: symmetricConnects ? 'connect' : 'listen', remoteCandidates: gp!.candidates, localNat: gs!.nat, remoteNat: gp!.nat, random: (x) => world.prng.fill(x) });
      const p = new PunchMachine({ ...common, role: symmetricConnects ? 'listen' : 'connect', remoteCandidates: gs!.candidates, localNat: gp!.nat, remoteNat: gs!.nat, random: (x) => world.prng.fill(x) });
      sym.mux.cores.push(s);
      pr.mux.cores.push(p);
      const done = (m: PunchMachine) => m.state === 'selected' || m.state === 'failed';
      world.driver.runUntil(() => done(s) && done(p), { maxVirtualMs: 15_000 });
      return { s, p };
    }
    it('connects symmetric(sequential) ↔ port-restricted directly on 20 seeds by probing the next 16 ports', () => {
      for (let i = 0; i < 20; i++) {
        const seed = seedFromEnv(2000 + i);
        const { s, p } = run(seed, 16, i % 2 === 0);
        expect([s.state, p.state], `seed ${seed}`).to.deep.equal(['selected', 'selected']);
        expect(p.selected!.port, `seed ${seed}`).to.be.above(20000);
      }
    });
    it('fails with incompatible-nat when prediction is off', () => {
      const { s, p } = run(seedFromEnv(2100), 0, true);
      expect([s.failure, p.failure]).to.deep.equal(['incompatible-nat', 'incompatible-nat']);
    });
  });

  describe('two homes behind one carrier-grade NAT (double NAT)', () => {
    function doubleNat(seed: number, cgnHairpin: boolean) {
      const world = makeWorld(seedFromEnv(seed));
      const cgn = new NatBox({ insideRealm: 'cgn', publicAddress: '198.51.100.200', hairpin: cgnHairpin, prng: new Prng(seed), ...natPreset('port-restricted') });
      world.net.addGateway(cgn);
      const hosts = ['a', 'b'].map((name, i) => {
        const box = new NatBox({ insideRealm: `home-${name}`, outsideRealm: 'cgn', publicAddress: `100.64.0.${i + 2}`, prng: new Prng(seed + i), ...natPreset('port-restricted') });
        world.net.addGateway(box);
        const mux = new CoreMux();
        world.driver.add(mux, `192.168.${i + 1}.2`, 40000, `home-${name}`);
        return { name, address: `192.168.${i + 1}.2`, port: 40000, mux, box };
      });
      // Both homes' host candidates are private and unreachable from the other home.
      const [ga, gb] = gather(world, hosts);
      const common = { pairId: 'p1', secret: SECRET, startAt: world.driver.now + 50, hmacSha1: nodeHmacSha1, timeoutMs: 5000 };
      const a = new PunchMachine({ ...common, role: 'connect', remoteCandidates: gb!.candidates, random: (x) => world.prng.fill(x) });
      const b = new PunchMachine({ ...common, role: 'listen', remoteCandidates: ga!.candidates, random: (x) => world.prng.fill(x) });
      hosts[0]!.mux.cores.push(a);
      hosts[1]!.mux.cores.push(b);
      world.driver.runUntil(() => a.state !== 'probing' && a.state !== 'waiting' && b.state !== 'probing' && b.state !== 'waiting', { maxVirtualMs: 10_000 });
      return { a, b, cgn };
    }
    it('connect directly when the CGN hairpins (RFC 6888 REQ-9)', () => {
      const { a, b, cgn } = doubleNat(16, true);
      expect([a.state, a.selected?.path, b.state]).to.deep.equal(['selected', 'direct', 'selected']);
      expect(cgn.counters.hairpinned).to.be.greaterThan(0);
    });
    it('fail with a typed reason, not a hang, when it does not', () => {
      const { a, b } = doubleNat(17, false);
      expect([a.state, a.failure, b.state]).to.deep.equal(['failed', 'timeout', 'failed']);
    });
  });

  it('reports consent-lost when the selected path goes silent (RFC 7675)', () => {
    const { world, ha, hb, cand } = pairOnInternet(seedFromEnv(12));
    const a = new PunchMachine({ role: 'connect', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(hb), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1, consentTimeoutMs: 5000 });
    const b = new PunchMachine({ role: 'listen', pairId: 'p1', secret: SECRET, startAt: 0, remoteCandidates: cand(ha), random: (x) => world.prng.fill(x), hmacSha1: nodeHmacSha1 });
    ha.mux.cores.push(a);
    hb.mux.cores.push(b);
    world.driver.runUntil(() => a.state === 'selected', { maxVirtualMs: 2000 });
    world.net.cut(hb.address);
    world.driver.runUntil(() => a.state === 'failed', { maxVirtualMs: 10_000 });
    expect(a.failure).to.equal('consent-lost');
  });
});
