import { expect } from 'chai';
import { CipherSuite, nodeDtlsCrypto } from '../../src/index.js';
import { RecordProtection, readRecord, type RecordView } from '../../src/core/record.js';

const view = (): RecordView => ({ type: 0, version: 0, epoch: 0, seq: 0, header: new Uint8Array(0), fragment: new Uint8Array(0) });

describe('record', () => {
  for (const suite of [CipherSuite.EcdheEcdsaAes128GcmSha256, CipherSuite.EcdheEcdsaChacha20Poly1305Sha256]) {
    describe(`RecordProtection 0x${suite.toString(16)}`, () => {
      const keyLen = suite === CipherSuite.EcdheEcdsaAes128GcmSha256 ? 16 : 32;
      const ivLen = suite === CipherSuite.EcdheEcdsaAes128GcmSha256 ? 4 : 12;
      const prot = new RecordProtection(suite, nodeDtlsCrypto.createAead(suite, new Uint8Array(keyLen).fill(7)), new Uint8Array(ivLen).fill(9));

      it('round-trips a record with a 48-bit sequence number and refuses any flipped byte', () => {
        const out = new Uint8Array(2000);
        const n = prot.seal(out, 0, 23, 0xfefd, 1, 0x0123_4567_89ab, new TextEncoder().encode('hello'));
        const dg = out.slice(0, n);
        const rec = view();
        expect(readRecord(dg, 0, rec)).to.equal(n);
        expect(rec.seq).to.equal(0x0123_4567_89ab);
        expect(new TextDecoder().decode(prot.open(rec))).to.equal('hello');
        for (let i = 0; i < n; i++) {
          const bad = dg.slice();
          bad[i]! ^= 1;
          const r = view();
          if (readRecord(bad, 0, r) !== n) continue;
          expect(prot.open(r), `byte ${i}`).to.equal(undefined);
        }
      });
    });
  }

  describe('#readRecord', () => {
    it('returns -1 for a truncated header or a length past the datagram', () => {
      expect(readRecord(new Uint8Array(12), 0, view())).to.equal(-1);
      const dg = new Uint8Array(20);
      dg[12] = 8;
      expect(readRecord(dg, 0, view())).to.equal(-1);
      dg[12] = 7;
      expect(readRecord(dg, 0, view())).to.equal(20);
    });
  });
});
