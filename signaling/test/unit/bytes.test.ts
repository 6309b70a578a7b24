// base64url without Buffer, and constant-time comparison.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { constantTimeEqual, toBase64Url } from '../../src/core/bytes.js';

describe('bytes', () => {
  describe('#toBase64Url', () => {
    it('matches RFC 4648 §10 vectors (url alphabet, no padding)', () => {
      const vectors: Array<[string, string]> = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
      for (const [plain, enc] of vectors) expect(toBase64Url(new TextEncoder().encode(plain))).to.equal(enc);
    });

    it('agrees with Buffer for random inputs, including the url-safe characters', () => {
      const prng = new Prng(seedFromEnv(3));
      for (let i = 0; i < 500; i++) {
        const b = prng.bytes(prng.int(0, 40));
        expect(toBase64Url(b)).to.equal(Buffer.from(b).toString('base64url'));
      }
    });
  });

  describe('#constantTimeEqual', () => {
    it('is true only for equal bytes of equal length', () => {
      expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).to.equal(true);
      expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).to.equal(false);
      expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).to.equal(false);
      expect(constantTimeEqual(new Uint8Array([]), new Uint8Array([]))).to.equal(true);
      expect(constantTimeEqual(new Uint8Array([]), new Uint8Array([0]))).to.equal(false);
    });
  });
});
