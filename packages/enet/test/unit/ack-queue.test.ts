import { expect } from 'chai';
import { AckQueue } from '../../src/core/ack-queue.js';

describe('AckQueue', () => {
  it('returns ACKs in order with every field intact across wraparound and growth', () => {
    const q = new AckQueue(8);
    const model: Array<[number, number, number, number]> = [];
    let next = 0;
    const push = (): void => {
      const k = next++;
      // Extremes of every field: command 1..12, channel 0..255, seq and sentTime 0..0xffff.
      const a: [number, number, number, number] = [1 + (k % 12), (k * 37) & 0xff, (0xffff - k * 7919) & 0xffff, (k * 4099) & 0xffff];
      q.push(...a);
      model.push(a);
    };
    const pop = (): void => {
      const [c, ch, seq, t] = model.shift()!;
      expect([q.frontCommand(), q.frontChannel(), q.frontSeq(), q.frontSentTime()]).to.deep.equal([c, ch, seq, t]);
      q.shift();
    };
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 5 + (round % 7); i++) push(); // grows past 8, 16, 32 ... while wrapped
      for (let i = 0; i < 4; i++) pop();
      expect(q.length).to.equal(model.length);
    }
    while (model.length > 0) pop();
    expect(q.length).to.equal(0);
    q.shift(); // no-op when empty
    expect(q.length).to.equal(0);
    q.push(4, 255, 0xffff, 0xffff);
    q.clear();
    expect(q.length).to.equal(0);
  });
});
