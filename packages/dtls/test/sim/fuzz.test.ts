// Fuzz: 10^5+ random and mutated-valid DTLS datagrams into connected sessions, handshaking
// sessions and a DtlsServer. Nothing throws, state stays bounded, drop counters move, and the
// connected pair still carries data afterwards (docs/design.md §6).
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv } from '@meshpunch/sim';
import { DtlsServer, DtlsSession, type DtlsCounters } from '../../src/index.js';
import { pinnedPair, prngRandom } from '../helpers/peers.js';
import { Capture } from '../helpers/capture.js';

const A = { address: '10.0.0.1', port: 4000 };
const B = { address: '10.0.0.2', port: 5000 };
const OUT = new Uint8Array(65536);
const TO = { address: '', port: 0 };

/** Flips, truncates, extends or splices a valid datagram. */
function mutate(prng: Prng, src: Uint8Array): Uint8Array {
  const kind = prng.int(0, 5);
  if (kind === 0) return src.subarray(0, prng.int(0, src.length));
  if (kind === 1) {
    const extra = prng.bytes(prng.int(1, 64));
    const out = new Uint8Array(src.length + extra.length);
    out.set(src);
    out.set(extra, src.length);
    return out;
  }
  const out = src.slice();
  if (out.length === 0) return out;
  const flips = kind === 2 ? 1 : prng.int(1, 8);
  for (let i = 0; i < flips; i++) {
    // Half the flips land in the 13-byte record header or the 12-byte handshake header, where parsers branch.
    const at = prng.chance(0.5) ? prng.int(0, Math.min(out.length, 25) - 1) : prng.int(0, out.length - 1);
    out[at] = kind === 5 ? prng.int(0, 255) : out[at]! ^ (1 << prng.int(0, 7));
  }
  return out;
}

function randomDatagram(prng: Prng): Uint8Array {
  const b = prng.bytes(prng.int(0, 1500));
  // Half look like DTLS: a content type 20..23, version fefd, epoch 0/1, a plausible length.
  if (b.length >= 13 && prng.chance(0.5)) {
    b[0] = prng.int(20, 23);
    b[1] = 0xfe;
    b[2] = 0xfd;
    b[3] = 0;
    b[4] = prng.int(0, 1);
    const len = b.length - 13;
    b[11] = len >>> 8;
    b[12] = len & 0xff;
  }
  return b;
}

function drainAll(s: DtlsSession): void {
  while (s.pollTransmit(0, OUT, TO) > 0);
  while (s.pollEvent() !== undefined);
}

function dropped(c: DtlsCounters): number {
  return c.recordsMalformed + c.recordsBadVersion + c.recordsBadEpoch + c.recordsDecryptFailed + c.recordsReplayed + c.recordsUnexpected + c.handshakeFragmentsDropped;
}

describe('DTLS fuzz (sim)', function () {
  this.timeout(120_000);

  it('connected sessions survive 60000 random and mutated datagrams and still carry data', () => {
    const seed = seedFromEnv(31);
    const prng = new Prng(seed);
    const sim = new SimDriver(new SimNet({ prng: new Prng(seed + 1), defaultLink: { latencyMs: 5 } }));
    const opts = pinnedPair(prngRandom(prng));
    const client = new DtlsSession(opts.client, B);
    const server = new DtlsSession(opts.server, A);
    server.acceptHandshake(0);
    const cc = new Capture(client);
    const sc = new Capture(server);
    sim.add(cc, A.address, A.port);
    sim.add(sc, B.address, B.port);
    client.connect(0);
    sim.runUntil(() => client.isConnected && server.isConnected, { maxVirtualMs: 5000 });
    client.send(sim.now, new Uint8Array(100));
    server.send(sim.now, new Uint8Array(100));
    sim.runUntilIdle({ maxVirtualMs: 1000 });
    const corpus = [...cc.sent, ...sc.sent];
    const heapBefore = process.memoryUsage().heapUsed;
    let now = sim.now;
    for (let i = 0; i < 60_000; i++) {
      const dg = prng.chance(0.4) ? randomDatagram(prng) : mutate(prng, corpus[prng.int(0, corpus.length - 1)]!);
      const target = i % 2 === 0 ? client : server;
      target.handleDatagram(++now, i % 2 === 0 ? B : A, dg);
      drainAll(target);
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(client.isConnected, `seed ${seed}`).to.equal(true);
    expect(server.isConnected, `seed ${seed}`).to.equal(true);
    expect(dropped(client.counters) + dropped(server.counters)).to.be.greaterThan(50_000);
    expect(client.counters.recordsDecryptFailed).to.be.greaterThan(0);
    expect(client.counters.recordsReplayed + server.counters.recordsReplayed).to.be.greaterThan(0);
    expect(client.counters.applicationRecordsReceived).to.equal(1);
    expect(heapGrowth).to.be.lessThan(64 * 1024 * 1024);
    client.send(now, new TextEncoder().encode('still here'));
    const n = client.pollTransmit(now, OUT, TO);
    server.handleDatagram(now, A, OUT.slice(0, n));
    const e = server.pollEvent();
    expect(e?.type === 'data' && new TextDecoder().decode(e.data)).to.equal('still here');
  });

  it('handshaking clients and servers fed 20000 mutated flights fail cleanly or carry on, never throw', () => {
    const seed = seedFromEnv(32);
    const prng = new Prng(seed);
    // A corpus of every flight of one handshake.
    const sim = new SimDriver(new SimNet({ prng: new Prng(seed + 1) }));
    const opts = pinnedPair(prngRandom(prng));
    const c0 = new DtlsSession(opts.client, B);
    const s0 = new DtlsSession(opts.server, A);
    s0.acceptHandshake(0);
    const cc = new Capture(c0);
    const sc = new Capture(s0);
    sim.add(cc, A.address, A.port);
    sim.add(sc, B.address, B.port);
    c0.connect(0);
    sim.runUntil(() => c0.isConnected && s0.isConnected, { maxVirtualMs: 5000 });
    const serverFlights = sc.sent;
    const clientFlights = cc.sent;
    let failures = 0;
    let client = new DtlsSession(opts.client, B);
    let server = new DtlsSession(opts.server, A);
    client.connect(0);
    server.acceptHandshake(0);
    for (let i = 0; i < 20_000; i++) {
      const toClient = i % 2 === 0;
      const corpus = toClient ? serverFlights : clientFlights;
      const dg = prng.chance(0.8) ? mutate(prng, corpus[prng.int(0, corpus.length - 1)]!) : randomDatagram(prng);
      const s = toClient ? client : server;
      s.handleDatagram(i, toClient ? B : A, dg);
      drainAll(s);
      if (s.state === 'failed' || s.state === 'closed' || s.state === 'connected') {
        failures++;
        if (toClient) {
          client = new DtlsSession(opts.client, B);
          client.connect(i);
        } else {
          server = new DtlsSession(opts.server, A);
          server.acceptHandshake(i);
        }
      }
    }
    expect(failures, `seed ${seed}`).to.be.greaterThan(0);
    expect(dropped(client.counters) + dropped(server.counters) + failures).to.be.greaterThan(0);
  });

  it('a DtlsServer fed 30000 random and mutated datagrams from many sources stays bounded', () => {
    const seed = seedFromEnv(33);
    const prng = new Prng(seed);
    const sim = new SimDriver(new SimNet({ prng: new Prng(seed + 1) }));
    const opts = pinnedPair(prngRandom(prng));
    const server = new DtlsServer({ ...opts.server, maxSessions: 16 });
    const client = new DtlsSession(opts.client, B);
    const cc = new Capture(client);
    sim.add(cc, A.address, A.port);
    sim.add(server, B.address, B.port);
    client.connect(0);
    sim.runUntil(() => client.isConnected, { maxVirtualMs: 5000 });
    const corpus = cc.sent;
    for (let i = 0; i < 30_000; i++) {
      const from = prng.chance(0.5) ? A : { address: `198.51.100.${prng.int(1, 254)}`, port: prng.int(1024, 65535) };
      const dg = prng.chance(0.3) ? randomDatagram(prng) : mutate(prng, corpus[prng.int(0, corpus.length - 1)]!);
      server.handleDatagram(sim.now + i, from, dg);
      while (server.pollTransmit(0, OUT, TO) > 0);
      while (server.pollEvent() !== undefined);
      expect(server.sessionCount).to.be.at.most(16);
    }
    const c = server.counters;
    const session = server.session(A.address, A.port);
    expect(session?.isConnected, `seed ${seed}`).to.equal(true);
    expect(c.clientHellosMalformed + c.datagramsWithoutSession + c.helloVerifyRequestsSent + dropped(session!.counters), `seed ${seed}`).to.be.greaterThan(25_000);
  });
});
