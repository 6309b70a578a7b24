import { expect } from 'chai';
import { prf } from '../../src/core/key-schedule.js';
import { nodeDtlsCrypto } from '../../src/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('key-schedule', () => {
  describe('#prf', () => {
    // The TLS 1.2 PRF (P_SHA256) test vector circulated on the IETF TLS list (2009) and used by
    // many implementations' unit tests.
    it('matches the published P_SHA256 vector', () => {
      const out = prf(nodeDtlsCrypto, hex('9bbe436ba940f017b17652849a71db35'), new TextEncoder().encode('test label'), hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
      expect(Buffer.from(out).toString('hex')).to.equal(
        'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66');
    });

    it('returns exactly the requested length', () => {
      for (const n of [0, 1, 31, 32, 33, 104]) expect(prf(nodeDtlsCrypto, new Uint8Array(16), new Uint8Array(0), new Uint8Array(0), n)).to.have.length(n);
    });
  });
});
