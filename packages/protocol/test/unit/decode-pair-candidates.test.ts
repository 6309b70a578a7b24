// decodePairCandidatesBytes against decodeClientMessage, the decoder it stands in for: whatever it
// decodes, decodeClientMessage decodes to an equal message (random and mutated input, seeded),
// and it does decode the plain form clients send, so the service's fast path is taken.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { decodeClientMessage } from '../../src/decode-client.js';
import { decodePairCandidatesBytes } from '../../src/decode-pair-candidates.js';
import type { CandidatesSpan } from '../../src/decode-pair-candidates.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The span of the last message `both` decoded, and how many had one. */
const span: CandidatesSpan = { start: -1, end: -1 };
let spans = 0;

/**
 * Both decoders on `text`: the fast one's message, checked against the JSON.parse one's; where
 * it gives a candidates span, those bytes must be what JSON.stringify writes for the JSON
 * path's candidates (the service forwards them as they are).
 */
function both(text: string): unknown {
  const b = bytes(text);
  span.start = span.end = -2;
  const fast = decodePairCandidatesBytes(b, span);
  if (fast !== undefined) {
    const slow = decodeClientMessage(text);
    expect(slow.ok, `fast path decoded what decodeClientMessage refuses: ${text}`).to.equal(true);
    if (slow.ok) expect(fast, text).to.deep.equal(slow.message);
    expect(span.start === -1 ? span.end : span.start, text).to.be.greaterThanOrEqual(-1);
    if (span.start >= 0 && slow.ok && slow.message.type === 'pair.candidates') {
      spans++;
      expect(new TextDecoder().decode(b.subarray(span.start, span.end)), text).to.equal(JSON.stringify(slow.message.candidates));
    }
  }
  return fast;
}

/** The candidates bytes `both` found in `text` (the last call), or undefined when it gave no span. */
function spanText(text: string): string | undefined {
  both(text);
  return span.start < 0 ? undefined : text.slice(span.start, span.end);
}

const HOST = '{"kind":"host","family":4,"address":"10.1.1.20","port":40000}';
const SRFLX = '{"kind":"srflx","family":4,"address":"203.0.113.20","port":51000}';

describe('decodePairCandidatesBytes', () => {
  it('decodes the plain form to what decodeClientMessage gives, whatever the key order and spacing', () => {
    const plain = [
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST},${SRFLX}],"done":true}`,
      `{"type":"pair.candidates","rid":0,"pair":4294967295,"candidates":[]}`,
      `{"done":false,"candidates":[${SRFLX}],"pair":1,"rid":4294967295,"type":"pair.candidates"}`,
      ` {\n\t"type" : "pair.candidates" ,\r\n "rid":3, "pair":7, "candidates" : [ ${HOST} , ${SRFLX} ] } \n`,
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"port":9,"address":"2001:db8::1","family":6,"kind":"relay","priority":4294967295}]}',
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"upnp","family":6,"address":"::ffff:203.0.113.4","port":65535,"priority":0}]}',
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${Array(16).fill(HOST).join(',')}]}`,
    ];
    for (const text of plain) expect(both(text), text).to.not.equal(undefined);
    expect(both(plain[0]!)).to.deep.equal({
      type: 'pair.candidates', rid: 3, pair: 7, done: true, candidates: [
        { kind: 'host', family: 4, address: '10.1.1.20', port: 40000 },
        { kind: 'srflx', family: 4, address: '203.0.113.20', port: 51000 },
      ],
    });
  });

  it('leaves every other form to decodeClientMessage, valid or not', () => {
    const other = [
      // valid, but not the plain form
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}],"nat":{"mapping":"endpoint-independent","filtering":"endpoint-independent"}}`,
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}],"x":1}`,
      `{"type":"pair.candidates","rid":3.0,"pair":7,"candidates":[${HOST}]}`,
      `{"type":"pair.candidates","rid":3e0,"pair":7,"candidates":[${HOST}]}`,
      `{"type":"pair.c\\u0061ndidates","rid":3,"pair":7,"candidates":[${HOST}]}`,
      `{"type":"pair.candidates","rid":3,"pair":7,"pair":8,"candidates":[${HOST}]}`,
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"host","family":4,"address":"203.0.113.4","port":9,"zone":"x"}]}',
      `\ufeff{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}]}`,
      // not valid
      `{"type":"pair.candidates","rid":3,"pair":0,"candidates":[${HOST}]}`,
      `{"type":"pair.candidates","rid":4294967296,"pair":7,"candidates":[${HOST}]}`,
      `{"type":"pair.candidates","rid":-1,"pair":7,"candidates":[${HOST}]}`,
      `{"type":"pair.candidates","rid":03,"pair":7,"candidates":[${HOST}]}`,
      `{"type":"pair.candidates","pair":7,"candidates":[${HOST}]}`,
      '{"type":"pair.candidates","rid":3,"pair":7}',
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${Array(17).fill(HOST).join(',')}]}`,
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"prflx","family":4,"address":"203.0.113.4","port":9}]}',
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"host","family":6,"address":"203.0.113.4","port":9}]}',
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"host","family":5,"address":"2001:db8::1","port":9}]}',
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"host","family":6,"address":"fe80::1%eth0","port":9}]}',
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"host","family":4,"address":"203.0.113.4","port":0}]}',
      '{"type":"pair.candidates","rid":3,"pair":7,"candidates":[{"kind":"host","family":4,"address":"203.0.113.4"}]}',
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}],"done":null}`,
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}],}`,
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}]}x`,
      `{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST}]`,
      `{"type":"pair.result","rid":3,"pair":7,"candidates":[${HOST}]}`,
      '', '{}', '[]', 'null',
    ];
    for (const text of other) expect(both(text), text).to.equal(undefined);
  });

  it('judges a repeated address by its family each time (its string is kept for the next message)', () => {
    const msg = (family: number, address: string): string => `{"type":"pair.candidates","rid":1,"pair":2,"candidates":[{"kind":"host","family":${family},"address":"${address}","port":9}]}`;
    expect(both(msg(4, '198.51.100.4'))).to.not.equal(undefined);
    expect(both(msg(4, '198.51.100.4'))).to.not.equal(undefined);
    expect(both(msg(6, '198.51.100.4'))).to.equal(undefined);
    expect(both(msg(6, '2001:db8::4'))).to.not.equal(undefined);
    expect(both(msg(4, '2001:db8::4'))).to.equal(undefined);
    expect(both(msg(4, '198.51.100.40'))).to.not.equal(undefined);
    expect(both(msg(4, '198.51.100.400'))).to.equal(undefined);
  });

  it('gives equal candidates of successive messages as one object (a member sends the same list on each pair)', () => {
    const msg = (pair: number, port: number): string => `{"type":"pair.candidates","rid":${pair},"pair":${pair},"candidates":[${SRFLX},{"kind":"host","family":4,"address":"10.9.8.7","port":${port}}]}`;
    const [a, b, c] = [both(msg(1, 9)), both(msg(2, 9)), both(msg(3, 10))] as Array<{ candidates: object[] }>;
    expect(b!.candidates[0]).to.equal(a!.candidates[0]);
    expect(b!.candidates[1]).to.equal(a!.candidates[1]);
    expect(c!.candidates[1]).to.not.equal(a!.candidates[1]);
    expect(c!.candidates[1]).to.deep.equal({ kind: 'host', family: 4, address: '10.9.8.7', port: 10 });
  });

  it('gives an equal list of successive messages as one list, sized to its candidates; another list is its own', () => {
    const msg = (pair: number, list: string): string => `{"type":"pair.candidates","rid":${pair},"pair":${pair},"candidates":[${list}],"done":true}`;
    const [a, b, c, d] = [both(msg(1, `${HOST},${SRFLX}`)), both(msg(2, `${HOST},${SRFLX}`)), both(msg(3, HOST)), both(msg(4, `${HOST},${SRFLX},${HOST}`))] as Array<{ candidates: object[] }>;
    expect(b!.candidates).to.equal(a!.candidates);
    expect(c!.candidates).to.not.equal(a!.candidates);
    expect(d!.candidates).to.not.equal(a!.candidates);
    expect(c!.candidates).to.have.length(1);
    expect(d!.candidates).to.have.length(3);
    // The first list was not changed by the later ones.
    expect(a!.candidates).to.deep.equal([JSON.parse(HOST), JSON.parse(SRFLX)]);
    expect(both(msg(5, `${HOST},${SRFLX}`))).to.have.property('candidates').that.deep.equals(a!.candidates);
  });

  it('gives the candidates array\'s bytes only in their canonical form (no whitespace, keys in JSON.stringify\'s order)', () => {
    const msg = (list: string, sep = ''): string => `{"type":"pair.candidates",${sep}"rid":3,"pair":7,"candidates":${list},"done":true}`;
    expect(spanText(msg(`[${HOST},${SRFLX}]`))).to.equal(`[${HOST},${SRFLX}]`);
    expect(spanText(msg('[]'))).to.equal('[]');
    const withPriority = '[{"kind":"upnp","family":6,"address":"2001:db8::1","port":9,"priority":0}]';
    expect(spanText(msg(withPriority))).to.equal(withPriority);
    // Whitespace outside the array does not matter.
    expect(spanText(` ${msg(`[${HOST}]`, ' ')}\n`)).to.equal(`[${HOST}]`);
    for (const list of [`[ ${HOST}]`, `[${HOST} ]`, `[${HOST}, ${SRFLX}]`, '[{"kind": "host","family":4,"address":"10.1.1.20","port":40000}]', '[ ]',
      '[{"family":4,"kind":"host","address":"10.1.1.20","port":40000}]', '[{"kind":"host","family":4,"address":"10.1.1.20","priority":1,"port":40000}]']) {
      expect(both(msg(list)), list).to.not.equal(undefined);
      expect(span.start, list).to.equal(-1);
      expect(span.end, list).to.equal(-1);
    }
  });

  it('decodes an array equal to the last one\'s bytes as its list again, and any other array on its own', () => {
    const msg = (list: string, tail = ''): string => `{"type":"pair.candidates","rid":3,"pair":7,"candidates":${list}${tail}}`;
    const first = both(msg(`[${HOST},${SRFLX}]`)) as { candidates: unknown[] };
    const again = both(msg(`[${HOST},${SRFLX}]`, ',"done":true')) as { candidates: unknown[] };
    expect(again.candidates).to.equal(first.candidates);
    // Same bytes at the start, then more, or fewer; the same array followed by anything invalid.
    expect(both(msg(`[${HOST},${SRFLX},${HOST}]`))).to.have.property('candidates').with.length(3);
    both(msg(`[${HOST},${SRFLX}]`));
    expect(both(msg(`[${HOST}]`))).to.have.property('candidates').with.length(1);
    both(msg(`[${HOST},${SRFLX}]`));
    expect(both(msg(`[${HOST},${SRFLX}]`, ',"done":1'))).to.equal(undefined);
    expect(both(msg(`[${HOST},${SRFLX}]`, '}'))).to.equal(undefined);
    expect(both(`{"type":"pair.candidates","rid":3,"pair":7,"candidates":[${HOST},${SRFLX}`)).to.equal(undefined);
    // A spaced array again gives no span again.
    const spaced = msg(`[ ${HOST}]`);
    both(spaced);
    expect(both(spaced)).to.not.equal(undefined);
    expect(span.start).to.equal(-1);
    expect(spanText(msg(`[${HOST}]`))).to.equal(`[${HOST}]`);
  });

  it('decodes nothing that decodeClientMessage refuses or decodes differently (random and mutated input)', () => {
    const prng = new Prng(seedFromEnv(0xcafe19));
    const kinds = ['host', 'srflx', 'upnp', 'relay', 'prflx', 'Host', ''];
    const addresses = ['10.1.1.20', '10.0.0.1', '255.255.255.255', '203.0.113', '0203.0.113.4', '2001:db8::1', '::', 'fe80::1%1', '::ffff:203.0.113.4', '1::2::3', 'x'];
    const numbers = ['0', '1', '4', '6', '9', '65535', '65536', '4294967295', '4294967296', '-1', '1.0', '1e2', '01', '99999999999', 'true', '"4"', 'null'];
    const pick = <T>(a: readonly T[]): T => a[prng.int(0, a.length - 1)]!;
    // False once the message being built leaves the plain form (a duplicate or unknown key, a
    // number with a fraction or exponent): valid or not, the fast path may leave it.
    let plain = true;
    const num = (): string => {
      const v = pick(numbers);
      if (v === '1.0' || v === '1e2') plain = false;
      return v;
    };
    const candidate = (): string => {
      const fields = [
        `"kind":"${pick(kinds)}"`, `"family":${prng.chance(0.7) ? pick(['4', '6']) : num()}`,
        `"address":"${pick(addresses)}"`, `"port":${prng.chance(0.7) ? String(prng.int(1, 65535)) : num()}`,
      ].filter(() => prng.chance(0.95));
      if (prng.chance(0.15)) fields.push(`"priority":${num()}`);
      if (prng.chance(0.03)) {
        fields.push(`"extra":${pick(numbers)}`);
        plain = false;
      }
      if (prng.chance(0.05)) {
        fields.push(fields[0] ?? '"kind":"host"');
        plain = false;
      }
      return `{${shuffle(fields).join(',')}}`;
    };
    const shuffle = (a: string[]): string[] => {
      for (let i = a.length - 1; i > 0; i--) {
        const j = prng.int(0, i);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    };
    // A member sends the same array on each of its pairs: often the previous message's again
    // (whether it left the plain form goes with it).
    let lastList = '[]';
    let lastListPlain = true;
    const list = (n: number): string => {
      if (!prng.chance(0.3)) {
        const before = plain;
        plain = true;
        lastList = `[${Array.from({ length: n }, candidate).join(',')}]`;
        lastListPlain = plain;
        plain = before;
      }
      if (!lastListPlain) plain = false;
      return lastList;
    };
    const message = (): string => {
      const n = prng.chance(0.05) ? prng.int(15, 18) : prng.int(0, 3);
      const fields = [
        `"type":"${prng.chance(0.95) ? 'pair.candidates' : pick(['pair.result', 'pair.candidate', ''])}"`,
        `"rid":${prng.chance(0.8) ? String(prng.int(0, 1000)) : num()}`,
        `"pair":${prng.chance(0.8) ? String(prng.int(1, 1000)) : num()}`,
        `"candidates":${list(n)}`,
        `"done":${pick(['true', 'false', 'null', '1'])}`,
      ].filter((_, i) => (i < 4 ? prng.chance(0.97) : prng.chance(0.5)));
      if (prng.chance(0.05)) {
        fields.push(pick(['"nat":{}', '"fingerprint":"x"', '"rid":1', '"z":[]']));
        plain = false;
      }
      return `{${shuffle(fields).join(prng.chance(0.9) ? ',' : ' , ')}}`;
    };
    const MUTATIONS = ' \t\n{}[],:"\\.-+e0123456789aé\u0000';
    let decoded = 0;
    let plainAccepted = 0;
    spans = 0;
    for (let i = 0; i < 10_000; i++) {
      plain = true;
      let text = message();
      const mutated = prng.chance(0.3);
      if (mutated) {
        for (let k = prng.int(1, 3); k > 0; k--) {
          const at = prng.int(0, text.length);
          const op = prng.int(0, 2);
          const ch = MUTATIONS[prng.int(0, MUTATIONS.length - 1)]!;
          text = op === 0 ? text.slice(0, at) + ch + text.slice(at) : op === 1 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + ch + text.slice(at + 1);
        }
      }
      if (both(text) !== undefined) decoded++;
      // Unmutated input in the plain form that decodeClientMessage accepts: the fast path must take it.
      const slow = decodeClientMessage(text);
      if (!mutated && plain && slow.ok) {
        expect(decodePairCandidatesBytes(bytes(text)), text).to.not.equal(undefined);
        plainAccepted++;
      }
    }
    // The generator must reach both sides, and the forwarded bytes, or this test proves nothing.
    expect(decoded).to.be.greaterThan(500);
    expect(spans).to.be.greaterThan(200);
    expect(plainAccepted).to.be.greaterThan(500);
  });
});
