// Fuzz: 10^5 random and mutated-valid datagrams into TurnServerCore (control and relayed ports)
// and TurnClient (from the server's address). Nothing may throw, state stays bounded, counters move.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { SERVER, TurnLab } from './turn-lab.js';

const N = 100_000;

function mutate(prng: Prng, base: Uint8Array): Uint8Array {
  const b = base.slice();
  switch (prng.int(0, 5)) {
    case 0: // flip 1-4 bytes
      for (let i = prng.int(1, 4); i > 0; i--) b[prng.int(0, b.length - 1)] = prng.int(0, 255);
      return b;
    case 1: // truncate
      return b.subarray(0, prng.int(0, b.length));
    case 2: { // extend with junk
      const x = new Uint8Array(b.length + prng.int(1, 64));
      x.set(b);
      x.set(prng.bytes(x.length - b.length), b.length);
      return x;
    }
    case 3: // corrupt a length field (header or an attribute's)
      if (b.length >= 4) {
        const at = prng.chance(0.5) ? 2 : Math.min(b.length - 2, 22 + 4 * prng.int(0, 8));
        b[at] = prng.int(0, 255);
        b[at + 1] = prng.int(0, 255);
      }
      return b;
    case 4: { // random bytes that look like STUN or ChannelData
      const x = prng.bytes(prng.int(0, 120));
      if (x.length >= 8 && prng.chance(0.5)) {
        x[0] &= 0x3f;
        x.set([0x21, 0x12, 0xa4, 0x42], 4);
        x[2] = 0;
        x[3] = (x.length - 20) & 0xfc;
      } else if (x.length >= 4) {
        x[0] = 0x40 | (x[0]! & 0x3f);
      }
      return x;
    }
    default:
      return prng.bytes(prng.int(0, 200));
  }
}

describe('TURN cores (fuzz)', function () {
  this.timeout(120_000);
  it(`survive ${N} random and mutated datagrams: no throw, bounded state, counters moved`, () => {
    const seed = seedFromEnv(4242);
    const prng = new Prng(seed);
    const lab = new TurnLab({ maxAllocations: 64 });
    const c = lab.client('203.0.113.5', 5000, 'lobby.a');
    const port = lab.allocate(c);
    const peer = { address: '203.0.113.20', port: 40000 };
    c.createPermission(lab.now, peer.address);
    c.bindChannel(lab.now, peer);
    lab.pump();
    // A corpus of valid datagrams in both directions, captured from the lab.
    const corpus: Uint8Array[] = [];
    const out = new Uint8Array(2048);
    const to = { address: '', port: 0 };
    const d = lab.client('203.0.113.6', 6000, 'lobby.b');
    d.allocate(lab.now);
    for (let n = d.pollTransmit(lab.now, out, to); n > 0; n = d.pollTransmit(lab.now, out, to)) corpus.push(out.slice(0, n));
    corpus.push(out.slice(0, c.encodeSend(peer, Uint8Array.of(1, 2, 3), out)));
    corpus.push(out.slice(0, c.encodeSend({ address: '203.0.113.21', port: 1 }, Uint8Array.of(4), out)));
    lab.server.handleRelayDatagram(lab.now, port, peer, Uint8Array.of(9));
    const sto = { address: '', port: 0, relayPort: 0 };
    for (let n = lab.server.pollTransmit(lab.now, out, sto); n > 0; n = lab.server.pollTransmit(lab.now, out, sto)) corpus.push(out.slice(0, n));
    c.refresh(lab.now);
    for (let n = c.pollTransmit(lab.now, out, to); n > 0; n = c.pollTransmit(lab.now, out, to)) corpus.push(out.slice(0, n));
    expect(corpus.length).to.be.at.least(5);

    const sources = [{ address: '203.0.113.5', port: 5000 }, { address: '203.0.113.6', port: 6000 }, { address: '203.0.113.66', port: 1 }];
    const before = JSON.stringify(lab.server.counters);
    const clientBefore = JSON.stringify(c.counters);
    let maxQueued = 0;
    for (let i = 0; i < N; i++) {
      if (i % 1000 === 0) lab.now += 50;
      const bytes = prng.chance(0.8) ? mutate(prng, prng.pick(corpus)) : prng.bytes(prng.int(0, 64));
      const target = prng.int(0, 2);
      if (target === 0) lab.server.handleDatagram(lab.now, prng.pick(sources), bytes);
      else if (target === 1) lab.server.handleRelayDatagram(lab.now, prng.chance(0.8) ? port : prng.int(1, 65535), prng.chance(0.5) ? peer : prng.pick(sources), bytes);
      else c.handleDatagram(lab.now, SERVER, bytes);
      maxQueued = Math.max(maxQueued, lab.server.queuedTransmits);
      while (lab.server.pollTransmit(lab.now, out, sto) > 0);
      while (c.pollTransmit(lab.now, out, to) > 0);
      while (lab.server.pollEvent());
      while (c.pollEvent());
    }
    expect(JSON.stringify(lab.server.counters)).to.not.equal(before);
    expect(JSON.stringify(c.counters)).to.not.equal(clientBefore);
    expect(lab.server.counters.dropped.malformed + lab.server.counters.dropped.unbound_channel).to.be.greaterThan(1000);
    expect(c.counters.malformed + c.counters.unmatched + c.counters.unboundChannel + c.counters.badIntegrity).to.be.greaterThan(1000);
    expect(lab.server.allocations).to.be.at.most(64);
    expect(maxQueued).to.be.at.most(4);
  });
});
