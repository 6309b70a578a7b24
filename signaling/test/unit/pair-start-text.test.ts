// pair.start and the relayed pair.candidates, built as templates (pairing.ts pairStartText,
// member-requests.ts pairCandidatesText), are byte for byte JSON.stringify's.
import { expect } from 'chai';
import { decodeClientMessage } from '@meshpunch/protocol';
import type { PairCandidatesMessage, PairStartMessage } from '@meshpunch/protocol';
import { pairCandidatesText } from '../../src/core/member-requests.js';
import { pairStartText } from '../../src/core/pairing.js';

describe('pairStartText', () => {
  it('writes what JSON.stringify writes, with and without replaces, null and negative offsets, fractional times', () => {
    const cases: PairStartMessage[] = [
      { type: 'pair.start', pair: 1, remote: 2, role: 'listen', at: 1234.5678, offsetMs: null, secret: 'AbC-_xyz0123456789abcd' },
      { type: 'pair.start', pair: 4_294_967_295, remote: 1_073_741_823, role: 'connect', at: 0, offsetMs: -37, secret: 'x' },
      { type: 'pair.start', pair: 7, remote: 3, role: 'connect', at: 1e12 + 0.25, offsetMs: 12, secret: 's', replaces: 6 },
    ];
    for (const m of cases) expect(pairStartText(m)).to.equal(JSON.stringify(m));
  });
});

describe('pairCandidatesText', () => {
  /** The event as the service sent it before the template: a fresh object through JSON.stringify. */
  function stringified(pair: number, from: number, msg: PairCandidatesMessage): string {
    const ev: Record<string, unknown> = { type: 'pair.candidates', pair, from, candidates: msg.candidates, done: msg.done === true };
    if (msg.nat !== undefined) ev.nat = msg.nat;
    if (msg.fingerprint !== undefined) ev.fingerprint = msg.fingerprint;
    return JSON.stringify(ev);
  }

  it('writes what JSON.stringify writes for decoded messages: no candidates, priorities, IPv6, done absent or false, nat, fingerprint, unknown fields', () => {
    const wire = [
      '{"type":"pair.candidates","rid":3,"pair":1,"candidates":[]}',
      '{"type":"pair.candidates","rid":4,"pair":4294967295,"candidates":[{"kind":"host","family":4,"address":"192.168.1.20","port":40000},{"kind":"srflx","family":4,"address":"203.0.113.20","port":51000,"priority":4294967295}],"done":true}',
      '{"type":"pair.candidates","rid":5,"pair":9,"candidates":[{"port":1,"address":"2001:db8::1","family":6,"kind":"upnp","extra":"\\u0022x"},{"kind":"relay","family":4,"address":"198.51.100.7","port":65535,"priority":0}],"done":false}',
      `{"type":"pair.candidates","rid":6,"pair":2,"candidates":[{"kind":"host","family":6,"address":"::ffff:10.0.0.1","port":9}],"nat":{"mapping":"endpoint-independent","filtering":"address-dependent"},"fingerprint":"sha-256 ${Array.from({ length: 32 }, (_, i) => (i + 160).toString(16).toUpperCase()).join(':')}"}`,
    ];
    for (const text of wire) {
      const res = decodeClientMessage(text);
      if (!res.ok || res.message.type !== 'pair.candidates') throw new Error(`${text} did not decode: ${res.ok ? res.message.type : res.message}`);
      expect(pairCandidatesText(77, 1_073_741_823, res.message)).to.equal(stringified(77, 1_073_741_823, res.message));
    }
  });
});
