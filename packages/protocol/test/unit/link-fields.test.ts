// The DTLS fingerprint of pair.candidates (revision 1.5, issue 18): accepted in the RFC 8122 form
// both ways and passed through unchanged; anything else is a SIG_BAD_MESSAGE naming the rule.
import { expect } from 'chai';
import { decodeClientMessage, decodeServerMessage, readFingerprint, CAPABILITIES, PROTOCOL_REVISION } from '../../src/index.js';

const FP = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => ((i * 37) & 0xff).toString(16).toUpperCase().padStart(2, '0')).join(':');
const RULE = 'fingerprint must be "sha-256 " followed by 32 upper-case hex bytes joined by ":"';

describe('pair.candidates fingerprint (1.5)', () => {
  it('is revision 1.5 with the dtls capability', () => {
    expect(PROTOCOL_REVISION >= '1.5').to.equal(true);
    expect(CAPABILITIES).to.include('dtls');
  });

  it('passes a well-formed fingerprint through both decoders unchanged', () => {
    const c = decodeClientMessage(JSON.stringify({ type: 'pair.candidates', rid: 1, pair: 3, candidates: [], done: true, fingerprint: FP }));
    expect(c.ok && c.message).to.deep.equal({ type: 'pair.candidates', rid: 1, pair: 3, candidates: [], done: true, fingerprint: FP });
    const s = decodeServerMessage(JSON.stringify({ type: 'pair.candidates', pair: 3, from: 2, candidates: [], done: true, fingerprint: FP }));
    expect(s.ok && s.message).to.deep.equal({ type: 'pair.candidates', pair: 3, from: 2, candidates: [], done: true, fingerprint: FP });
    // Absent stays absent (1.2 peers).
    const old = decodeServerMessage(JSON.stringify({ type: 'pair.candidates', pair: 3, from: 2, candidates: [], done: true }));
    expect(old.ok && 'fingerprint' in old.message).to.equal(false);
  });

  for (const [what, value] of [
    ['lower-case hex', FP.toLowerCase().replace('sha-256', 'sha-256')],
    ['another hash', FP.replace('sha-256', 'sha-1')],
    ['31 bytes', FP.slice(0, -3)],
    ['a number', 42],
    ['trailing text', FP + ' '],
  ] as Array<[string, unknown]>) {
    it(`refuses ${what}`, () => {
      expect(readFingerprint(value)).to.deep.equal({ problem: RULE });
      const c = decodeClientMessage(JSON.stringify({ type: 'pair.candidates', rid: 1, pair: 3, candidates: [], fingerprint: value }));
      expect(c).to.deep.include({ ok: false, code: 'SIG_BAD_MESSAGE', message: RULE });
      const s = decodeServerMessage(JSON.stringify({ type: 'pair.candidates', pair: 3, from: 2, candidates: [], done: true, fingerprint: value }));
      expect(s.ok).to.equal(false);
    });
  }
});
