// Simulation (virtual time): a host with outgoingBandwidth set paces itself (issue #3 and
// src/core/pacing.ts), and the packet throttle drops unreliable packets exactly by libenet's
// counter rule and adapts to RTT changes (enet-protocol.md §9.1, §9.3).
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import { PacketFlag } from '../../src/index.js';
import { connectPair, makePair } from './helpers.js';

describe('HostCore bandwidth and packet throttle (sim)', function () {
  this.timeout(30_000);

  for (const latencyMs of [1, 10, 40]) {
    it(`keeps a 50 kB/s host at ≤ 60 kB/s over 5 s and delivers every reliable packet (${latencyMs} ms links)`, () => {
      const p = makePair(seedFromEnv(4101), { latencyMs }, { outgoingBandwidth: 50_000 }, {});
      const { pa } = connectPair(p);
      const payload = new Uint8Array(1000).map((_, i) => i & 0xff);
      const count = 400; // 400 kB: eight seconds' worth at the limit, so the limit binds
      for (let i = 0; i < count; i++) p.a.core.send(pa, i % 2, payload, PacketFlag.Reliable);
      const sent0 = p.a.core.stats.totalSentData;
      p.runFor(5000);
      const rate = (p.a.core.stats.totalSentData - sent0) / 5;
      expect(rate, 'bytes/s sent over 5 s').to.be.at.most(60_000);
      // Not starved either: at least 80 % of the limit while data is waiting.
      expect(rate, 'bytes/s sent over 5 s').to.be.at.least(latencyMs <= 10 ? 40_000 : 20_000);
      p.runUntil(() => p.b.count('receive') === count, 60_000);
      const got = p.b.events.filter((e) => e.type === 'receive');
      expect(got.length).to.equal(count);
      expect(got.every((e) => e.packet!.length === 1000)).to.equal(true);
    });
  }

  it('paces after bandwidthLimit() is lowered on a live host, and control traffic is not held', () => {
    const p = makePair(seedFromEnv(4102), { latencyMs: 5 }, {}, {});
    const { pa } = connectPair(p);
    p.a.core.bandwidthLimit(0, 20_000);
    for (let i = 0; i < 200; i++) p.a.core.send(pa, 0, new Uint8Array(1000), PacketFlag.Reliable);
    const sent0 = p.a.core.stats.totalSentData;
    p.runFor(5000);
    expect((p.a.core.stats.totalSentData - sent0) / 5).to.be.within(10_000, 24_000);
    // A disconnect queued behind paced data still reaches the remote promptly.
    p.a.core.disconnect(pa, 7);
    p.runUntil(() => p.b.count('disconnect') === 1, 2000);
    expect(p.b.events.find((e) => e.type === 'disconnect')!.data).to.equal(7);
  });

  for (const throttle of [0, 8, 16, 31, 32]) {
    it(`drops exactly ${Math.max(0, 31 - throttle)} of every 32 unreliable packets at packet throttle ${throttle}`, () => {
      const p = makePair(seedFromEnv(4103), { latencyMs: 5 }, {}, {});
      const { pa } = connectPair(p);
      // libenet §9.1: counter = (counter + 7) % 32 per unreliable packet, dropped when
      // counter > throttle; 7 is odd, so 32 packets in a row visit every counter value once.
      pa.packetThrottle = throttle;
      const n = 320;
      for (let i = 0; i < n; i++) p.a.core.send(pa, 0, new Uint8Array([i & 0xff, i >> 8]), 0);
      const before = p.a.core.stats.throttledPackets;
      p.runFor(200);
      const dropped = p.a.core.stats.throttledPackets - before;
      expect(dropped).to.equal((n / 32) * Math.max(0, 31 - throttle));
      expect(p.b.count('receive')).to.equal(n - dropped);
    });
  }

  it('lowers the throttle when RTT rises, drops unreliable traffic, and recovers when it falls', () => {
    const p = makePair(seedFromEnv(4104), { latencyMs: 10 }, {}, {});
    const { pa } = connectPair(p);
    // Steady traffic: one reliable (RTT samples) and one unreliable packet every 20 ms.
    const tick = (ms: number): void => {
      for (let t = 0; t < ms; t += 20) {
        p.a.core.send(pa, 0, new Uint8Array(16), PacketFlag.Reliable);
        p.a.core.send(pa, 1, new Uint8Array(16), 0);
        p.runFor(20);
      }
    };
    tick(6000);
    expect(pa.packetThrottle, 'steady link: full throttle').to.equal(32);
    const dropsBefore = p.a.core.stats.throttledPackets;
    // Latency climbs in steps, as a queue building up on a congested path.
    let minThrottle = 32;
    for (let lat = 20; lat <= 200; lat += 20) {
      p.net.setLink(p.a.address, { latencyMs: lat });
      p.net.setLink(p.b.address, { latencyMs: lat });
      for (let k = 0; k < 10; k++) {
        tick(40);
        minThrottle = Math.min(minThrottle, pa.packetThrottle);
      }
    }
    expect(minThrottle, 'throttle decelerated').to.be.lessThan(32);
    expect(p.a.core.stats.throttledPackets - dropsBefore, 'unreliable packets dropped by the throttle').to.be.greaterThan(0);
    p.net.setLink(p.a.address, { latencyMs: 10 });
    p.net.setLink(p.b.address, { latencyMs: 10 });
    tick(12_000);
    expect(pa.packetThrottle, 'recovered after the path calmed down').to.equal(32);
  });
});
