// Per-connection RTT smoothing and clock-offset estimation from heartbeat round trips.
import { expect } from 'chai';
import { Connection } from '../../src/core/connection.js';

function sample(c: Connection, sentAt: number, rtt: number, clientAhead: number, asymmetry = 0): void {
  c.hbSentAt = sentAt;
  // The ack leaves the client at sent + rtt/2 (+ asymmetry) service time, stamped with its clock.
  c.sampleRtt(sentAt + rtt, sentAt + rtt / 2 + asymmetry + clientAhead);
}

describe('Connection', () => {
  describe('#sampleRtt', () => {
    it('takes the first sample as the RTT and derives the offset from it', () => {
      const c = new Connection(1, '10.0.0.1', 0, 10);
      sample(c, 1000, 40, 5000);
      expect(c.srtt).to.equal(40);
      expect(c.offsetMs).to.equal(5000);
    });

    it('smooths the RTT with RFC 6298 weights (7/8 old, 1/8 new)', () => {
      const c = new Connection(1, '10.0.0.1', 0, 10);
      sample(c, 0, 40, 0);
      sample(c, 100, 120, 0);
      expect(c.srtt).to.equal(50);
    });

    it('keeps the offset of the lowest-RTT sample, ignoring a slow asymmetric one', () => {
      const c = new Connection(1, '10.0.0.1', 0, 10);
      sample(c, 0, 20, 700);
      sample(c, 100, 400, 700, 150);
      expect(c.offsetMs).to.equal(700);
      sample(c, 200, 18, 710);
      expect(c.offsetMs).to.equal(710);
    });
  });
});
