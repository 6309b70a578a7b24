import { expect } from 'chai';
import {
  NatError,
  StunAttr,
  StunClass,
  StunMethod,
  StunWriter,
  crc32,
  getChangeRequest,
  getErrorCode,
  getMappedAddress,
  getOtherAddress,
  getResponseOrigin,
  getUsername,
  getXorMappedAddress,
  isStunMessage,
  nodeHmacSha1,
  shortTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '../../../src/index.js';
import { decodeOk } from './decode-ok.js';
import { RFC5769_PASSWORD, RFC5769_REQUEST, RFC5769_TXID } from '../vectors.js';


describe('stun/writer', () => {
  describe('#crc32', () => {
    it('gives 0xCBF43926 for "123456789"', () => {
      expect(crc32(new TextEncoder().encode('123456789'))).to.equal(0xcbf43926);
    });
  });

  describe('StunWriter', () => {
    it('re-encodes the RFC 5769 §2.1 request so that it verifies under the same password', () => {
      // The vector pads with 0x20 where we pad with zeros, so the bytes differ only in padding
      // and therefore in the MI/FINGERPRINT values; both must still verify.
      const w = new StunWriter(new Uint8Array(200))
        .begin(StunClass.Request, StunMethod.Binding, RFC5769_TXID)
        .addString(StunAttr.Software, 'STUN test client')
        .addUint32(StunAttr.Priority, 0x6e0001ff)
        .addAttribute(StunAttr.IceControlled, Uint8Array.from([0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36]))
        .addString(StunAttr.Username, 'evtj:h6vY')
        .addMessageIntegrity(shortTermKey(RFC5769_PASSWORD), nodeHmacSha1)
        .addFingerprint();
      const out = w.bytes();
      expect(out.length).to.equal(RFC5769_REQUEST.length);
      // Identical up to the USERNAME padding (bytes 73..75 are 0x20 in the vector).
      expect(Buffer.from(out.subarray(0, 73)).equals(Buffer.from(RFC5769_REQUEST.subarray(0, 73)))).to.equal(true);
      expect(Array.from(out.subarray(73, 76))).to.deep.equal([0, 0, 0]);
      const m = decodeOk(out);
      expect(verifyMessageIntegrity(m, shortTermKey(RFC5769_PASSWORD), nodeHmacSha1)).to.equal(true);
      expect(verifyFingerprint(m)).to.equal(true);
      expect(isStunMessage(out)).to.equal(true);
    });

    it('round-trips every address attribute for IPv4 and IPv6', () => {
      const rows = [
        { address: '203.0.113.7', port: 45678 },
        { address: '2001:db8::7', port: 1 },
        { address: '::ffff:198.51.100.2', port: 65535 },
        { address: '0.0.0.0', port: 0 },
      ];
      for (const row of rows) {
        const w = new StunWriter(new Uint8Array(256))
          .begin(StunClass.SuccessResponse, StunMethod.Binding, RFC5769_TXID)
          .addXorAddress(StunAttr.XorMappedAddress, row.address, row.port)
          .addAddress(StunAttr.MappedAddress, row.address, row.port)
          .addAddress(StunAttr.OtherAddress, row.address, row.port)
          .addAddress(StunAttr.ResponseOrigin, row.address, row.port)
          .addFingerprint();
        const m = decodeOk(w.bytes());
        const family = row.address.includes(':') ? 6 : 4;
        const want = { family, ...row };
        expect(getXorMappedAddress(m)).to.deep.equal(want);
        expect(getMappedAddress(m)).to.deep.equal(want);
        expect(getOtherAddress(m)).to.deep.equal(want);
        expect(getResponseOrigin(m)).to.deep.equal(want);
        expect(verifyFingerprint(m)).to.equal(true);
      }
    });

    it('round-trips CHANGE-REQUEST, USERNAME (padded) and ERROR-CODE', () => {
      const w = new StunWriter(new Uint8Array(256))
        .begin(StunClass.ErrorResponse, StunMethod.Binding, RFC5769_TXID)
        .addChangeRequest(true, false)
        .addString(StunAttr.Username, 'abcde')
        .addErrorCode(420, 'Unknown Attribute');
      const m = decodeOk(w.bytes());
      expect(m.class).to.equal(StunClass.ErrorResponse);
      expect(getChangeRequest(m)).to.deep.equal({ changeIp: true, changePort: false });
      expect(getUsername(m)).to.equal('abcde');
      expect(getErrorCode(m)).to.deep.equal({ code: 420, reason: 'Unknown Attribute' });
      expect(w.length % 4).to.equal(0);
    });

    it('throws ERR_INVALID_PARAMETER when the buffer is too small', () => {
      const w = new StunWriter(new Uint8Array(24)).begin(StunClass.Request, StunMethod.Binding, RFC5769_TXID);
      try {
        w.addString(StunAttr.Software, 'too long for this');
        expect.fail('no throw');
      } catch (err) {
        expect(err).to.be.instanceOf(NatError);
        expect((err as NatError).code).to.equal('ERR_INVALID_PARAMETER');
        expect((err as NatError).message).to.equal('STUN message needs 44 bytes, buffer has 24');
      }
    });

    it('throws ERR_INVALID_PARAMETER for an address that is not an IP literal', () => {
      const w = new StunWriter(new Uint8Array(100)).begin(StunClass.Request, StunMethod.Binding, RFC5769_TXID);
      expect(() => w.addAddress(StunAttr.OtherAddress, 'example.org', 1)).to.throw(
        NatError, 'address must be an IPv4 or IPv6 literal, got "example.org"');
      expect(w.length).to.equal(20);
    });

    it('throws ERR_INVALID_PARAMETER for a transaction id that is not 12 bytes', () => {
      expect(() => new StunWriter(new Uint8Array(100)).begin(StunClass.Request, StunMethod.Binding, new Uint8Array(11)))
        .to.throw(NatError, 'transactionId must be 12 bytes, got 11');
    });
  });
});
