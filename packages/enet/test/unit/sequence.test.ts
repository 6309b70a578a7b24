import { expect } from 'chai';
import {
  isInNoAckBand, isInReceiveWindow, reconstructSentTime, reliableWindow, seqAdd, seqDiff, seqKey, timeDiff, timeGreaterEqual,
  timeLess, windowOffset,
} from '../../src/core/sequence.js';
import { clampWindow, sendWindow } from '../../src/core/window.js';

describe('sequence', () => {
  describe('#seqAdd / #seqDiff', () => {
    it('wraps at 65536', () => {
      expect(seqAdd(0xffff, 1)).to.equal(0);
      expect(seqAdd(0xfffe, 5)).to.equal(3);
      expect(seqDiff(2, 0xfffe)).to.equal(4);
      expect(seqDiff(0xfffe, 2)).to.equal(0xfffc);
    });
  });

  describe('#seqKey', () => {
    it('orders a sequence number that wrapped past the delivered one after it', () => {
      expect(seqKey(3, 0xfff0)).to.be.greaterThan(seqKey(0xfff5, 0xfff0));
      expect(seqKey(0xfff5, 0xfff0)).to.equal(0xfff5);
    });
  });

  describe('#windowOffset / #isInReceiveWindow / #isInNoAckBand', () => {
    it('accepts windows 0..6 ahead of the delivered one, counting wrap', () => {
      expect(reliableWindow(4095)).to.equal(0);
      expect(reliableWindow(4096)).to.equal(1);
      expect(isInReceiveWindow(1, 0)).to.equal(true);
      expect(isInReceiveWindow(7 * 4096 - 1, 0)).to.equal(true);
      expect(isInReceiveWindow(7 * 4096, 0)).to.equal(false);
      // r near the top: seq 5 has wrapped and is 1 window ahead of window 15.
      expect(windowOffset(5, 0xf000)).to.equal(1);
      expect(isInReceiveWindow(5, 0xf000)).to.equal(true);
      // Old sequence numbers (behind r) are outside and are acked as duplicates.
      expect(isInReceiveWindow(0xe000, 0xf000)).to.equal(false);
      expect(isInNoAckBand(0xe000, 0xf000)).to.equal(false);
    });

    it('refuses to ACK 7 and 8 windows ahead only', () => {
      expect(isInNoAckBand(6 * 4096, 0)).to.equal(false);
      expect(isInNoAckBand(7 * 4096, 0)).to.equal(true);
      expect(isInNoAckBand(8 * 4096 + 100, 0)).to.equal(true);
      expect(isInNoAckBand(9 * 4096, 0)).to.equal(false);
    });
  });

  describe('wire clock', () => {
    it('compares across the 32-bit wrap', () => {
      expect(timeLess(0xfffffff0, 5)).to.equal(true);
      expect(timeGreaterEqual(5, 0xfffffff0)).to.equal(true);
      expect(timeDiff(5, 0xfffffff0)).to.equal(21);
      expect(timeDiff(0xfffffff0, 5)).to.equal(21);
    });

    it('rebuilds a 16-bit echo into 32 bits and rejects future echoes', () => {
      expect(reconstructSentTime(0x03e8, 0x000103f0)).to.equal(0x000103e8);
      expect(reconstructSentTime(0xfff0, 0x00010010)).to.equal(0x0000fff0);
      expect(reconstructSentTime(0x0100, 0x00010050)).to.equal(-1);
    });
  });
});

describe('window', () => {
  it('clamps to 4096..65536 and derives send windows from bandwidths', () => {
    expect(clampWindow(10)).to.equal(4096);
    expect(clampWindow(1 << 20)).to.equal(65536);
    expect(sendWindow(0, 0)).to.equal(65536);
    expect(sendWindow(65536 * 4, 0)).to.equal(16384);
    expect(sendWindow(65536 * 4, 65536 * 2)).to.equal(8192);
  });
});
