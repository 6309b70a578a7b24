// nodeDtlsCrypto's SHA-256 and HMAC-SHA256 (one-shot digests where Node has crypto.hash) against
// node's Hash and Hmac objects: keys of every length around the 64-byte block (longer ones take
// the Hmac path), messages in one part, several parts and none.
import { expect } from 'chai';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { nodeDtlsCrypto } from '../../src/index.js';

describe('nodeDtlsCrypto digests', () => {
  it('HMAC-SHA256 agrees with createHmac for keys of 0..100 bytes and messages split in 0..3 parts', () => {
    for (let keyLength = 0; keyLength <= 100; keyLength++) {
      const key = randomBytes(keyLength);
      const parts = Array.from({ length: keyLength % 4 }, (_, i) => randomBytes((keyLength * 7 + i * 13) % 150));
      const want = createHmac('sha256', key);
      for (const p of parts) want.update(p);
      expect(Buffer.from(nodeDtlsCrypto.hmacSha256(key, parts)).toString('hex'), `key ${keyLength} B, ${parts.length} parts`).to.equal(want.digest('hex'));
    }
  });

  it('SHA-256 agrees with createHash for one part, several and none', () => {
    for (const parts of [[], [randomBytes(0)], [randomBytes(3000)], [randomBytes(10), randomBytes(64), randomBytes(1)]]) {
      const want = createHash('sha256');
      for (const p of parts) want.update(p);
      expect(Buffer.from(nodeDtlsCrypto.sha256(parts)).toString('hex')).to.equal(want.digest('hex'));
    }
  });
});
