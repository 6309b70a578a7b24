// Simulation (virtual time, MESHPUNCH_SEED): two ENet HostCores linked through the agent's PathMux
// (core) the way LinkRouter (adapter) wires it: the listen side B holds a relay allocation (a
// minimal forwarder standing in for TURN: B wraps datagrams to the forwarder's control address,
// A talks plain UDP to B's relayed address), A connects to that relayed address. The link starts
// relayed, upgrades to a direct path that proves, then falls back to the relay when the direct
// path dies (after the consent delay the agent uses) — with loss and jitter on every hop. One
// ENet peer throughout: no disconnect, every reliable message in order with no gap. And with
// RelayRelease (core) as LinkRunner uses it: the relay path is let go (B's allocation ended) once
// the direct path has carried the link for the hold, not before, and not after a fall back.
import { expect } from 'chai';
import { HostCore, PacketFlag, type Peer } from '@meshpunch/enet';
import { Prng, seedFromEnv, SimDriver, SimNet, type MutableEndpoint, type SansIoCore } from '@meshpunch/sim';
import { sameEndpoint, type Endpoint } from '../../src/core/endpoint.js';
import { PathMux } from '../../src/core/path-mux.js';
import { DIRECT_CONSENT_WITH_RELAY_MS, enetTimeoutWithRelayMs } from '../../src/core/relay-policy.js';
import { RelayRelease } from '../../src/core/relay-release.js';

const A: Endpoint = { address: '203.0.113.1', port: 1000 };
const B: Endpoint = { address: '203.0.113.2', port: 2000 };
/** The forwarder: B's control endpoint (S) and B's relayed address (R). */
const S: Endpoint = { address: '198.51.100.1', port: 3478 };
const R: Endpoint = { address: '198.51.100.1', port: 50000 };
/** ENet peer timeout the agent sets when a relay is offered (for the default peerTimeoutMs, 4000). */
const PEER_TIMEOUT_MS = enetTimeoutWithRelayMs(4000);
/** relayReleaseMs in these runs (the agent's default is 30 s; shorter keeps virtual runs short). */
const RELEASE_HOLD_MS = 3000;

/** A relay in miniature: B → S carries `[peer addr index][payload]`; R forwards A's datagrams to B through S. */
class Forwarder implements SansIoCore {
  private readonly out: Array<{ to: Endpoint; from: 'S' | 'R'; bytes: Uint8Array }> = [];
  relayed = 0;
  /** B released its allocation: nothing is relayed any more. */
  released = false;
  handleDatagram(_now: number, from: Endpoint, bytes: Uint8Array, at?: Endpoint): void {
    if (this.released) return;
    this.relayed++;
    if (at !== undefined && sameEndpoint(at, R)) {
      // Peer data for the allocation: wrapped to the client with the peer's address (1 byte: A).
      this.out.push({ to: B, from: 'S', bytes: Uint8Array.of(1, ...bytes) });
    } else if (sameEndpoint(from, B) && bytes[0] === 1) {
      this.out.push({ to: A, from: 'R', bytes: bytes.subarray(1) });
    }
  }
  handleTimeout(): void {}
  pollTransmit(): number {
    return 0;
  }
  pollTimeout(): number | undefined {
    return undefined;
  }
  /** Sends what is queued (the driver's node model binds one core per address, so the forwarder sends itself). */
  flush(now: number, net: SimNet): void {
    for (const o of this.out.splice(0)) net.send(now, o.from === 'S' ? S : R, o.to, o.bytes);
  }
}

/** One link end: a HostCore whose datagrams pass through a PathMux, as LinkRouter does. */
class Side implements SansIoCore {
  readonly mux = new PathMux();
  /** As LinkRunner: updated after every path change; when due, the relay path goes. */
  readonly release = new RelayRelease(RELEASE_HOLD_MS);
  readonly events: Array<{ type: string; data?: number; seq?: number }> = [];
  /** Datagrams on the direct path are lost while true (the path died). */
  directDead = false;
  peer: Peer | undefined;
  private readonly buf = new Uint8Array(65536);
  private readonly enetTo: MutableEndpoint = { address: '', port: 0 };

  constructor(readonly core: HostCore, readonly self: Endpoint, readonly direct: Endpoint, readonly ownsAllocation: boolean) {}

  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    if (this.directDead && sameEndpoint(from, this.direct)) return;
    let src = from;
    let payload = bytes;
    if (this.ownsAllocation && sameEndpoint(from, S)) {
      // Unwrapped peer data re-enters as if from the peer's address (relay.md §1 rule 3).
      src = A;
      payload = bytes.subarray(1);
    }
    this.core.handleDatagram(now, this.mux.aliasOf(src) ?? src, payload.slice());
    this.drain();
  }

  handleTimeout(now: number): void {
    this.core.handleTimeout(now);
    this.drain();
  }

  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number {
    for (;;) {
      const n = this.core.pollTransmit(now, this.buf, this.enetTo);
      if (n === 0) return 0;
      const r = this.mux.route(this.enetTo);
      let dest: Endpoint = this.enetTo;
      let bytes = this.buf.subarray(0, n);
      if (r !== undefined && r.via === 'turn') {
        dest = S;
        bytes = Uint8Array.of(1, ...bytes);
      } else if (r !== undefined) {
        dest = r.to;
      }
      if (this.directDead && sameEndpoint(dest, this.direct)) continue; // lost on the dead path
      out.set(bytes);
      to.address = dest.address;
      to.port = dest.port;
      return bytes.length;
    }
  }

  pollTimeout(): number | undefined {
    return this.core.pollTimeout();
  }

  drain(): void {
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      if (e.type === 'connect') {
        this.peer = e.peer;
        this.core.configureTimeout(e.peer, 32, PEER_TIMEOUT_MS, PEER_TIMEOUT_MS);
        this.mux.setVirtual({ address: e.peer.address, port: e.peer.port });
      }
      this.events.push({ type: e.type, data: e.data, ...(e.type === 'receive' ? { seq: new DataView(e.packet!.buffer, e.packet!.byteOffset).getUint32(0) } : {}) });
    }
  }

  received(): number[] {
    return this.events.filter((e) => e.type === 'receive').map((e) => e.seq!);
  }
}

/** A's CONNECT as LinkHandshake.connect sends it: the mux's virtual endpoint is fixed first. */
function connectTo(a: Side, to: Endpoint): void {
  a.mux.setVirtual(to);
  const pa = a.core.connect(to.address, to.port, 2, 42)!;
  a.core.configureTimeout(pa, 32, PEER_TIMEOUT_MS, PEER_TIMEOUT_MS);
}

/** Runs the world for `ms` in 10 ms slices, calling `each` before every slice. */
function stepper(driver: SimDriver): (ms: number, each?: () => void) => void {
  return (ms, each) => {
    const until = driver.now + ms;
    while (driver.now < until) {
      each?.();
      const next = Math.min(until, driver.now + 10);
      driver.runFor(next - driver.now);
    }
  };
}

/** A (connect side) and B (listen side, holding the allocation), the forwarder on S and R. */
function world(seed: number, loss = 0.05) {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: 20, jitterMs: 10, loss } });
  const driver = new SimDriver(net);
  const rng = new Prng(seed ^ 0x5eed);
  const a = new Side(new HostCore({ random: (o) => rng.fill(o), peerCount: 1 }), A, B, false);
  const b = new Side(new HostCore({ random: (o) => rng.fill(o), peerCount: 1 }), B, A, true);
  const fwd = new Forwarder();
  driver.add(a, A.address, A.port);
  driver.add(b, B.address, B.port);
  // The forwarder listens on S and R itself (two endpoints, one relay).
  for (const at of [S, R]) {
    net.bind(at.address, at.port, (now, dg) => {
      fwd.handleDatagram(now, dg.from, dg.bytes, at);
      fwd.flush(now, net);
    });
  }
  return { a, b, fwd, driver };
}

function setup(seed: number) {
  const { a, b, fwd, driver } = world(seed);
  // The relay proved first (both sides' relay punches); A connects to B's relayed address.
  a.mux.prove({ slot: 'relay', kind: 'relay', via: 'socket', to: R });
  b.mux.prove({ slot: 'relay', kind: 'relay', via: 'turn', to: A });
  connectTo(a, R);
  const step = stepper(driver);
  step(2000);
  expect(a.peer, 'A connected over the relay').to.not.equal(undefined);
  expect(b.peer, 'B accepted over the relay').to.not.equal(undefined);
  // Both stream a reliable sequence every 10 ms through every path change.
  let seq = 0;
  const send = (): void => {
    const p = new Uint8Array(200);
    new DataView(p.buffer).setUint32(0, seq++);
    a.core.send(a.peer!, 0, p, PacketFlag.Reliable);
    b.core.send(b.peer!, 0, p.slice(), PacketFlag.Reliable);
  };
  step(1500, send);
  // A direct path proves on both sides: relay → direct.
  // (LinkRunner.reportChange: every change after the first resets ENet's retransmission back-off.)
  const changed = (s: Side): void => {
    s.core.retransmitNow(driver.now, s.peer!);
    s.release.update(driver.now, s.mux);
  };
  a.mux.prove({ slot: 'direct', kind: 'direct', via: 'socket', to: B });
  b.mux.prove({ slot: 'direct', kind: 'direct', via: 'socket', to: A });
  changed(a);
  changed(b);
  const upgradedAt = driver.now;
  return { a, b, fwd, driver, step, send, changed, upgradedAt, total: () => seq };
}

function run(seed: number): { a: Side; b: Side; fwd: Forwarder; releaseAfterFallback: Array<number | undefined> } {
  const { a, b, fwd, step, send, changed, total } = setup(seed);
  step(2500, send);
  const relayedBefore = fwd.relayed;
  step(1000, send);
  expect(fwd.relayed - relayedBefore, 'nothing relayed while direct').to.equal(0);
  // The direct path dies; consent notices after DIRECT_CONSENT_WITH_RELAY_MS: direct → relay.
  a.directDead = true;
  b.directDead = true;
  step(DIRECT_CONSENT_WITH_RELAY_MS, send);
  a.mux.lose('direct');
  b.mux.lose('direct');
  changed(a);
  changed(b);
  // Back on the relay within the hold: nothing is due for release any more.
  const releaseAfterFallback = [a.release.pollTimeout(), b.release.pollTimeout()];
  step(3000, send);
  const sent = total();
  step(10_000);
  return Object.assign({ a, b, fwd, releaseAfterFallback }, { total: sent });
}

/** relay → direct, then the hold runs out: both sides drop the relay path, B's allocation ends. */
function runRelease(seed: number) {
  const { a, b, fwd, driver, step, send, upgradedAt, total } = setup(seed);
  const due = [a.release.pollTimeout(), b.release.pollTimeout()];
  const releasedAt: Array<number | undefined> = [undefined, undefined];
  step(RELEASE_HOLD_MS + 1000, () => {
    send();
    [a, b].forEach((s, i) => {
      if (!s.release.handleTimeout(driver.now)) return;
      releasedAt[i] = driver.now;
      s.mux.lose('relay');
      s.release.update(driver.now, s.mux);
      if (s === b) fwd.released = true;
    });
  });
  const relayedAtRelease = fwd.relayed;
  step(3000, send);
  const sent = total();
  step(10_000);
  return { a, b, fwd, due, upgradedAt, releasedAt, relayedAfter: fwd.relayed - relayedAtRelease, total: sent };
}

describe('PathMux below ENet (sim): relay → direct → relay under 5 % loss and jitter', function () {
  this.timeout(60_000);
  const base = seedFromEnv(7100);
  for (let i = 0; i < 5; i++) {
    const seed = base + i;
    it(`keeps one ENet peer and delivers every reliable message in order (seed ${seed})`, () => {
      const r = run(seed) as ReturnType<typeof run> & { total: number };
      for (const [name, s] of [['A', r.a], ['B', r.b]] as const) {
        expect(s.events.filter((e) => e.type === 'disconnect'), `${name}: no disconnect`).to.deep.equal([]);
        expect(s.events.filter((e) => e.type === 'connect'), `${name}: one connect`).to.have.length(1);
        const got = s.received();
        expect(got.length, `${name}: all ${r.total} messages`).to.equal(r.total);
        expect(got.every((v, k) => v === k), `${name}: in order, no gap`).to.equal(true);
        // relay (first) → direct → relay
        expect(s.mux.counters.switches, name).to.equal(2);
        expect(s.mux.active?.kind, name).to.equal('relay');
      }
      expect(r.a.mux.counters.rewritten + r.b.mux.counters.rewritten, 'datagrams from the non-virtual path reached ENet as the peer').to.be.greaterThan(0);
      expect(r.releaseAfterFallback, 'a fall back within the hold cancels the release').to.deep.equal([undefined, undefined]);
    });
  }
});

describe('RelayRelease with PathMux (sim): relay → direct, the relay let go after the hold, under 5 % loss and jitter', function () {
  this.timeout(60_000);
  const base = seedFromEnv(7200);
  for (let i = 0; i < 3; i++) {
    const seed = base + i;
    it(`drops the relay path relayReleaseMs after the upgrade, ends the allocation, keeps one ENet peer and every message (seed ${seed})`, () => {
      const r = runRelease(seed);
      expect(r.due, 'due one hold after the upgrade').to.deep.equal([r.upgradedAt + RELEASE_HOLD_MS, r.upgradedAt + RELEASE_HOLD_MS]);
      expect(r.releasedAt.map((t) => t !== undefined && t >= r.upgradedAt + RELEASE_HOLD_MS && t <= r.upgradedAt + RELEASE_HOLD_MS + 10), 'released at the hold, not before').to.deep.equal([true, true]);
      expect(r.relayedAfter, 'nothing relayed once released').to.equal(0);
      for (const [name, s] of [['A', r.a], ['B', r.b]] as const) {
        expect([s.mux.has('relay'), s.mux.active?.kind, s.release.pollTimeout()], name).to.deep.equal([false, 'direct', undefined]);
        expect(s.events.filter((e) => e.type === 'disconnect'), `${name}: no disconnect`).to.deep.equal([]);
        const got = s.received();
        expect(got.length, `${name}: all ${r.total} messages`).to.equal(r.total);
        expect(got.every((v, k) => v === k), `${name}: in order, no gap`).to.equal(true);
      }
    });
  }
});

// The ENet handshake while both paths are proven, or while they change (NAT lab at load 17–24:
// a slow punch made the listen side allocate after RELAY_AFTER_MS; the relay then proved beside
// the direct path, or the direct path lost consent, before the CONNECT was through). The peer's
// punched address and its address behind B's allocation are the same endpoint A here, as behind
// a NAT that maps one port for both.
// Without loss: a lost CONNECT would only cost ENet's back-off (the agent's handshake attempts
// cover that); these runs are about where each datagram goes.
describe('PathMux below ENet (sim): the handshake while paths prove and die, under jitter', function () {
  this.timeout(60_000);
  const base = seedFromEnv(7300);
  for (let i = 0; i < 5; i++) {
    const seed = base + i;
    it(`a relay that proves beside the direct path before the CONNECT carries nothing; both sides connect direct (seed ${seed})`, () => {
      const { a, b, fwd, driver } = world(seed, 0);
      const step = stepper(driver);
      a.mux.prove({ slot: 'direct', kind: 'direct', via: 'socket', to: B });
      b.mux.prove({ slot: 'direct', kind: 'direct', via: 'socket', to: A });
      b.mux.prove({ slot: 'relay', kind: 'relay', via: 'turn', to: A });
      a.mux.prove({ slot: 'relay', kind: 'relay', via: 'socket', to: R });
      connectTo(a, B);
      step(5000);
      expect([a.peer !== undefined, b.peer !== undefined], 'A connected, B accepted').to.deep.equal([true, true]);
      // Before the fix B's VERIFY_CONNECT went through the allocation although the direct path was in use.
      expect(fwd.relayed, 'nothing relayed while the direct path is in use').to.equal(0);
      for (const s of [a, b]) expect(s.events.filter((e) => e.type === 'disconnect')).to.deep.equal([]);
    });
    it(`the direct path dies before the CONNECT is through: the handshake completes over the relay, one peer each side (seed ${seed})`, () => {
      const { a, b, fwd, driver } = world(seed, 0);
      const step = stepper(driver);
      a.mux.prove({ slot: 'direct', kind: 'direct', via: 'socket', to: B });
      b.mux.prove({ slot: 'direct', kind: 'direct', via: 'socket', to: A });
      b.mux.prove({ slot: 'relay', kind: 'relay', via: 'turn', to: A });
      a.mux.prove({ slot: 'relay', kind: 'relay', via: 'socket', to: R });
      a.directDead = true;
      b.directDead = true;
      connectTo(a, B);
      // Consent notices on both sides; ENet's CONNECT retransmissions then take the relay.
      step(DIRECT_CONSENT_WITH_RELAY_MS);
      a.mux.lose('direct');
      b.mux.lose('direct');
      a.core.retransmitNow(driver.now, a.core.peers[0]!);
      step(5000);
      expect([a.peer !== undefined, b.peer !== undefined], 'A connected, B accepted').to.deep.equal([true, true]);
      expect(fwd.relayed, 'the handshake went through the relay').to.be.greaterThan(0);
      // A's VERIFY_CONNECT came from B's relayed address and reached ENet as B.
      expect(a.mux.counters.rewritten, 'A rewrote R to B').to.be.greaterThan(0);
      for (const s of [a, b]) {
        expect(s.events.filter((e) => e.type === 'connect'), 'one connect').to.have.length(1);
        expect(s.events.filter((e) => e.type === 'disconnect')).to.deep.equal([]);
      }
    });
  }
});
