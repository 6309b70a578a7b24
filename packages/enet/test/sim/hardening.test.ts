// Denial-of-service attacks on a host core (issue 13 items 3 and 5), on the virtual clock:
// spoofed CONNECTs that fill the peer slots, and fragment headers that announce huge packets.
import { expect } from 'chai';
import { Prng } from '@meshpunch/sim';
import { Command, COMMAND_FLAG_ACKNOWLEDGE, CorePeerState as PeerState, HostCore, PacketFlag, type Peer } from '../../src/index.js';
import { connectPair, makePair } from './helpers.js';

const ATTACKER = '198.51.100.7';

/** A CONNECT datagram as a fresh libenet-style client would send it (captured from a throwaway core). */
function connectDatagram(seed: number): Uint8Array {
  const rng = new Prng(seed);
  const c = new HostCore({ random: (o) => rng.fill(o) });
  c.connect('203.0.113.2', 2000, 2, 0);
  const out = new Uint8Array(4096);
  const n = c.pollTransmit(0, out, { address: '', port: 0 });
  return out.slice(0, n);
}

function heldSlots(core: HostCore): number {
  let n = 0;
  for (const p of core.peers) if (p.state !== PeerState.Disconnected) n++;
  return n;
}

/** One datagram from a connected peer carrying one SEND_FRAGMENT that announces `total` bytes. */
function hugeFragment(peer: Peer, startSeq: number, total: number, fragmentCount: number, payload: number): Uint8Array {
  const out = new Uint8Array(4 + 24 + payload);
  const v = new DataView(out.buffer);
  v.setUint16(0, peer.outgoingPeerID | (peer.outgoingSessionID << 12) | 0x8000);
  v.setUint16(2, 0);
  out[4] = Command.SendFragment | COMMAND_FLAG_ACKNOWLEDGE;
  out[5] = 0;
  v.setUint16(6, startSeq);
  v.setUint16(8, startSeq);
  v.setUint16(10, payload);
  v.setUint32(12, fragmentCount);
  v.setUint32(16, 0);
  v.setUint32(20, total);
  v.setUint32(24, 0);
  return out;
}

describe('HostCore hardening (sim)', function () {
  this.timeout(60_000);

  describe('#handleDatagram CONNECT limits', () => {
    it('64 spoofed CONNECTs from one IP (different ports) cannot fill a 32-slot host; a real client still connects', () => {
      const p = makePair(1301, {}, {}, { peerCount: 32 });
      const b = p.b.core;
      for (let i = 0; i < 64; i++) b.handleDatagram(p.driver.now, { address: ATTACKER, port: 40000 + i }, connectDatagram(i + 1));
      const held = heldSlots(b);
      // Before the fix: 32 of 32 held (issue 13 item 3). After: the per-IP half-open cap.
      expect(held, 'slots held by the spoofed CONNECTs').to.equal(b.config.maxHalfOpenPerAddress);
      expect(b.stats.halfOpenRefusals).to.equal(64 - b.config.maxHalfOpenPerAddress);
      const { pa } = connectPair(p, 2, 7);
      expect(pa.state).to.equal(PeerState.Connected);
    });

    it('a CONNECT nobody completes frees its slot after halfOpenTimeout, not after the full peer timeout', () => {
      const p = makePair(1302, {}, {}, { peerCount: 1 });
      const b = p.b.core;
      const t0 = p.driver.now;
      b.handleDatagram(t0, { address: ATTACKER, port: 40000 }, connectDatagram(9));
      expect(heldSlots(b)).to.equal(1);
      p.runUntil(() => heldSlots(b) === 0, 60_000);
      const heldFor = p.driver.now - t0;
      // Before the fix: ≈ 31.6 s (VERIFY_CONNECT retried until the 32× RTO limit). After: 5 s.
      expect(heldFor, 'virtual ms the slot was held').to.be.at.most(b.config.halfOpenTimeout + 100);
      expect(b.stats.halfOpenTimeouts).to.equal(1);
      // The single slot is free again for the real client.
      const { pa } = connectPair(p, 2, 7);
      expect(pa.state).to.equal(PeerState.Connected);
    });

    it('a spoofed CONNECT flood at 64/s from one IP leaves room for a real client throughout', () => {
      const p = makePair(1303, {}, {}, { peerCount: 32 });
      const b = p.b.core;
      let maxHeld = 0;
      for (let s = 0; s < 10; s++) {
        for (let i = 0; i < 64; i++) b.handleDatagram(p.driver.now, { address: ATTACKER, port: 1024 + s * 64 + i }, connectDatagram(1000 + s * 64 + i));
        maxHeld = Math.max(maxHeld, heldSlots(b));
        p.runFor(1000);
      }
      expect(maxHeld).to.be.at.most(b.config.maxHalfOpenPerAddress);
      const { pa } = connectPair(p, 2, 7);
      expect(pa.state).to.equal(PeerState.Connected);
    });
  });

  describe('#handleDatagram CONNECTs spoofed from many addresses', () => {
    /** 64 CONNECTs per second, each from a new address: 3 s of flood, then a real client connects while it goes on for 3 s. */
    function floodFromMany(evictHalfOpen: boolean): { connected: boolean; evictions: number; fullBeforeClient: boolean } {
      const p = makePair(1309, {}, {}, { peerCount: 32, evictHalfOpen });
      const b = p.b.core;
      let n = 0;
      const burst = (count: number): void => {
        for (let k = 0; k < count; k++, n++) {
          b.handleDatagram(p.driver.now, { address: `10.${(n >> 8) & 0xff}.${n & 0xff}.1`, port: 40000 }, connectDatagram(5000 + n));
          p.runFor(1000 / 64);
        }
      };
      burst(64 * 3);
      const fullBeforeClient = heldSlots(b) === 32;
      const pa = p.a.core.connect(p.b.address, p.b.port, 2, 7)!;
      burst(64 * 3);
      return { connected: pa.state === PeerState.Connected, evictions: b.stats.halfOpenEvictions, fullBeforeClient };
    }

    it('64 CONNECTs/s from 64 different addresses cannot keep a 32-slot host full: the oldest handshake gives way', () => {
      const on = floodFromMany(true);
      expect(on.fullBeforeClient, 'the flood fills every slot').to.equal(true);
      expect(on.connected, 'real client connected during the flood').to.equal(true);
      expect(on.evictions).to.be.greaterThan(0);
    });

    it('without eviction (libenet\'s behaviour) the same flood keeps the real client out', () => {
      const off = floodFromMany(false);
      expect(off.fullBeforeClient).to.equal(true);
      expect(off.connected).to.equal(false);
      expect(off.evictions).to.equal(0);
    });
  });

  describe('#handleDatagram fragment memory', () => {
    it('one ~1 KB datagram announcing a 32 MiB packet allocates a chunk, not 32 MiB; 8 such peers stay bounded', () => {
      const p = makePair(1304, {}, {}, { peerCount: 16 });
      const b = p.b.core;
      const attackers: Peer[] = [];
      const rng = new Prng(77);
      for (let k = 0; k < 8; k++) {
        const evil = new HostCore({ random: (o) => rng.fill(o) });
        p.driver.add(evil, `198.51.100.${10 + k}`, 5000);
        const ep = evil.connect(p.b.address, p.b.port, 2, 0)!;
        p.runUntil(() => ep.state === PeerState.Connected && p.b.count('connect') === k + 1);
        attackers.push(ep);
      }
      const total = 32 * 1024 * 1024;
      const before = process.memoryUsage().arrayBuffers;
      for (let k = 0; k < 8; k++) {
        b.handleDatagram(p.driver.now, { address: `198.51.100.${10 + k}`, port: 5000 }, hugeFragment(attackers[k]!, 1, total, 32768, 1000));
      }
      const grown = process.memoryUsage().arrayBuffers - before;
      // Before the fix: 8 × 32 MiB = 256 MiB allocated by 8 datagrams of 1028 bytes.
      expect(grown, 'bytes allocated by 8 datagrams').to.be.below(4 * 1024 * 1024);
      expect(b.waitingData, 'host-wide waiting data charged').to.be.below(4 * 1024 * 1024);
      // The groups are held (not refused): the attack costs the attacker its real bytes.
      let held = 0;
      for (const peer of b.peers) held += peer.totalWaitingData;
      expect(held).to.equal(b.waitingData);
    });

    it('fragments spread over many chunks are charged as they arrive and capped by the budget', () => {
      const p = makePair(1305, {}, {}, { maximumWaitingData: 1024 * 1024 });
      const { pa } = connectPair(p, 2);
      const b = p.b.core;
      const total = 32 * 1024 * 1024;
      // 4096 fragments, each 1 byte into a different 8 KiB stride: one chunk each if charged lazily.
      let refusedBefore = b.stats.waitingDataOverflows;
      for (let i = 0; i < 4096; i++) {
        const dg = hugeFragment(pa, 1, total, 32768, 1);
        const v = new DataView(dg.buffer);
        v.setUint32(16, i * 8); // fragmentNumber
        v.setUint32(24, i * 8192); // fragmentOffset
        b.handleDatagram(p.driver.now, { address: p.a.address, port: p.a.port }, dg);
      }
      expect(b.stats.waitingDataOverflows).to.be.greaterThan(refusedBefore);
      // At most one chunk beyond the budget (the check admits while under it).
      expect(b.waitingData).to.be.at.most(1024 * 1024 + 64 * 1024);
      refusedBefore = b.stats.waitingDataOverflows;
    });

    it('a large packet whose fragments arrive out of order reassembles exactly', () => {
      const p = makePair(1306, { latencyMs: 10, jitterMs: 8 });
      const { pa } = connectPair(p, 2);
      const rng = new Prng(5);
      const big = rng.bytes(300_000);
      p.a.core.send(pa, 1, big, PacketFlag.Reliable);
      p.runUntil(() => p.b.count('receive') === 1);
      const got = p.b.events.find((e) => e.type === 'receive')!.packet!;
      expect(got.length).to.equal(big.length);
      expect(Buffer.compare(Buffer.from(got), Buffer.from(big))).to.equal(0);
      expect(p.b.core.waitingData).to.equal(0);
    });
  });
});

describe('HostCore#setConnectFilter (sim)', () => {
  it('a stranger\'s CONNECT to a one-slot host takes no slot; the proven peer connects', () => {
    const p = makePair(1307, {}, {}, { peerCount: 1 });
    const b = p.b.core;
    b.setConnectFilter((from) => from.address === p.a.address && from.port === p.a.port);
    // Same IP as the real peer, another port: still a stranger.
    b.handleDatagram(p.driver.now, { address: p.a.address, port: p.a.port + 1 }, connectDatagram(3));
    b.handleDatagram(p.driver.now, { address: ATTACKER, port: 40000 }, connectDatagram(4));
    expect(heldSlots(b)).to.equal(0);
    expect(b.stats.filteredConnects).to.equal(2);
    const { pa } = connectPair(p, 2, 7);
    expect(pa.state).to.equal(PeerState.Connected);
  });

  it('a throwing filter rejects instead of throwing into the datagram path', () => {
    const p = makePair(1308, {}, {}, { peerCount: 1 });
    const b = p.b.core;
    b.setConnectFilter(() => {
      throw new Error('boom');
    });
    b.handleDatagram(p.driver.now, { address: ATTACKER, port: 40000 }, connectDatagram(5));
    expect(heldSlots(b)).to.equal(0);
    expect(b.stats.filteredConnects).to.equal(1);
    b.setConnectFilter(null);
    const { pa } = connectPair(p, 2, 7);
    expect(pa.state).to.equal(PeerState.Connected);
  });
});
