// Simulation: MTU negotiation, throttle configuration, checksum and compression end to end,
// packet-loss statistics (virtual time).
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import { decodeDatagram, enetCrc32, PacketFlag, RangeCoder } from '../../src/index.js';
import { connectPair, makePair } from './helpers.js';

describe('HostCore features (sim)', function () {
  this.timeout(30_000);

  it('negotiates the smaller MTU and fragments to fit it', () => {
    const p = makePair(seedFromEnv(4001), { mtu: 1200 }, { mtu: 1400 }, { mtu: 1200 });
    const { pa, pb } = connectPair(p);
    expect(pa.mtu).to.equal(1200);
    expect(pb.mtu).to.equal(1200);
    expect(p.a.core.fragmentLength(pa)).to.equal(1200 - 28);
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    p.a.core.send(pa, 0, big, PacketFlag.Reliable);
    p.runUntil(() => p.b.count('receive') === 1);
    expect(Buffer.compare(Buffer.from(p.b.events.find((e) => e.type === 'receive')!.packet!), Buffer.from(big))).to.equal(0);
    expect(p.net.counters.droppedMtu).to.equal(0);
  });

  it('sends THROTTLE_CONFIGURE and the remote adopts the values', () => {
    const p = makePair(seedFromEnv(4002));
    const { pa, pb } = connectPair(p);
    p.a.core.throttleConfigure(pa, 1000, 4, 3);
    p.runFor(200);
    expect([pb.packetThrottleInterval, pb.packetThrottleAcceleration, pb.packetThrottleDeceleration]).to.deep.equal([1000, 4, 3]);
    expect([pa.packetThrottleInterval, pa.packetThrottleAcceleration, pa.packetThrottleDeceleration]).to.deep.equal([1000, 4, 3]);
  });

  it('works end to end with CRC32 checksums and the range coder under loss', () => {
    const opts = { checksum: enetCrc32, compressor: new RangeCoder() };
    const p = makePair(seedFromEnv(4003), { loss: 0.1, jitterMs: 20 }, opts, { checksum: enetCrc32, compressor: new RangeCoder() });
    const { pa } = connectPair(p);
    expect(p.a.core.fragmentLength(pa)).to.equal(1400 - 32);
    const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog '.repeat(20));
    for (let i = 0; i < 200; i++) p.a.core.send(pa, i % 2, i % 20 === 0 ? new Uint8Array(4000).fill(i) : text, PacketFlag.Reliable);
    p.runUntil(() => p.b.count('receive') === 200, 120_000);
    expect(p.b.core.stats.droppedBadChecksum).to.equal(0);
    expect(p.b.core.stats.droppedDecompress).to.equal(0);
    // Compression must actually have happened: the text compresses well.
    expect(p.a.core.stats.totalSentData).to.be.below(200 * text.length / 2);
  });

  it('drops every datagram when only one side checksums, and counts it', () => {
    const p = makePair(seedFromEnv(4004), {}, { checksum: enetCrc32 }, {});
    p.a.core.connect(p.b.address, p.b.port, 1, 0);
    p.runFor(3000);
    expect(p.b.count('connect')).to.equal(0);
    expect(p.b.core.stats.droppedDatagrams + p.b.core.stats.commandFailures).to.be.greaterThan(0);
  });

  it('drops compressed datagrams at a host without a compressor', () => {
    const p = makePair(seedFromEnv(4005), {}, { compressor: new RangeCoder() }, {});
    p.a.core.connect(p.b.address, p.b.port, 1, 0);
    p.runFor(3000);
    expect(p.b.core.stats.droppedDecompress).to.be.greaterThan(0);
    expect(p.b.count('connect')).to.equal(0);
  });

  it('measures packet loss over a 10 s epoch (scale 65536)', () => {
    const p = makePair(seedFromEnv(4006));
    const { pa } = connectPair(p);
    p.net.setDefaultLink({ loss: 0.25 });
    for (let t = 0; t < 25_000; t += 20) {
      p.a.core.send(pa, 0, Uint8Array.of(1, 2, 3), PacketFlag.Reliable);
      p.runFor(20);
    }
    expect(pa.packetLoss).to.be.within(1000, 40000);
    expect(pa.roundTripTime).to.be.greaterThan(0);
  });

  it('packs small commands until the MTU by default, and at most maxCommandsPerDatagram when set (32 = libenet)', () => {
    const out = new Uint8Array(4096);
    const to = { address: '', port: 0 };
    const firstDatagram = (cap: number | undefined): number => {
      const p = makePair(seedFromEnv(4007), {}, cap === undefined ? {} : { maxCommandsPerDatagram: cap });
      const { pa } = connectPair(p);
      for (let i = 0; i < 100; i++) p.a.core.send(pa, 0, Uint8Array.of(i), 0);
      const n = p.a.core.pollTransmit(p.driver.now, out, to);
      expect(n).to.be.at.most(1400);
      return decodeDatagram(out.subarray(0, n)).datagram!.commands.length;
    };
    // 100 SEND_UNRELIABLE of 1 byte are 900 bytes: one datagram by default.
    expect(firstDatagram(undefined)).to.equal(100);
    expect(firstDatagram(32)).to.equal(32);
    expect(firstDatagram(7)).to.equal(7);
  });

  it('acknowledges a burst of small reliable packets with ACK datagrams filled to the MTU', () => {
    const p = makePair(seedFromEnv(4009));
    const { pa } = connectPair(p);
    for (let i = 0; i < 400; i++) p.a.core.send(pa, 0, Uint8Array.of(i), PacketFlag.Reliable);
    const acksPerDatagram: number[] = [];
    const orig = p.b.core.pollTransmit.bind(p.b.core);
    p.b.core.pollTransmit = (now, buf, dest) => {
      const n = orig(now, buf, dest);
      if (n > 0) acksPerDatagram.push(decodeDatagram(buf.subarray(0, n)).datagram!.commands.filter((c) => (c.command & 0x0f) === 1).length);
      return n;
    };
    p.runUntil(() => p.b.count('receive') === 400);
    p.runFor(200);
    // 174 ACKs of 8 bytes fit in 1400 − 4; libenet would send 13 datagrams of 32.
    expect(acksPerDatagram.reduce((a, b) => a + b, 0)).to.be.at.least(400);
    expect(Math.max(...acksPerDatagram)).to.be.within(33, 174);
  });

  it('holds ACK-only datagrams on request: the next packet carries the ACK, else the next pollTransmit; held ACKs are due at once', () => {
    const p = makePair(seedFromEnv(4010));
    const { pa, pb } = connectPair(p);
    p.runFor(50);
    const out = new Uint8Array(4096);
    const to = { address: '', port: 0 };
    const now = p.driver.now;
    const kinds = (n: number): number[] => decodeDatagram(out.subarray(0, n)).datagram!.commands.map((c) => c.command & 0x0f);
    // Hand-deliver a's reliable packets to b, so b owes exactly their ACKs.
    const deliverToB = (byte: number): void => {
      p.a.core.send(pa, 0, Uint8Array.of(byte), PacketFlag.Reliable);
      const sent = p.a.core.pollTransmit(now, out, to);
      p.b.core.handleDatagram(now, { address: p.a.address, port: p.a.port }, out.slice(0, sent));
    };
    const dueBefore = p.b.core.pollTimeout();
    expect(dueBefore, 'nothing due yet').to.be.greaterThan(now);
    deliverToB(1);
    expect(p.b.core.pollTransmitHoldingAcks(now, out, to)).to.equal(0);
    expect(p.b.core.pollTimeout(), 'the held ACK is due now').to.equal(now);
    // b answers: ACK and answer in one datagram, even when holding.
    expect(p.b.core.send(pb, 0, Uint8Array.of(9), PacketFlag.Reliable)).to.equal(true);
    expect(kinds(p.b.core.pollTransmitHoldingAcks(now, out, to))).to.deep.equal([1, 6]);
    expect(p.b.core.pollTransmitHoldingAcks(now, out, to)).to.equal(0);
    expect(p.b.core.pollTimeout(), 'nothing held: the next deadline is a retransmission').to.be.greaterThan(now);
    // Nothing to answer: pollTransmit sends the ACK alone, and nothing is due any more.
    deliverToB(2);
    expect(p.b.core.pollTransmitHoldingAcks(now, out, to)).to.equal(0);
    expect(p.b.core.pollTimeout()).to.equal(now);
    expect(kinds(p.b.core.pollTransmit(now, out, to))).to.deep.equal([1]);
    expect(to).to.deep.equal({ address: p.a.address, port: p.a.port });
    expect(p.b.core.pollTransmit(now, out, to)).to.equal(0);
    expect(p.b.core.pollTimeout()).to.be.greaterThan(now);
  });

  it('copies what send() is given, so a reused Buffer does not change queued packets', () => {
    const p = makePair(seedFromEnv(4008));
    const { pa } = connectPair(p);
    const buf = Buffer.alloc(4);
    for (let i = 0; i < 20; i++) {
      buf.writeUInt32BE(i);
      p.a.core.send(pa, 0, buf, i % 2 === 0 ? PacketFlag.Reliable : 0);
    }
    buf.writeUInt32BE(0xdead);
    p.runFor(500);
    const got = p.b.events.filter((e) => e.type === 'receive').map((e) => Buffer.from(e.packet!).readUInt32BE(0));
    expect(got).to.deep.equal([...Array(20).keys()]);
  });
});
