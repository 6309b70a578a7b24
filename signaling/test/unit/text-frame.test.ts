// encodeTextFrame: RFC 6455 §5.2 headers at each length boundary (the end-to-end tests read
// these frames with real ws clients); the per-socket queue writes the same bytes back to back.
import { expect } from 'chai';
import { encodeTextFrame, queueAscii, queueFrame, queueTextFrame, takeFrames } from '../../src/adapter/text-frame.js';
import { forwardedLength, forwardedText, writeForwarded } from '../../src/core/forwarded-candidates.js';
import type { ForwardedCandidates } from '../../src/core/forwarded-candidates.js';
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

  it('queueFrame: a frame whose payload the caller writes at the end of the queue, as queueTextFrame would encode it', () => {
    const list = Buffer.from(`xx[${Array(3).fill('{"kind":"host","family":4,"address":"10.1.1.20","port":40000}').join(',')}]yy`);
    for (const done of [true, false]) {
      // 209 and 210 bytes of payload: a 16-bit length; after a queued frame, and across a growth of the Buffer.
      const f: ForwardedCandidates = { kind: 'candidates', conn: 1, pair: 4294967295, from: 2147483647, bytes: list, start: 2, end: list.length - 2, done };
      const o: FrameOutput = { outBuf: null, outLen: 0 };
      const before = Array.from({ length: 4 }, (_, i) => `{"type":"ok","rid":${i}}`);
      for (const t of before) queueTextFrame(o, t);
      const len = forwardedLength(f);
      expect(len).to.be.greaterThan(125);
      const buf = queueFrame(o, len);
      expect(writeForwarded(buf, o.outLen - len, f)).to.equal(o.outLen);
      queueTextFrame(o, '{"type":"ok","rid":9}');
      const want = Buffer.concat([...before.map((t) => encodeTextFrame(t)), encodeTextFrame(forwardedText(f)), encodeTextFrame('{"type":"ok","rid":9}')]);
      expect(takeFrames(o)!.equals(want)).to.equal(true);
      expect(JSON.parse(forwardedText(f))).to.deep.equal({ type: 'pair.candidates', pair: 4294967295, from: 2147483647, candidates: JSON.parse(list.subarray(2, list.length - 2).toString()), done });
    }
    // A short one (2-byte header), digits from 0 up.
    const short: ForwardedCandidates = { kind: 'candidates', conn: 1, pair: 1, from: 10, bytes: Buffer.from('[]'), start: 0, end: 2, done: true };
    expect(forwardedText(short)).to.equal('{"type":"pair.candidates","pair":1,"from":10,"candidates":[],"done":true}');
    const o: FrameOutput = { outBuf: null, outLen: 0 };
    writeForwarded(queueFrame(o, forwardedLength(short)), 0 + 2, short);
    expect(takeFrames(o)!.equals(encodeTextFrame(forwardedText(short)))).to.equal(true);
  });
});
