import { expect } from 'chai';
import { Deque } from '../../src/core/deque.js';

describe('Deque', () => {
  it('keeps FIFO order across growth and both ends', () => {
    const d = new Deque<number>(8);
    for (let i = 0; i < 20; i++) d.pushBack(i);
    d.pushFront(-1);
    expect(d.length).to.equal(21);
    expect(d.popFront()).to.equal(-1);
    expect(d.at(19)).to.equal(19);
    expect(d.removeAt(5)).to.equal(5);
    expect(d.removeAt(15)).to.equal(16);
    d.insertAt(3, 100);
    const all: number[] = [];
    for (let x = d.popFront(); x !== undefined; x = d.popFront()) all.push(x);
    expect(all).to.deep.equal([0, 1, 2, 100, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19]);
  });

  it('matches an array model under random operations', () => {
    const d = new Deque<number>(8);
    const model: number[] = [];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const op = rnd(5);
      if (op === 0) { d.pushBack(i); model.push(i); }
      else if (op === 1) { d.pushFront(i); model.unshift(i); }
      else if (op === 2) expect(d.popFront()).to.equal(model.shift());
      else if (op === 3 && model.length > 0) { const k = rnd(model.length); expect(d.removeAt(k)).to.equal(model.splice(k, 1)[0]); }
      else { const k = rnd(model.length + 1); d.insertAt(k, i); model.splice(k, 0, i); }
      expect(d.length).to.equal(model.length);
    }
    for (let k = 0; k < model.length; k++) expect(d.at(k)).to.equal(model[k]);
  });
});
