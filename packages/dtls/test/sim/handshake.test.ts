// Simulator tests of DtlsSession pairs and DtlsServer on a virtual clock (packages/sim): handshakes
// under loss, reordering, duplication and a small MTU with retransmission, data both ways, close,
// the handshake deadline, and a restarted peer. Seeds replay with MESHPUNCH_SEED.
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv, type LinkConditions } from '@meshpunch/sim';
import { DtlsServer, DtlsSession, type DtlsEvent, type DtlsServerEvent } from '../../src/index.js';
import type { DtlsOptions } from '../../src/core/options.js';
import { identities, pinnedPair, prngRandom } from '../helpers/peers.js';

const A = { address: '10.0.0.1', port: 4000 };
const B = { address: '10.0.0.2', port: 5000 };
const enc = new TextEncoder();
const dec = new TextDecoder();

function drain<E>(core: { pollEvent(): E | undefined }, into: E[]): void {
  for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) into.push(e);
}

function world(seed: number, link: Partial<LinkConditions> = {}): { sim: SimDriver; prng: Prng } {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: 10, ...link } });
  return { sim: new SimDriver(net), prng };
}

interface Pair {
  sim: SimDriver;
  client: DtlsSession;
  server: DtlsSession;
  ce: DtlsEvent[];
  se: DtlsEvent[];
}

function pair(seed: number, link: Partial<LinkConditions> = {}, extra: Partial<DtlsOptions> = {}): Pair {
  const { sim, prng } = world(seed, link);
  const opts = pinnedPair(prngRandom(prng), extra);
  const client = new DtlsSession(opts.client, B);
  const server = new DtlsSession(opts.server, A);
  server.acceptHandshake(0);
  sim.add(client, A.address, A.port);
  sim.add(server, B.address, B.port);
  return { sim, client, server, ce: [], se: [] };
}

function connect(p: Pair, maxVirtualMs = 60_000): void {
  p.client.connect(p.sim.now);
  p.sim.runUntil(() => {
    drain(p.client, p.ce);
    drain(p.server, p.se);
    return p.client.isConnected && p.server.isConnected;
  }, { maxVirtualMs });
}

/**
 * For lossy runs over arbitrary seeds: resends capped at 2 s and a 120 s deadline give ~60 tries per
 * flight, so a handshake fails only if the network is broken, not by a seed's bad luck (with the
 * RFC schedule, 1 s doubling and a 30 s deadline, 25% loss loses all 5 tries about 1% of the time).
 */
const LOSSY: Partial<DtlsOptions> = { retransmitMaxMs: 2000, handshakeTimeoutMs: 120_000 };

describe('DtlsSession (sim)', () => {
  describe('#connect', () => {
    it('completes a pinned mutual handshake and carries data both ways on a perfect link', () => {
      const p = pair(seedFromEnv(1));
      connect(p, 5000);
      const [srv, cli] = identities();
      expect(p.ce[0]).to.deep.include({ type: 'connected', peerFingerprint: srv!.fingerprint });
      expect(p.se[0]).to.deep.include({ type: 'connected', peerFingerprint: cli!.fingerprint });
      expect(p.client.counters.handshakeRetransmits).to.equal(0);
      p.client.send(p.sim.now, enc.encode('ping'));
      p.server.send(p.sim.now, enc.encode('pong'));
      p.sim.runUntilIdle({ maxVirtualMs: 1000 });
      drain(p.client, p.ce);
      drain(p.server, p.se);
      expect(p.se.slice(1)).to.have.length(1);
      expect(dec.decode((p.se[1] as { data: Uint8Array }).data)).to.equal('ping');
      expect(dec.decode((p.ce[1] as { data: Uint8Array }).data)).to.equal('pong');
      expect(p.client.pollTimeout()).to.equal(undefined);
      expect(p.server.pollTimeout()).to.equal(undefined);
    });

    it('retransmits the flight when the first datagrams are lost (RFC 6347 §4.2.4)', () => {
      const p = pair(seedFromEnv(3));
      p.sim.net.dropNext(A.address, 2);
      connect(p, 10_000);
      // Flight 1 lost → resend after 1000 ms; flight 3 lost → resend after another 1000 ms.
      expect(p.client.counters.handshakeRetransmits).to.equal(2);
      expect(p.sim.now).to.be.at.least(2000);
    });

    it('resends flight 6 when the server Finished is lost and the client resends flight 5', () => {
      const p = pair(seedFromEnv(4));
      p.client.connect(p.sim.now);
      // Once the client has flight 4, the server's next datagram is flight 6 (CCS + Finished): lose it.
      p.sim.runUntil(() => p.client.counters.datagramsReceived === 1, { maxVirtualMs: 5000 });
      p.sim.net.dropNext(B.address, 1);
      p.sim.runUntil(() => p.server.isConnected, { maxVirtualMs: 5000 });
      p.sim.runUntil(() => p.client.isConnected, { maxVirtualMs: 10_000 });
      expect(p.client.counters.handshakeRetransmits).to.be.at.least(1);
      expect(p.server.counters.handshakeRetransmits).to.be.at.least(1);
    });

    it('fragments flights to a 256-byte MTU and reassembles them under reordering', () => {
      const p = pair(seedFromEnv(5), { mtu: 256, reorder: 0.3, reorderDelayMs: 15, jitterMs: 5 }, { mtu: 256 });
      connect(p, 30_000);
      expect(p.client.isConnected && p.server.isConnected).to.equal(true);
    });

    it('fails with DTLS_HANDSHAKE_TIMEOUT at the deadline when the server never answers, leaving no timer', () => {
      const p = pair(seedFromEnv(6), {}, { handshakeTimeoutMs: 5000 });
      p.sim.net.cut(A.address);
      p.client.connect(p.sim.now);
      p.sim.runUntil(() => { drain(p.client, p.ce); return p.client.state === 'failed'; }, { maxVirtualMs: 10_000 });
      expect(p.sim.now).to.equal(5000);
      const err = p.ce.find((e) => e.type === 'error');
      expect(err?.type === 'error' && err.error.code).to.equal('DTLS_HANDSHAKE_TIMEOUT');
      expect(err?.type === 'error' && err.error.message).to.equal('handshake did not complete within 5000 ms');
      // 1000 + 2000 → resends at 1000 and 3000 ms, the next would be 7000 ms.
      expect(p.client.counters.handshakeRetransmits).to.equal(2);
      expect(p.client.pollTimeout()).to.equal(undefined);
    });
  });

  describe('with loss, reordering and duplication', () => {
    const SEEDS = 24;
    it(`connects and never delivers a record twice over ${SEEDS} seeds (20% loss, 20% reorder, 10% duplicates)`, () => {
      const base = seedFromEnv(100);
      for (let i = 0; i < SEEDS; i++) {
        const seed = base + i;
        const p = pair(seed, { loss: 0.2, reorder: 0.2, reorderDelayMs: 30, duplicate: 0.1, jitterMs: 10 }, LOSSY);
        try {
          connect(p, 120_000);
        } catch (err) {
          throw new Error(`seed ${seed}: ${(err as Error).message}`);
        }
        for (let m = 0; m < 50; m++) p.client.send(p.sim.now, enc.encode(`m${m}`));
        p.sim.runUntilIdle({ maxVirtualMs: 5000 });
        drain(p.server, p.se);
        const got = p.se.filter((e) => e.type === 'data').map((e) => dec.decode((e as { data: Uint8Array }).data));
        expect(new Set(got).size, `seed ${seed}`).to.equal(got.length);
        expect(got.length, `seed ${seed}`).to.be.greaterThan(0);
        expect(p.server.counters.recordsReplayed + p.server.counters.applicationRecordsReceived, `seed ${seed}`).to.be.at.least(got.length);
      }
    });
  });

  describe('#close', () => {
    it('sends close_notify: both sides end closed with no timers', () => {
      const p = pair(seedFromEnv(7));
      connect(p, 5000);
      p.client.close(p.sim.now);
      p.sim.runUntilIdle({ maxVirtualMs: 1000 });
      drain(p.client, p.ce);
      drain(p.server, p.se);
      expect(p.ce.at(-1)).to.deep.equal({ type: 'closed', reason: 'local' });
      expect(p.se.at(-1)).to.deep.equal({ type: 'closed', reason: 'peerClosed' });
      expect(p.server.state).to.equal('closed');
      expect(p.server.counters.inputAfterClose).to.equal(0);
      expect(() => p.client.send(p.sim.now, enc.encode('x'))).to.throw('send needs a connected session, state is closed');
    });
  });

  describe('refusals', () => {
    it('fails both sides when the client pins another fingerprint (DTLS_FINGERPRINT_MISMATCH, alert 42)', () => {
      const { sim, prng } = world(seedFromEnv(8));
      const opts = pinnedPair(prngRandom(prng));
      const client = new DtlsSession({ ...opts.client, expectedFingerprint: identities()[2]!.fingerprint }, B);
      const server = new DtlsSession(opts.server, A);
      server.acceptHandshake(0);
      sim.add(client, A.address, A.port);
      sim.add(server, B.address, B.port);
      client.connect(0);
      sim.runUntilIdle({ maxVirtualMs: 60_000 });
      const ce: DtlsEvent[] = [];
      const se: DtlsEvent[] = [];
      drain(client, ce);
      drain(server, se);
      expect(ce[0]?.type === 'error' && ce[0].error.code).to.equal('DTLS_FINGERPRINT_MISMATCH');
      expect(se[0]?.type === 'error' && se[0].error.code).to.equal('DTLS_ALERT_RECEIVED');
      expect(se[0]?.type === 'error' && se[0].error.alert).to.equal(42);
    });

    it('the server refuses a client presenting another certificate than the pinned one', () => {
      const { sim, prng } = world(seedFromEnv(9));
      const opts = pinnedPair(prngRandom(prng));
      const client = new DtlsSession({ ...opts.client, identity: identities()[2]!.identity }, B);
      const server = new DtlsSession(opts.server, A);
      server.acceptHandshake(0);
      sim.add(client, A.address, A.port);
      sim.add(server, B.address, B.port);
      client.connect(0);
      sim.runUntilIdle({ maxVirtualMs: 60_000 });
      const se: DtlsEvent[] = [];
      drain(server, se);
      expect(se[0]?.type === 'error' && se[0].error.code).to.equal('DTLS_FINGERPRINT_MISMATCH');
      expect(client.state).to.equal('failed');
    });
  });
});

describe('DtlsServer (sim)', () => {
  function serverWorld(seed: number, link: Partial<LinkConditions> = {}, extra: Partial<DtlsOptions> = {}) {
    const { sim, prng } = world(seed, link);
    const opts = pinnedPair(prngRandom(prng), extra);
    const server = new DtlsServer(opts.server);
    sim.add(server, B.address, B.port);
    const se: DtlsServerEvent[] = [];
    return { sim, opts, server, se };
  }

  it('runs the stateless cookie exchange, then connects a client', () => {
    const w = serverWorld(seedFromEnv(2));
    const client = new DtlsSession(w.opts.client, B);
    w.sim.add(client, A.address, A.port);
    client.connect(w.sim.now);
    w.sim.runUntil(() => { drain(w.server, w.se); return client.isConnected && w.se.some((e) => e.type === 'connected'); }, { maxVirtualMs: 5000 });
    expect(w.server.counters.helloVerifyRequestsSent).to.equal(1);
    expect(w.server.counters.sessionsCreated).to.equal(1);
    expect(client.counters.helloVerifyRequestsReceived).to.equal(1);
    expect(w.se[0]).to.deep.include({ type: 'connected', remote: A });
  });

  it('connects clients over a lossy, reordering link for several seeds', () => {
    const base = seedFromEnv(200);
    for (let i = 0; i < 8; i++) {
      const w = serverWorld(base + i, { loss: 0.25, reorder: 0.2, reorderDelayMs: 20, duplicate: 0.1 }, LOSSY);
      const client = new DtlsSession(w.opts.client, B);
      w.sim.add(client, A.address, A.port);
      client.connect(w.sim.now);
      w.sim.runUntil(() => { drain(w.server, w.se); return client.isConnected && w.se.some((e) => e.type === 'connected'); }, { maxVirtualMs: 120_000 });
      expect(w.server.sessionCount, `seed ${base + i}`).to.equal(1);
    }
  });

  it('replaces the session of a peer that restarted on the same address (RFC 6347 §4.2.8)', () => {
    const w = serverWorld(seedFromEnv(10));
    const first = new DtlsSession(w.opts.client, B);
    w.sim.add(first, A.address, A.port);
    first.connect(w.sim.now);
    w.sim.runUntil(() => first.isConnected, { maxVirtualMs: 5000 });
    w.sim.runUntilIdle({ maxVirtualMs: 1000 });
    w.sim.remove(first);
    const second = new DtlsSession(w.opts.client, B);
    w.sim.add(second, A.address, A.port);
    second.connect(w.sim.now);
    w.sim.runUntil(() => second.isConnected, { maxVirtualMs: 5000 });
    drain(w.server, w.se);
    expect(w.se.map((e) => e.type === 'closed' ? `closed:${e.reason}` : e.type)).to.deep.equal(['connected', 'closed:replaced', 'connected']);
    expect(w.server.counters.sessionsReplaced).to.equal(1);
    expect(w.server.sessionCount).to.equal(1);
  });

  it('skips the cookie round trip for a source cookieExempt vouches for, once: a restart from it still needs one', () => {
    const asked: string[] = [];
    const w = serverWorld(seedFromEnv(12), {}, {});
    const exemptServer = new DtlsServer({ ...w.opts.server, cookieExempt: (address, port) => (asked.push(`${address}:${port}`), address === A.address && port === A.port) });
    w.sim.remove(w.server);
    w.sim.add(exemptServer, B.address, B.port);
    const first = new DtlsSession(w.opts.client, B);
    w.sim.add(first, A.address, A.port);
    const t0 = w.sim.now;
    first.connect(t0);
    w.sim.runUntil(() => first.isConnected, { maxVirtualMs: 5000 });
    // Two round trips of the 10 ms link (hello → server flight, client flight → Finished), not three.
    expect(w.sim.now - t0).to.be.lessThan(50);
    expect(exemptServer.counters.helloVerifyRequestsSent).to.equal(0);
    expect(exemptServer.counters.cookiesWaived).to.equal(1);
    expect(first.counters.helloVerifyRequestsReceived).to.equal(0);
    expect(asked).to.deep.equal([`${A.address}:${A.port}`]);
    w.sim.runUntilIdle({ maxVirtualMs: 1000 });
    w.sim.remove(first);
    // The same source again (a restart, or a spoofed hello): the cookie exchange as usual.
    const second = new DtlsSession(w.opts.client, B);
    w.sim.add(second, A.address, A.port);
    second.connect(w.sim.now);
    w.sim.runUntil(() => second.isConnected, { maxVirtualMs: 5000 });
    expect(exemptServer.counters.helloVerifyRequestsSent).to.equal(1);
    expect(exemptServer.counters.cookiesWaived).to.equal(1);
    expect(exemptServer.counters.sessionsReplaced).to.equal(1);
  });

  it('keeps the cookie exchange for sources cookieExempt does not vouch for', () => {
    const w = serverWorld(seedFromEnv(13));
    const server = new DtlsServer({ ...w.opts.server, cookieExempt: () => false });
    w.sim.remove(w.server);
    w.sim.add(server, B.address, B.port);
    const client = new DtlsSession(w.opts.client, B);
    w.sim.add(client, A.address, A.port);
    client.connect(w.sim.now);
    w.sim.runUntil(() => client.isConnected, { maxVirtualMs: 5000 });
    expect(server.counters.helloVerifyRequestsSent).to.equal(1);
    expect(server.counters.cookiesWaived).to.equal(0);
  });

  it('forgets a session after close: no sessions and no timers remain', () => {
    const w = serverWorld(seedFromEnv(11));
    const client = new DtlsSession(w.opts.client, B);
    w.sim.add(client, A.address, A.port);
    client.connect(w.sim.now);
    w.sim.runUntil(() => client.isConnected, { maxVirtualMs: 5000 });
    w.sim.runUntilIdle({ maxVirtualMs: 1000 });
    client.close(w.sim.now);
    w.sim.runUntilIdle({ maxVirtualMs: 1000 });
    drain(w.server, w.se);
    expect(w.se.at(-1)).to.deep.include({ type: 'closed', reason: 'peerClosed' });
    expect(w.server.sessionCount).to.equal(0);
    expect(w.server.pollTimeout()).to.equal(undefined);
  });
});
