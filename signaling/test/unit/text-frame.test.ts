// encodeTextFrame: RFC 6455 §5.2 headers at each length boundary (the end-to-end tests read
// these frames with real ws clients); the per-socket queue writes the same bytes back to back.
import { expect } from 'chai';
import { encodeTextFrame, queueAscii, queueTextFrame, takeFrames } from '../../src/adapter/text-frame.js';
import type { FrameOutput } from '../../src/adapter/text-frame.js';

/** Reads one unmasked final text frame back (RFC 6455 §5.2). */
function roundTrip(text: string): string {
  const f = encodeTextFrame(text);
  expect(f[0]).to.equal(0x81);
  expect(f[1]! & 0x80, 'server frames are not masked').to.equal(0);
  const short = f[1]! & 0x7f;
  const head = short < 126 ? 2 : short === 126 ? 4 : 10;
  const len = short < 126 ? short : short === 126 ? f.readUInt16BE(2) : f.readUIntBE(4, 6);
  expect(f.length).to.equal(head + len);
  return f.subarray(head).toString('utf8');
}

describe('encodeTextFrame', () => {
  it('writes a 2-byte header when the payload is under 126 bytes', () => {
    const f = encodeTextFrame('{"type":"ok","rid":1}');
    expect(f[0]).to.equal(0x81);
    expect(f[1]).to.equal(21);
    expect(f.length).to.equal(23);
  });

  it('writes a 16-bit length when the payload is 126..65535 bytes', () => {
    const f = encodeTextFrame('x'.repeat(126));
    expect(f[1]).to.equal(126);
    expect(f.readUInt16BE(2)).to.equal(126);
    expect(f.length).to.equal(130);
  });

  it('writes a 64-bit length when the payload is 65536 bytes or more', () => {
    const f = encodeTextFrame('y'.repeat(65536));
    expect(f[1]).to.equal(127);
    expect(f.readUIntBE(4, 6)).to.equal(65536);
    expect(f.readUInt16BE(2)).to.equal(0);
    expect(f.length).to.equal(65546);
  });

  it('counts UTF-8 bytes, not UTF-16 units, when the text is not ASCII', () => {
    const text = 'pe\u00f1a \u{1f600}';
    const f = encodeTextFrame(text);
    expect(f[1]).to.equal(Buffer.byteLength(text));
    expect(roundTrip(text)).to.equal(text);
  });

  it('is read back whole when the length sits at each boundary', () => {
    for (const n of [0, 125, 126, 65535, 65536]) expect(roundTrip('z'.repeat(n)).length).to.equal(n);
  });
});

/** Queues `texts` (after `preamble`, when given) on a fresh queue and takes the bytes. */
function queued(texts: readonly string[], preamble?: string): Buffer | null {
  const o: FrameOutput = { outBuf: null, outLen: 0 };
  if (preamble !== undefined) queueAscii(o, preamble);
  for (const t of texts) queueTextFrame(o, t);
  return takeFrames(o);
}

describe('queueTextFrame / takeFrames', () => {
  it('is the frames of encodeTextFrame back to back, at every header size and with non-ASCII text', () => {
    const texts = ['{"type":"ok","rid":1}', '', 'x'.repeat(125), 'y'.repeat(126), 'pe\u00f1a \u{1f600}', 'z'.repeat(65535), 'w'.repeat(65536), '{"type":"ok","rid":2}'];
    expect(queued(texts)!.equals(Buffer.concat(texts.map((t) => encodeTextFrame(t))))).to.equal(true);
  });

  it('keeps the bytes queued before each growth of its Buffer', () => {
    const texts = Array.from({ length: 200 }, (_, i) => `{"type":"ok","rid":${i}}`);
    expect(queued(texts)!.equals(Buffer.concat(texts.map((t) => encodeTextFrame(t))))).to.equal(true);
  });

  it('writes the preamble first, byte for byte, then the frames', () => {
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n';
    const joined = queued(['{"type":"welcome"}', 'x'.repeat(300)], head)!;
    expect(joined.equals(Buffer.concat([Buffer.from(head, 'latin1'), encodeTextFrame('{"type":"welcome"}'), encodeTextFrame('x'.repeat(300))]))).to.equal(true);
    expect(queued([], head)!.toString('latin1')).to.equal(head);
  });

  it('takes nothing from an empty queue, and empties the queue it takes from', () => {
    const o: FrameOutput = { outBuf: null, outLen: 0 };
    expect(takeFrames(o)).to.equal(null);
    queueTextFrame(o, '{"a":1}');
    expect(takeFrames(o)!.equals(encodeTextFrame('{"a":1}'))).to.equal(true);
    expect(o).to.deep.equal({ outBuf: null, outLen: 0 });
    expect(takeFrames(o)).to.equal(null);
  });
});
