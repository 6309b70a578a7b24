import { expect } from 'chai';
import { classifyDatagram, isDtlsDatagram } from '../../src/index.js';

describe('demux', () => {
  describe('#classifyDatagram', () => {
    it('follows the RFC 7983 §7 first-byte ranges at every boundary', () => {
      const rows: Array<[number, string]> = [
        [0, 'stun'], [3, 'stun'], [4, 'other'], [15, 'other'], [16, 'zrtp'], [19, 'zrtp'], [20, 'dtls'], [23, 'dtls'], [63, 'dtls'],
        [64, 'turnChannel'], [79, 'turnChannel'], [80, 'other'], [127, 'other'], [128, 'rtp'], [191, 'rtp'], [192, 'other'], [255, 'other'],
      ];
      for (const [b, kind] of rows) expect(classifyDatagram(Uint8Array.of(b)), String(b)).to.equal(kind);
      expect(classifyDatagram(new Uint8Array(0))).to.equal('other');
      expect(isDtlsDatagram(Uint8Array.of(22, 0xfe))).to.equal(true);
      expect(isDtlsDatagram(Uint8Array.of(1))).to.equal(false);
    });
  });
});
