import { expect } from 'chai';
import { Peer } from '../../src/core/peer.js';
import { throttleOnSample, updatePacketLoss, updateRoundTripTime } from '../../src/core/throttle.js';

function peer(): Peer {
  return new Peer(0, 1400);
}

describe('throttle', () => {
  describe('#updateRoundTripTime (§7.1)', () => {
    it('initialises from the first sample: RTT = rtt, variance = (rtt + 1) / 2', () => {
      const p = peer();
      updateRoundTripTime(p, 10, 1000);
      expect([p.roundTripTime, p.roundTripTimeVariance]).to.deep.equal([10, 5]);
      expect([p.lastRoundTripTime, p.lastRoundTripTimeVariance, p.packetThrottleEpoch]).to.deep.equal([10, 5, 1000]);
    });

    it('smooths later samples with libenet\'s integer steps (variance from the old RTT)', () => {
      const p = peer();
      updateRoundTripTime(p, 10, 1000);
      p.lastReceiveTime = 1000;
      updateRoundTripTime(p, 30, 1010);
      // var = 5 - 5/4 = 4, + (30-10)/4 = 9; RTT = 10 + 20/8 = 12.
      expect([p.roundTripTime, p.roundTripTimeVariance]).to.deep.equal([12, 9]);
      updateRoundTripTime(p, 4, 1020);
      // var = 9 - 2 = 7, + (12-4)/4 = 9; RTT = 12 - 8/8 = 11.
      expect([p.roundTripTime, p.roundTripTimeVariance]).to.deep.equal([11, 9]);
      expect(p.lowestRoundTripTime).to.equal(10);
      expect(p.highestRoundTripTimeVariance).to.equal(9);
    });
  });

  describe('#throttleOnSample (§9.1)', () => {
    it('accelerates on fast samples up to the limit and decelerates on slow ones', () => {
      const p = peer();
      p.lastRoundTripTime = 10;
      p.lastRoundTripTimeVariance = 2;
      p.packetThrottle = 20;
      throttleOnSample(p, 8);
      expect(p.packetThrottle).to.equal(22);
      throttleOnSample(p, 12);
      expect(p.packetThrottle).to.equal(22);
      throttleOnSample(p, 15);
      expect(p.packetThrottle).to.equal(20);
      p.packetThrottle = 31;
      throttleOnSample(p, 1);
      expect(p.packetThrottle).to.equal(32);
      p.packetThrottle = 1;
      throttleOnSample(p, 100);
      expect(p.packetThrottle).to.equal(0);
    });

    it('opens fully when the last RTT is within its variance', () => {
      const p = peer();
      p.lastRoundTripTime = 2;
      p.lastRoundTripTimeVariance = 3;
      p.packetThrottle = 5;
      throttleOnSample(p, 100);
      expect(p.packetThrottle).to.equal(32);
    });
  });

  describe('#updatePacketLoss (§9.4)', () => {
    it('folds a 10 s epoch into the smoothed loss on the 65536 scale', () => {
      const p = peer();
      updatePacketLoss(p, 1000);
      expect(p.packetLossEpoch).to.equal(1000);
      p.packetsSent = 100;
      p.packetsLost = 10;
      updatePacketLoss(p, 5000);
      expect(p.packetLoss).to.equal(0);
      updatePacketLoss(p, 11_000);
      // loss = 10·65536/100 = 6553; packetLoss = 6553/8 = 819; variance = 6553/4 = 1638.
      expect([p.packetLoss, p.packetLossVariance, p.packetsSent, p.packetsLost]).to.deep.equal([819, 1638, 0, 0]);
    });
  });
});
