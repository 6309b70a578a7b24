// encodeTextFrame: RFC 6455 §5.2 headers at each length boundary (the end-to-end tests read
// these frames with real ws clients).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTextFrame } from '../../src/adapter/text-frame.js';

/** Reads one unmasked final text frame back (RFC 6455 §5.2). */
function roundTrip(text: string): string {
  const f = encodeTextFrame(text);
  assert.equal(f[0], 0x81);
  assert.equal(f[1]! & 0x80, 0, 'server frames are not masked');
  const short = f[1]! & 0x7f;
  const head = short < 126 ? 2 : short === 126 ? 4 : 10;
  const len = short < 126 ? short : short === 126 ? f.readUInt16BE(2) : f.readUIntBE(4, 6);
  assert.equal(f.length, head + len);
  return f.subarray(head).toString('utf8');
}

describe('encodeTextFrame', () => {
  it('writes a 2-byte header when the payload is under 126 bytes', () => {
    const f = encodeTextFrame('{"type":"ok","rid":1}');
    assert.equal(f[0], 0x81);
    assert.equal(f[1], 21);
    assert.equal(f.length, 23);
  });

  it('writes a 16-bit length when the payload is 126..65535 bytes', () => {
    const f = encodeTextFrame('x'.repeat(126));
    assert.equal(f[1], 126);
    assert.equal(f.readUInt16BE(2), 126);
    assert.equal(f.length, 130);
  });

  it('writes a 64-bit length when the payload is 65536 bytes or more', () => {
    const f = encodeTextFrame('y'.repeat(65536));
    assert.equal(f[1], 127);
    assert.equal(f.readUIntBE(4, 6), 65536);
    assert.equal(f.readUInt16BE(2), 0);
    assert.equal(f.length, 65546);
  });

  it('counts UTF-8 bytes, not UTF-16 units, when the text is not ASCII', () => {
    const text = 'pe\u00f1a \u{1f600}';
    const f = encodeTextFrame(text);
    assert.equal(f[1], Buffer.byteLength(text));
    assert.equal(roundTrip(text), text);
  });

  it('is read back whole when the length sits at each boundary', () => {
    for (const n of [0, 125, 126, 65535, 65536]) assert.equal(roundTrip('z'.repeat(n)).length, n);
  });
});
