import { expect } from 'chai';
import {
  StunAttr,
  StunClass,
  answerBindingRequest,
  encodeBindingError,
  encodeBindingRequest,
  findAttribute,
  getChangeRequest,
  getErrorCode,
  getOtherAddress,
  getResponseOrigin,
  getUsername,
  getXorMappedAddress,
  newTransactionId,
  nodeHmacSha1,
  shortTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '../../../src/index.js';
import { decodeOk } from './decode-ok.js';
import { Prng } from '@meshpunch/sim';
import { RFC5769_REQUEST, RFC5769_RESPONSE_V4 } from '../vectors.js';


describe('stun/binding', () => {
  const prng = new Prng(8489);
  const out = new Uint8Array(256);

  describe('#encodeBindingRequest', () => {
    it('encodes a bare request as 28 bytes (header + FINGERPRINT)', () => {
      const id = newTransactionId((b) => prng.fill(b));
      const n = encodeBindingRequest(out, id);
      expect(n).to.equal(28);
      const m = decodeOk(out.subarray(0, n));
      expect(m.class).to.equal(StunClass.Request);
      expect(verifyFingerprint(m)).to.equal(true);
    });

    it('adds CHANGE-REQUEST, USERNAME, PRIORITY and MESSAGE-INTEGRITY when asked', () => {
      const id = newTransactionId((b) => prng.fill(b));
      const key = shortTermKey('secret');
      const n = encodeBindingRequest(out, id, {
        changeRequest: { changePort: true },
        username: 'a:b',
        priority: 7,
        integrity: { key, hmacSha1: nodeHmacSha1 },
      });
      const m = decodeOk(out.subarray(0, n));
      expect(getChangeRequest(m)).to.deep.equal({ changeIp: false, changePort: true });
      expect(getUsername(m)).to.equal('a:b');
      expect(verifyMessageIntegrity(m, key, nodeHmacSha1)).to.equal(true);
      expect(verifyFingerprint(m)).to.equal(true);
    });
  });

  describe('#answerBindingRequest', () => {
    const from = { address: '198.51.100.9', port: 40000 };
    const primary = { address: '203.0.113.10', port: 3478 };
    const alternate = { address: '203.0.113.11', port: 3479 };

    it('answers a plain request with XOR-MAPPED-ADDRESS of the sender and the same transaction id', () => {
      const id = newTransactionId((b) => prng.fill(b));
      const req = out.slice(0, encodeBindingRequest(out, id));
      const a = answerBindingRequest(req, from, out, { responseOrigin: primary });
      expect(a.kind).to.equal('success');
      if (a.kind !== 'success') return;
      const m = decodeOk(out.subarray(0, a.length));
      expect(m.class).to.equal(StunClass.SuccessResponse);
      expect(Array.from(m.transactionId)).to.deep.equal(Array.from(id));
      expect(getXorMappedAddress(m)).to.deep.equal({ family: 4, ...from });
      expect(getResponseOrigin(m)).to.deep.equal({ family: 4, ...primary });
      expect(getOtherAddress(m)).to.equal(undefined);
      expect(verifyFingerprint(m)).to.equal(true);
    });

    it('reports the changed origin for CHANGE-REQUEST on a two-address server (RFC 5780 §6.1)', () => {
      const id = newTransactionId((b) => prng.fill(b));
      const req = out.slice(0, encodeBindingRequest(out, id, { changeRequest: { changeIp: true, changePort: true } }));
      const a = answerBindingRequest(req, from, out, { responseOrigin: primary, otherAddress: alternate });
      expect(a.kind).to.equal('success');
      if (a.kind !== 'success') return;
      expect(a.changeRequest).to.deep.equal({ changeIp: true, changePort: true });
      const m = decodeOk(out.subarray(0, a.length));
      expect(getResponseOrigin(m)).to.deep.equal({ family: 4, ...alternate });
      expect(getOtherAddress(m)).to.deep.equal({ family: 4, ...alternate });
    });

    it('answers CHANGE-REQUEST with 420 and UNKNOWN-ATTRIBUTES on a one-address server', () => {
      const id = newTransactionId((b) => prng.fill(b));
      const req = out.slice(0, encodeBindingRequest(out, id, { changeRequest: { changeIp: true } }));
      const a = answerBindingRequest(req, from, out, { responseOrigin: primary });
      expect(a).to.deep.include({ kind: 'error', code: 420 });
      const m = decodeOk(out.subarray(0, a.kind === 'error' ? a.length : 0));
      expect(getErrorCode(m)).to.deep.equal({ code: 420, reason: 'Unknown Attribute' });
      expect(Array.from(findAttribute(m, StunAttr.UnknownAttributes)!.value)).to.deep.equal([0x00, 0x03]);
    });

    it('accepts the RFC 5769 ICE request (USERNAME, PRIORITY, MI are understood)', () => {
      const a = answerBindingRequest(RFC5769_REQUEST, from, out);
      expect(a.kind).to.equal('success');
    });

    it('drops responses, garbage and non-STUN datagrams with a reason', () => {
      expect(answerBindingRequest(RFC5769_RESPONSE_V4, from, out)).to.deep.equal({ kind: 'drop', reason: 'not-binding-request' });
      expect(answerBindingRequest(new Uint8Array(3), from, out)).to.deep.equal({ kind: 'drop', reason: 'too-short' });
    });
  });

  describe('#encodeBindingError', () => {
    it('encodes ERROR-CODE 400', () => {
      const id = newTransactionId((b) => prng.fill(b));
      const m = decodeOk(out.subarray(0, encodeBindingError(out, id, 400, 'Bad Request')));
      expect(m.class).to.equal(StunClass.ErrorResponse);
      expect(getErrorCode(m)).to.deep.equal({ code: 400, reason: 'Bad Request' });
    });
  });
});
