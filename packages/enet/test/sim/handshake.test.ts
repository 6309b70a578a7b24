import { expect } from 'chai';
import type { SansIoCore } from '@meshpunch/sim';
import { PacketFlag, CorePeerState as PeerState } from '../../src/index.js';
import { connectPair, makePair } from './helpers.js';

describe('HostCore (sim)', () => {
  it('is a SansIoCore (structurally; the core does not import the simulator)', () => {
    const p = makePair(0);
    const asCore: SansIoCore = p.a.core;
    expect(asCore.pollTimeout()).to.equal(undefined);
  });

  describe('#connect', () => {
    it('completes the handshake and delivers CONNECT data to the accepting side', () => {
      const p = makePair(1);
      const { pa, pb } = connectPair(p, 3, 0x12345678);
      expect(pa.state).to.equal(PeerState.Connected);
      expect(pb.state).to.equal(PeerState.Connected);
      expect(p.b.events[0]!.data).to.equal(0x12345678);
      expect(p.a.events[0]!.data).to.equal(0);
      expect(pa.channelCount).to.equal(3);
      expect(pb.channelCount).to.equal(3);
    });
  });

  describe('#send', () => {
    it('delivers reliable, unreliable and unsequenced packets on several channels', () => {
      const p = makePair(2);
      const { pa, pb } = connectPair(p, 3);
      expect(p.a.core.send(pa, 0, Uint8Array.of(1, 2, 3), PacketFlag.Reliable)).to.equal(true);
      expect(p.a.core.send(pa, 1, Uint8Array.of(4), 0)).to.equal(true);
      expect(p.a.core.send(pa, 2, Uint8Array.of(5), PacketFlag.Unsequenced)).to.equal(true);
      expect(p.b.core.send(pb, 2, new Uint8Array(3000).fill(7), PacketFlag.Reliable)).to.equal(true);
      p.runUntil(() => p.b.count('receive') === 3 && p.a.count('receive') === 1);
      const rb = p.b.events.filter((e) => e.type === 'receive');
      expect(rb.map((e) => [e.channelID, [...e.packet!], e.flags])).to.deep.equal([
        [0, [1, 2, 3], PacketFlag.Reliable], [1, [4], 0], [2, [5], PacketFlag.Unsequenced]]);
      const ra = p.a.events.find((e) => e.type === 'receive')!;
      expect(ra.packet!.length).to.equal(3000);
      expect(ra.packet!.every((x) => x === 7)).to.equal(true);
    });
  });

  describe('#disconnect', () => {
    it('disconnects with data both ways and leaves no timers', () => {
      const p = makePair(3);
      const { pa } = connectPair(p);
      p.a.core.disconnect(pa, 42);
      p.runUntil(() => p.a.count('disconnect') === 1 && p.b.count('disconnect') === 1);
      expect(p.b.events.find((e) => e.type === 'disconnect')!.data).to.equal(42);
      expect(p.a.events.find((e) => e.type === 'disconnect')!.data).to.equal(0);
      p.driver.runUntilIdle({ maxVirtualMs: 10_000 });
      expect(p.a.core.pollTimeout()).to.equal(undefined);
      expect(p.b.core.pollTimeout()).to.equal(undefined);
    });
  });
});
