import { expect } from 'chai';
import { REPLAY_WINDOW_SIZE, ReplayWindow } from '../../src/core/replay-window.js';

describe('ReplayWindow', () => {
  describe('#isFresh', () => {
    it('accepts the first record and rejects its replay', () => {
      const w = new ReplayWindow();
      expect(w.isFresh(0)).to.equal(true);
      w.mark(0);
      expect(w.isFresh(0)).to.equal(false);
    });

    it('accepts late records inside the window once, rejects those behind it', () => {
      const w = new ReplayWindow();
      w.mark(100);
      for (const s of [99, 69, 68, 40]) {
        expect(w.isFresh(s), String(s)).to.equal(true);
        w.mark(s);
        expect(w.isFresh(s), String(s)).to.equal(false);
      }
      expect(w.isFresh(100 - REPLAY_WINDOW_SIZE + 1)).to.equal(true);
      expect(w.isFresh(100 - REPLAY_WINDOW_SIZE)).to.equal(false);
    });

    it('keeps marks across shifts of 1, 31, 32, 33 and 64+ (the two-word boundary)', () => {
      for (const shift of [1, 31, 32, 33, 63, 64, 1000]) {
        const w = new ReplayWindow();
        w.mark(10);
        w.mark(10 + shift);
        expect(w.isFresh(10), `shift ${shift}`).to.equal(false);
        if (shift < REPLAY_WINDOW_SIZE) expect(w.isFresh(11), `shift ${shift}`).to.equal(shift > 1);
        expect(w.isFresh(10 + shift)).to.equal(false);
        expect(w.isFresh(11 + shift)).to.equal(true);
      }
    });

    it('works at 48-bit sequence numbers (no 32-bit truncation)', () => {
      const w = new ReplayWindow();
      const top = 0xffff_ffff_fff0;
      w.mark(top);
      expect(w.isFresh(top)).to.equal(false);
      expect(w.isFresh(top - 1)).to.equal(true);
      expect(w.isFresh(top + 1)).to.equal(true);
      expect(w.isFresh(0xffff_fff0)).to.equal(false);
    });
  });
});
