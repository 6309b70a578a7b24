// What the embedded STUN responder answers (core policy on @meshpunch/nat's codec).
import { expect } from 'chai';
import {
  decodeStunMessage, encodeBindingRequest, getErrorCode, getOtherAddress, getResponseOrigin, getXorMappedAddress, StunAttr,
  StunClass, StunWriter, StunMethod,
} from '@meshpunch/nat';
import { answerStun } from '../../src/core/stun-answer.js';

const TID = new Uint8Array(12).fill(7);
const FROM = { address: '198.51.100.7', port: 40000 };
const LOCAL = { address: '203.0.113.1', port: 3478 };
const OTHER = { address: '203.0.113.2', port: 3479 };

function request(build?: (w: StunWriter) => void): Uint8Array {
  const out = new Uint8Array(2048);
  if (build === undefined) return out.subarray(0, encodeBindingRequest(out, TID, { fingerprint: false }));
  const w = new StunWriter(out).begin(StunClass.Request, StunMethod.Binding, TID);
  build(w);
  return out.subarray(0, w.length);
}

function decode(out: Uint8Array, length: number): ReturnType<typeof decodeStunMessage> & { ok: true } {
  const r = decodeStunMessage(out.subarray(0, length));
  if (!r.ok) expect.fail(r.error);
  return r;
}

describe('answerStun', () => {
  it('answers a Binding request with XOR-MAPPED-ADDRESS of the sender and RESPONSE-ORIGIN', () => {
    const out = new Uint8Array(512);
    const a = answerStun(request(), FROM, out, { local: LOCAL, other: undefined, software: 't' });
    expect(a).to.deep.include({ kind: 'reply', isError: false, changeIp: false, changePort: false, toPort: 40000 });
    if (a.kind !== 'reply') return;
    const r = decode(out, a.length);
    expect(getXorMappedAddress(r.message)).to.deep.include(FROM);
    expect(getResponseOrigin(r.message)).to.deep.include(LOCAL);
    expect(getOtherAddress(r.message)).to.equal(undefined);
    expect(a.length).to.be.at.most(128);
  });

  it('answers CHANGE-REQUEST with 420 without an alternate address, and follows it with one', () => {
    const req = request((w) => w.addChangeRequest(true, false));
    const out = new Uint8Array(512);
    const no = answerStun(req, FROM, out, { local: LOCAL, other: undefined, software: 't' });
    expect(no).to.deep.include({ kind: 'reply', isError: true });
    if (no.kind === 'reply') expect(getErrorCode(decode(out, no.length).message)?.code).to.equal(420);
    const yes = answerStun(req, FROM, out, { local: LOCAL, other: OTHER, software: 't' });
    expect(yes).to.deep.include({ kind: 'reply', isError: false, changeIp: true, changePort: false });
    if (yes.kind !== 'reply') return;
    const r = decode(out, yes.length);
    expect(getResponseOrigin(r.message)).to.deep.include({ address: OTHER.address, port: LOCAL.port });
    expect(getOtherAddress(r.message)).to.deep.include(OTHER);
  });

  it('sends the answer to RESPONSE-PORT (RFC 5780 §7.5) and accepts PADDING without padding the answer', () => {
    const req = request((w) => {
      w.addUint32(StunAttr.ResponsePort, 50000 * 65536);
      w.addAttribute(StunAttr.Padding, new Uint8Array(1400));
    });
    const out = new Uint8Array(512);
    const a = answerStun(req, FROM, out, { local: LOCAL, other: OTHER, software: 't' });
    expect(a).to.deep.include({ kind: 'reply', isError: false, toPort: 50000 });
    if (a.kind === 'reply') expect(a.length).to.be.lessThan(128);
  });

  it('answers 400 for a malformed CHANGE-REQUEST or RESPONSE-PORT', () => {
    const out = new Uint8Array(512);
    for (const req of [request((w) => w.addAttribute(StunAttr.ChangeRequest, new Uint8Array(2))), request((w) => w.addAttribute(StunAttr.ResponsePort, new Uint8Array(2)))]) {
      const a = answerStun(req, FROM, out, { local: LOCAL, other: OTHER, software: 't' });
      expect(a).to.deep.include({ kind: 'reply', isError: true });
      if (a.kind === 'reply') expect(getErrorCode(decode(out, a.length).message)?.code).to.equal(400);
    }
  });

  it('drops non-STUN, responses and garbage, telling malformed STUN from other traffic', () => {
    const out = new Uint8Array(512);
    expect(answerStun(new Uint8Array([1, 2, 3]), FROM, out, { local: LOCAL, other: undefined, software: 't' })).to.deep.equal({ kind: 'drop', malformed: false });
    const resp = new Uint8Array(512);
    const len = new StunWriter(resp).begin(StunClass.SuccessResponse, StunMethod.Binding, TID).length;
    expect(answerStun(resp.subarray(0, len), FROM, out, { local: LOCAL, other: undefined, software: 't' })).to.deep.equal({ kind: 'drop', malformed: false });
    const bad = request();
    const broken = new Uint8Array(bad);
    broken[3] = 8;
    expect(answerStun(broken, FROM, out, { local: LOCAL, other: undefined, software: 't' })).to.deep.equal({ kind: 'drop', malformed: true });
  });
});
