import { expect } from 'chai';
import {
  StunAttr,
  StunClass,
  StunMethod,
  StunWriter,
  answerBindingRequest,
  decodeStunMessage,
  encodeBindingError,
  encodeBindingRequest,
  findAttribute,
  getChangeRequest,
  getErrorCode,
  getMappedAddress,
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
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { RFC5769_REQUEST, RFC5769_RESPONSE_V4 } from '../vectors.js';


function decodeStunMessageOk(bytes: Uint8Array): boolean {
  return decodeStunMessage(bytes).ok;
}

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

  describe('#answerBindingRequest RFC 5780 attributes', () => {
    const from = { address: '198.51.100.9', port: 40000 };
    const primary = { address: '203.0.113.10', port: 3478 };
    const alternate = { address: '203.0.113.11', port: 3479 };
    const rfc5780 = { responseOrigin: primary, otherAddress: alternate };
    const tid = new Uint8Array(12).fill(5);

    /** A Binding request built attribute by attribute (no FINGERPRINT), copied out of `scratch`. */
    function request(build: (w: StunWriter) => void): Uint8Array {
      const scratch = new Uint8Array(2048);
      const w = new StunWriter(scratch).begin(StunClass.Request, StunMethod.Binding, tid);
      build(w);
      return scratch.slice(0, w.length);
    }
    function responsePort(port: number): Uint8Array {
      return new Uint8Array([port >> 8, port & 0xff, 0, 0]);
    }

    it('sends the answer to RESPONSE-PORT at the source IP (RFC 5780 §7.5)', () => {
      const a = answerBindingRequest(request((w) => w.addAttribute(StunAttr.ResponsePort, responsePort(50000))), from, out, rfc5780);
      expect(a).to.deep.include({ kind: 'success', toPort: 50000, origin: primary });
      if (a.kind !== 'success') return;
      // XOR-MAPPED-ADDRESS still names where the request came from, not where the answer goes.
      expect(getXorMappedAddress(decodeOk(out.subarray(0, a.length)))).to.deep.equal({ family: 4, ...from });
    });

    it('answers to the source port without RESPONSE-PORT', () => {
      const a = answerBindingRequest(request(() => undefined), from, out, { responseOrigin: primary });
      expect(a).to.deep.include({ kind: 'success', toPort: 40000, origin: primary });
    });

    it('understands RESPONSE-PORT on a one-address server too (it needs no second address)', () => {
      const a = answerBindingRequest(request((w) => w.addAttribute(StunAttr.ResponsePort, responsePort(1))), from, out, { responseOrigin: primary });
      expect(a).to.deep.include({ kind: 'success', toPort: 1 });
    });

    it('combines CHANGE-REQUEST with RESPONSE-PORT as coturn\'s turnutils_stunclient -f does', () => {
      const req = request((w) => {
        w.addAttribute(StunAttr.ResponsePort, responsePort(40001));
        w.addChangeRequest(true, true);
      });
      const a = answerBindingRequest(req, from, out, rfc5780);
      expect(a).to.deep.include({ kind: 'success', toPort: 40001, origin: alternate, changeRequest: { changeIp: true, changePort: true } });
      if (a.kind !== 'success') return;
      expect(getResponseOrigin(decodeOk(out.subarray(0, a.length)))).to.deep.equal({ family: 4, ...alternate });
    });

    it('applies CHANGE-REQUEST relative to the arrival address (RFC 5780 §6.1 table)', () => {
      // A request that arrived on the alternate socket: its "other" is the primary one.
      const req = request((w) => w.addChangeRequest(true, false));
      const a = answerBindingRequest(req, from, out, { responseOrigin: alternate, otherAddress: primary });
      expect(a).to.deep.include({ kind: 'success', origin: { address: primary.address, port: alternate.port } });
      if (a.kind !== 'success') return;
      const m = decodeOk(out.subarray(0, a.length));
      expect(getResponseOrigin(m)).to.deep.equal({ family: 4, address: primary.address, port: alternate.port });
      expect(getOtherAddress(m)).to.deep.equal({ family: 4, ...primary });
    });

    it('sends MAPPED-ADDRESS beside XOR-MAPPED-ADDRESS as an RFC 5780 server (§6.1), not otherwise', () => {
      const req = request(() => undefined);
      const a = answerBindingRequest(req, from, out, rfc5780);
      if (a.kind !== 'success') expect.fail(a.kind);
      expect(getMappedAddress(decodeOk(out.subarray(0, a.length)))).to.deep.equal({ family: 4, ...from });
      const b = answerBindingRequest(req, from, out, { responseOrigin: primary });
      if (b.kind !== 'success') expect.fail(b.kind);
      expect(getMappedAddress(decodeOk(out.subarray(0, b.length)))).to.equal(undefined);
    });

    it('accepts PADDING (RFC 5780 §7.6) without padding the answer', () => {
      const req = request((w) => {
        w.addChangeRequest(false, true);
        w.addAttribute(StunAttr.Padding, new Uint8Array(1400));
      });
      expect(req.length).to.be.greaterThan(1400);
      const a = answerBindingRequest(req, from, out, rfc5780);
      expect(a).to.deep.include({ kind: 'success', toPort: 40000, origin: { address: primary.address, port: alternate.port } });
      if (a.kind !== 'success') return;
      expect(a.length).to.be.at.most(128);
      expect(findAttribute(decodeOk(out.subarray(0, a.length)), StunAttr.Padding)).to.equal(undefined);
    });

    const badPorts: Array<[string, Uint8Array]> = [
      ['port 0', responsePort(0)],
      ['2 bytes', new Uint8Array([0xc3, 0x50])],
      ['8 bytes', new Uint8Array([0xc3, 0x50, 0, 0, 0, 0, 0, 0])],
      ['empty', new Uint8Array(0)],
    ];
    for (const [name, value] of badPorts) {
      it(`answers 400 to the source port for a bad RESPONSE-PORT (${name})`, () => {
        const a = answerBindingRequest(request((w) => w.addAttribute(StunAttr.ResponsePort, value)), from, out, rfc5780);
        expect(a).to.deep.include({ kind: 'error', code: 400, reason: 'bad-response-port', toPort: 40000 });
        if (a.kind !== 'error') return;
        const m = decodeOk(out.subarray(0, a.length));
        expect(m.class).to.equal(StunClass.ErrorResponse);
        expect(getErrorCode(m)).to.deep.equal({ code: 400, reason: 'RESPONSE-PORT must be port 1..65535 + 2 bytes' });
      });
    }

    it('answers 400 for PADDING with RESPONSE-PORT (RFC 5780 §6.1)', () => {
      const req = request((w) => {
        w.addAttribute(StunAttr.ResponsePort, responsePort(50000));
        w.addAttribute(StunAttr.Padding, new Uint8Array(500));
      });
      const a = answerBindingRequest(req, from, out, rfc5780);
      expect(a).to.deep.include({ kind: 'error', code: 400, reason: 'padding-with-response-port', toPort: 40000 });
      if (a.kind === 'error') expect(getErrorCode(decodeOk(out.subarray(0, a.length)))?.reason).to.equal('PADDING not allowed with RESPONSE-PORT');
    });

    it('answers 400 for a CHANGE-REQUEST that is not 4 bytes', () => {
      const a = answerBindingRequest(request((w) => w.addAttribute(StunAttr.ChangeRequest, new Uint8Array(2))), from, out, rfc5780);
      expect(a).to.deep.include({ kind: 'error', code: 400, reason: 'bad-change-request', toPort: 40000 });
      if (a.kind === 'error') expect(getErrorCode(decodeOk(out.subarray(0, a.length)))?.reason).to.equal('CHANGE-REQUEST must be 4 bytes');
    });

    it('answers 420 naming CHANGE-REQUEST on a one-address server even beside a valid RESPONSE-PORT', () => {
      const req = request((w) => {
        w.addAttribute(StunAttr.ResponsePort, responsePort(50000));
        w.addChangeRequest(false, true);
      });
      const a = answerBindingRequest(req, from, out, { responseOrigin: primary });
      expect(a).to.deep.include({ kind: 'error', code: 420, reason: 'unknown-attribute', toPort: 40000 });
      if (a.kind !== 'error') return;
      expect(Array.from(findAttribute(decodeOk(out.subarray(0, a.length)), StunAttr.UnknownAttributes)!.value)).to.deep.equal([0x00, 0x03]);
    });

    it('fuzz: mutated RFC 5780 requests never throw, fit 128 bytes, and always send to a real port', () => {
      const prng = new Prng(seedFromEnv(5780));
      const small = new Uint8Array(128);
      const counts = { success: 0, error: 0, drop: 0 };
      const seeds = [
        request((w) => w.addAttribute(StunAttr.ResponsePort, responsePort(50000)).addChangeRequest(true, true)),
        request((w) => w.addChangeRequest(false, true).addAttribute(StunAttr.Padding, new Uint8Array(64))),
        request((w) => w.addAttribute(StunAttr.ResponsePort, responsePort(9)).addAttribute(StunAttr.Padding, new Uint8Array(8))),
      ];
      for (let i = 0; i < 3000; i++) {
        const bytes = prng.pick(seeds).slice();
        const flips = prng.int(1, 3);
        // Mutate past the header mostly: that is where the attribute handling lives.
        for (let k = 0; k < flips; k++) bytes[prng.int(prng.chance(0.9) ? 20 : 0, bytes.length - 1)] = prng.nextUint32() & 0xff;
        const a = answerBindingRequest(bytes, from, small, prng.chance(0.5) ? rfc5780 : { responseOrigin: primary, software: 'meshpunch-signal' });
        counts[a.kind]++;
        if (a.kind === 'drop') continue;
        expect(a.length, `seed ${prng.seed} i ${i}`).to.be.within(20, 128);
        expect(a.toPort, `seed ${prng.seed} i ${i}`).to.be.within(1, 65535);
        expect(decodeStunMessageOk(small.subarray(0, a.length)), `seed ${prng.seed} i ${i}`).to.equal(true);
      }
      expect(counts.success).to.be.greaterThan(100);
      expect(counts.error).to.be.greaterThan(100);
      expect(counts.drop).to.be.greaterThan(100);
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
