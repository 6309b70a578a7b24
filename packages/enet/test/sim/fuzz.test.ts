// Bad input: 100 000 random, mutated and crafted datagrams at a live host core while an honest
// peer keeps exchanging data. Nothing may throw; state stays bounded; drop counters move.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { Command, CorePeerState as PeerState, HostCore, PacketFlag } from '../../src/index.js';
import { connectPair, makePair } from './helpers.js';
import { isHoldable } from '../../src/core/commands.js';

const WAITING_CAP = 256 * 1024;
const MAX_PACKET = 64 * 1024;

describe('HostCore under hostile input (sim)', function () {
  this.timeout(60_000);

  it('survives 100 000 random, mutated and crafted datagrams with bounded state while an honest peer keeps working', () => {
    const seed = seedFromEnv(3001);
    const rnd = new Prng(seed);
    const p = makePair(seed, {}, {}, { peerCount: 8, maximumWaitingData: WAITING_CAP, maximumPacketSize: MAX_PACKET, maxPendingAcknowledgements: 1024 });
    const { pa } = connectPair(p, 2);
    const b = p.b.core;
    // The attacker is a real ENet client whose datagrams we capture, mutate and inject.
    const evil = new HostCore({ random: (o) => rnd.fill(o) });
    const evilAddr = { address: '203.0.113.66', port: 6666 };
    p.driver.add(evil, evilAddr.address, evilAddr.port);
    let ep = evil.connect(p.b.address, p.b.port, 2, 1)!;
    p.runUntil(() => ep.state === PeerState.Connected && p.b.count('connect') === 2);
    let reconnects = 0;
    const corpus: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    const to = { address: '', port: 0 };
    for (let i = 0; i < 60; i++) {
      const flags = [0, PacketFlag.Reliable, PacketFlag.Unsequenced, PacketFlag.UnreliableFragment][i % 4]!;
      evil.send(ep, i % 2, rnd.bytes(i % 3 === 0 ? 3000 : rnd.int(0, 300)), flags);
      if (i % 7 === 0) evil.ping(ep);
      for (let n = evil.pollTransmit(p.driver.now, buf, to); n > 0; n = evil.pollTransmit(p.driver.now, buf, to)) corpus.push(buf.slice(0, n));
    }
    expect(corpus.length).to.be.greaterThan(20);
    let slot = ep.outgoingPeerID;
    let sessionBits = ep.outgoingSessionID << 12;
    let honestSent = 0;
    for (let i = 0; i < 100_000; i++) {
      let dg: Uint8Array;
      const kind = i % 4;
      if (kind === 0) {
        dg = rnd.bytes(rnd.int(0, 120));
      } else if (kind === 1) {
        dg = corpus[rnd.int(0, corpus.length - 1)]!.slice();
        const flips = rnd.int(1, 4);
        for (let k = 0; k < flips; k++) dg[rnd.int(0, dg.length - 1)] = rnd.int(0, 255);
        if (rnd.chance(0.3)) dg = dg.subarray(0, rnd.int(0, dg.length));
      } else if (kind === 2) {
        dg = crafted(rnd, slot, sessionBits);
      } else {
        // Bogus peer ids, wrong sessions, and the honest peer's slot from the wrong address.
        dg = corpus[rnd.int(0, corpus.length - 1)]!.slice();
        const word = rnd.pick([0x0fff, rnd.int(0, 0x0fff), 0, slot]) | (rnd.int(0, 3) << 12) | (dg[0]! & 0xc0) << 8;
        dg[0] = word >>> 8;
        dg[1] = word & 0xff;
      }
      const from = kind === 3 && rnd.chance(0.5) ? { address: '198.51.100.' + rnd.int(1, 200), port: rnd.int(1, 65535) } : evilAddr;
      b.handleDatagram(p.driver.now, from, dg);
      if (i % 50 === 0) p.runFor(2);
      if (i % 2000 === 0) {
        p.a.core.send(pa, 0, Uint8Array.of(honestSent & 0xff, honestSent >> 8), PacketFlag.Reliable);
        honestSent++;
      }
      if (i % 10_000 === 0) assertBounded(b);
      if (i % 500 === 0 && b.peers[slot]!.state !== PeerState.Connected) {
        // A mutated DISCONNECT (or a timeout of the half-fed attacker) ended the attacker's
        // connection: reconnect it so its slot keeps being fuzzed past the header checks.
        evil.resetPeer(ep);
        ep = evil.connect(p.b.address, p.b.port, 2, 1)!;
        p.runUntil(() => ep.state === PeerState.Connected, 60_000);
        slot = ep.outgoingPeerID;
        sessionBits = ep.outgoingSessionID << 12;
        reconnects++;
      }
    }
    p.runUntil(() => p.b.events.filter((e) => e.type === 'receive' && e.peer.address === p.a.address).length === honestSent, 120_000);
    const honest = p.b.events.filter((e) => e.type === 'receive' && e.peer.address === p.a.address).map((e) => e.packet![0]! | (e.packet![1]! << 8));
    expect(honest).to.deep.equal([...Array(honestSent).keys()]);
    expect(pa.state, `seed ${seed}`).to.equal(PeerState.Connected);
    assertBounded(b);
    const s = b.stats;
    if (process.env.MESHPUNCH_TRACE === "1") console.log(s);
    expect(s.droppedDatagrams).to.be.greaterThan(10_000);
    expect(s.droppedMalformed).to.be.greaterThan(0);
    expect(s.droppedUnknownPeer + s.droppedWrongSession + s.droppedWrongAddress).to.be.greaterThan(0);
    expect(s.commandFailures).to.be.greaterThan(0);
    expect(reconnects).to.be.below(200);
  });
});

/** Checks every per-peer queue and buffer of `core` against its configured caps. */
function assertBounded(core: HostCore): void {
  for (const peer of core.peers) {
    expect(peer.totalWaitingData).to.be.at.most(WAITING_CAP + MAX_PACKET + 200_000);
    expect(peer.acknowledgements.length).to.be.at.most(1024);
    expect(peer.outgoingCommands.length).to.be.below(10_000);
    let unheld = 0;
    for (let i = 0; i < peer.outgoingCommands.length; i++) if (!isHoldable(peer.outgoingCommands.at(i)!)) unheld++;
    expect(peer.outgoingUnheld).to.equal(unheld);
    for (const ch of peer.channels) {
      expect(ch.incomingReliableCommands.length + ch.incomingUnreliableCommands.length).to.be.below(20_000);
    }
  }
  expect(core.pendingEvents).to.be.below(100_000);
}

/** A datagram addressed to the attacker's slot with one syntactically plausible, hostile command. */
function crafted(rnd: Prng, slot: number, sessionBits: number): Uint8Array {
  const n = rnd.int(1, 12);
  const body = new Uint8Array(48 + rnd.int(0, 64));
  const v = new DataView(body.buffer);
  body[0] = n | (rnd.chance(0.7) ? 0x80 : 0);
  body[1] = rnd.pick([0, 1, 2, 0xff, rnd.int(0, 255)]);
  v.setUint16(2, rnd.pick([0, 1, 0xffff, rnd.int(0, 0xffff), 0x7000, 0x8000]));
  for (let k = 4; k < body.length; k++) body[k] = rnd.int(0, 255);
  if (n === Command.SendFragment || n === Command.SendUnreliableFragment) {
    v.setUint16(6, rnd.int(0, 80));
    v.setUint32(8, rnd.pick([0, 1, 2, 0xffffffff, 1 << 20, (1 << 20) + 1, rnd.nextUint32()]));
    v.setUint32(12, rnd.pick([0, 1, rnd.nextUint32()]));
    v.setUint32(16, rnd.pick([0, 1, 1 << 25, 0xffffffff, rnd.int(0, 1 << 20)]));
    v.setUint32(20, rnd.pick([0, rnd.nextUint32(), rnd.int(0, 4096)]));
  } else if (n === Command.SendReliable) {
    v.setUint16(4, rnd.pick([0, 5, 40, 0xffff]));
  } else if (n === Command.SendUnreliable || n === Command.SendUnsequenced) {
    v.setUint16(6, rnd.pick([0, 5, 40, 0xffff]));
  } else if (n === Command.Disconnect) {
    body[0] = Command.Ping | 0x80; // keep the attacker connected so its slot keeps being fuzzed
  }
  const out = new Uint8Array(4 + body.length);
  const word = slot | sessionBits | 0x8000;
  out[0] = word >>> 8;
  out[1] = word & 0xff;
  out[2] = rnd.int(0, 255);
  out[3] = rnd.int(0, 255);
  out.set(body, 4);
  return out;
}
