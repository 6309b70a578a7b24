import { expect } from 'chai';
import {
  decodeCertificate, decodeClientHello, decodeServerHello, decodeServerKeyExchange, encodeCertificate, encodeClientHello,
  encodeEcdheParams, encodeServerKeyExchange, EXTENDED_MASTER_SECRET,
} from '../../src/core/handshake-messages.js';

describe('handshake-messages', () => {
  const hello = {
    version: 0xfefd, random: new Uint8Array(32).fill(5), sessionId: new Uint8Array(0), cookie: Uint8Array.of(1, 2, 3),
    cipherSuites: [0xc02b, 0xcca9], compressionMethods: Uint8Array.of(0), extensions: [EXTENDED_MASTER_SECRET],
  };

  describe('#decodeClientHello', () => {
    it('round-trips; a truncation is refused unless it cuts exactly before the optional extensions', () => {
      const body = encodeClientHello(hello);
      expect(decodeClientHello(body)).to.deep.equal({ ...hello, extensions: [{ type: 23, data: new Uint8Array(0) }] });
      for (let n = 0; n < body.length; n++) {
        const d = decodeClientHello(body.subarray(0, n));
        // Cutting exactly before the extensions block leaves a valid hello without extensions.
        if (d !== undefined) expect(d.extensions, `length ${n}`).to.deep.equal([]);
      }
    });
  });

  describe('#decodeServerHello', () => {
    it('refuses a session id longer than 32 bytes', () => {
      const b = Uint8Array.from([0xfe, 0xfd, ...new Uint8Array(32), 33, ...new Uint8Array(33), 0xc0, 0x2b, 0]);
      expect(decodeServerHello(b)).to.equal(undefined);
    });
  });

  describe('#decodeCertificate', () => {
    it('round-trips a chain, accepts an empty list, refuses a zero-length entry and trailing bytes', () => {
      const chain = [Uint8Array.of(1, 2), Uint8Array.of(3)];
      expect(decodeCertificate(encodeCertificate(chain))).to.deep.equal(chain);
      expect(decodeCertificate(encodeCertificate([]))).to.deep.equal([]);
      expect(decodeCertificate(Uint8Array.of(0, 0, 3, 0, 0, 0))).to.equal(undefined);
      expect(decodeCertificate(Uint8Array.of(0, 0, 0, 9))).to.equal(undefined);
    });
  });

  describe('#decodeServerKeyExchange', () => {
    it('keeps the exact signed params bytes', () => {
      const params = encodeEcdheParams(3, 29, new Uint8Array(32).fill(4));
      const d = decodeServerKeyExchange(encodeServerKeyExchange(params, 0x0403, Uint8Array.of(9, 9)))!;
      expect(d.params).to.deep.equal(params);
      expect(d).to.deep.include({ curveType: 3, group: 29, signatureScheme: 0x0403 });
    });
  });
});
