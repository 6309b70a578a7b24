// Handshake floods from spoofed sources (RFC 6347 §4.2.1): a DtlsServer answers each ClientHello
// without a valid cookie statelessly and keeps no per-source state; a cookie made for one source
// does not open a session for another; a real client still gets through during the flood.
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv } from '@meshpunch/sim';
import { DtlsServer, DtlsSession } from '../../src/index.js';
import { encodeClientHello, encodeHandshake } from '../../src/core/handshake-messages.js';
import { writeRecordHeader } from '../../src/core/record.js';
import { pinnedPair, prngRandom } from '../helpers/peers.js';
import { Capture } from '../helpers/capture.js';

const OUT = new Uint8Array(65536);
const TO = { address: '', port: 0 };
const SERVER = { address: '10.0.0.2', port: 5000 };

/** A ClientHello datagram with `cookie` (a flood packet is cheap for an attacker to make). */
function helloDatagram(prng: Prng, cookie: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = encodeClientHello({
    version: 0xfefd, random: prng.bytes(32), sessionId: new Uint8Array(0), cookie, cipherSuites: [0xc02b],
    compressionMethods: Uint8Array.of(0), extensions: [],
  });
  const msg = encodeHandshake(1, 0, body);
  const dg = new Uint8Array(13 + msg.length);
  writeRecordHeader(dg, 0, 22, 0xfefd, 0, 0, msg.length);
  dg.set(msg, 13);
  return dg;
}

function spoofed(prng: Prng): { address: string; port: number } {
  return { address: `198.51.100.${prng.int(1, 254)}`, port: prng.int(1024, 65535) };
}

describe('DtlsServer under a spoofed handshake flood (sim)', () => {
  it('holds no session for 10000 ClientHellos from spoofed sources, answering each with a HelloVerifyRequest', () => {
    const prng = new Prng(seedFromEnv(41));
    const server = new DtlsServer(pinnedPair(prngRandom(prng)).server);
    for (let i = 0; i < 10_000; i++) {
      server.handleDatagram(i, spoofed(prng), helloDatagram(prng));
      expect(server.pollTransmit(i, OUT, TO)).to.be.greaterThan(0);
      expect(OUT[13]).to.equal(3); // HelloVerifyRequest
    }
    expect(server.sessionCount).to.equal(0);
    expect(server.pollTimeout()).to.equal(undefined);
    expect(server.counters.helloVerifyRequestsSent).to.equal(10_000);
    expect(server.counters.sessionsCreated).to.equal(0);
  });

  it('caps HelloVerifyRequests waiting to be sent and counts the overflow', () => {
    const prng = new Prng(seedFromEnv(42));
    const server = new DtlsServer({ ...pinnedPair(prngRandom(prng)).server, maxPendingHelloVerify: 8 });
    for (let i = 0; i < 100; i++) server.handleDatagram(i, spoofed(prng), helloDatagram(prng));
    expect(server.counters.helloVerifyRequestsSent).to.equal(8);
    expect(server.counters.helloVerifyDropped).to.equal(92);
    let sent = 0;
    while (server.pollTransmit(0, OUT, TO) > 0) sent++;
    expect(sent).to.equal(8);
  });

  it('does not open a session for a source replaying a cookie made for another source', () => {
    const prng = new Prng(seedFromEnv(43));
    const server = new DtlsServer(pinnedPair(prngRandom(prng)).server);
    const victim = { address: '198.51.100.7', port: 4444 };
    const hello = helloDatagram(prng);
    server.handleDatagram(0, victim, hello);
    const n = server.pollTransmit(0, OUT, TO);
    const cookie = OUT.slice(13 + 12 + 3, n);
    expect(cookie).to.have.length(32);
    // Same random, the cookie copied, but a different source: refused statelessly.
    const random = hello.subarray(13 + 12 + 2, 13 + 12 + 34);
    const body = encodeClientHello({ version: 0xfefd, random, sessionId: new Uint8Array(0), cookie, cipherSuites: [0xc02b], compressionMethods: Uint8Array.of(0), extensions: [] });
    const msg = encodeHandshake(1, 1, body);
    const replay = new Uint8Array(13 + msg.length);
    writeRecordHeader(replay, 0, 22, 0xfefd, 0, 1, msg.length);
    replay.set(msg, 13);
    server.handleDatagram(1, { address: '198.51.100.8', port: 4444 }, replay);
    expect(server.counters.cookiesInvalid).to.equal(1);
    expect(server.sessionCount).to.equal(0);
    // From the victim's own address the cookie is good and a session starts.
    server.handleDatagram(2, victim, replay);
    expect(server.sessionCount).to.equal(1);
  });

  it('lets a real client connect while 2000 spoofed hellos arrive', () => {
    const seed = seedFromEnv(44);
    const prng = new Prng(seed);
    const sim = new SimDriver(new SimNet({ prng: new Prng(seed + 1), defaultLink: { latencyMs: 5 } }));
    const opts = pinnedPair(prngRandom(prng));
    const server = new DtlsServer(opts.server);
    const client = new DtlsSession(opts.client, SERVER);
    sim.add(new Capture(client), '10.0.0.1', 4000);
    sim.add(server, SERVER.address, SERVER.port);
    client.connect(0);
    for (let i = 0; i < 2000 && !client.isConnected; i++) {
      server.handleDatagram(sim.now, spoofed(prng), helloDatagram(prng));
      sim.step();
    }
    sim.runUntil(() => client.isConnected, { maxVirtualMs: 5000 });
    expect(server.sessionCount).to.equal(1);
  });
});
