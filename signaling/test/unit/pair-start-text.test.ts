// pair.start built as one template (pairing.ts pairStartText) is byte for byte JSON.stringify's.
import { expect } from 'chai';
import type { PairStartMessage } from '@meshpunch/protocol';
import { pairStartText } from '../../src/core/pairing.js';

describe('pairStartText', () => {
  it('writes what JSON.stringify writes, with and without replaces, null and negative offsets, fractional times', () => {
    const cases: PairStartMessage[] = [
      { type: 'pair.start', pair: 1, remote: 2, role: 'listen', at: 1234.5678, offsetMs: null, secret: 'AbC-_xyz0123456789abcd' },
      { type: 'pair.start', pair: 4_294_967_295, remote: 1_073_741_823, role: 'connect', at: 0, offsetMs: -37, secret: 'x' },
      { type: 'pair.start', pair: 7, remote: 3, role: 'connect', at: 1e12 + 0.25, offsetMs: 12, secret: 's', replaces: 6 },
    ];
    for (const m of cases) expect(pairStartText(m)).to.equal(JSON.stringify(m));
  });
});
