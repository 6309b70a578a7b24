// The service's own RFC 6455 server side (ws-server.ts): handshake answer, frame reader, close frames.
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { acceptUpgrade, encodeCloseFrame, FrameReader, MAX_FRAGMENTS, NO_STATUS } from '../../src/adapter/ws-server.js';
import type { FrameSink } from '../../src/adapter/ws-server.js';

/** A client frame (RFC 6455 §5.2) with a real mask, as browsers and ws send. */
function clientFrame(op: number, payload: Buffer | string, fin = true, mask = [0x12, 0x34, 0x56, 0x78]): Buffer {
  const p = Buffer.from(payload);
  const n = p.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | op, 0x80 | n]) : n < 65536 ? Buffer.from([(fin ? 0x80 : 0) | op, 0x80 | 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | op, 0x80 | 127, 0, 0, 0, 0]), Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])]);
  const masked = Buffer.from(p.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, Buffer.from(mask), masked]);
}

type Event = [string, ...unknown[]];
function reader(maxPayload = 4096): { r: FrameReader; events: Event[]; sink: FrameSink<FrameReader> } {
  const events: Event[] = [];
  const sink: FrameSink<FrameReader> = {
    message: (_r, payload, isText) => events.push(['message', isText ? payload.toString('utf8') : null, payload.length]),
    ping: (_r, p) => events.push(['ping', p.toString()]),
    close: (_r, code, reason) => events.push(['close', code, reason]),
    fail: (_r, code) => events.push(['fail', code]),
  };
  return { r: new FrameReader(maxPayload), events, sink };
}

describe('ws-server', () => {
  describe('acceptUpgrade', () => {
    const req = (h: Record<string, string>, method = 'GET'): IncomingMessage => ({ method, headers: h }) as unknown as IncomingMessage;
    const good = { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };

    it('answers 101 with the RFC 6455 §1.3 example accept value', () => {
      const a = acceptUpgrade(req(good));
      expect(a.ok).to.equal(true);
      expect((a as { response: string }).response).to.include('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
    });

    it('refuses a request that is not a version-13 WebSocket upgrade, saying why', () => {
      expect(acceptUpgrade(req(good, 'POST'))).to.deep.include({ ok: false });
      expect(acceptUpgrade(req({ ...good, upgrade: 'h2c' }))).to.deep.equal({ ok: false, reason: 'Upgrade must be websocket' });
      expect(acceptUpgrade(req({ ...good, 'sec-websocket-key': 'short' }))).to.deep.equal({ ok: false, reason: 'missing or invalid Sec-WebSocket-Key' });
      expect(acceptUpgrade(req({ ...good, 'sec-websocket-version': '8' }))).to.deep.equal({ ok: false, reason: 'Sec-WebSocket-Version must be 13' });
    });
  });

  describe('FrameReader', () => {
    it('reads masked text frames, several per chunk and split at every byte', () => {
      const bytes = Buffer.concat([clientFrame(1, '{"type":"hello"}'), clientFrame(1, 'é'.repeat(100)), clientFrame(2, Buffer.alloc(3))]);
      const whole = reader();
      whole.r.push(Buffer.from(bytes), whole.sink);
      const split = reader();
      for (let i = 0; i < bytes.length; i++) split.r.push(bytes.subarray(i, i + 1), split.sink);
      const want = [['message', '{"type":"hello"}', 16], ['message', 'é'.repeat(100), 200], ['message', null, 3]];
      expect(whole.events).to.deep.equal(want);
      expect(split.events).to.deep.equal(want);
    });

    it('joins a fragmented message and answers pings between its fragments', () => {
      const { r, events, sink } = reader();
      r.push(Buffer.concat([clientFrame(1, 'ab', false), clientFrame(9, 'p'), clientFrame(0, 'cd', false), clientFrame(0, 'e')]), sink);
      expect(events).to.deep.equal([['ping', 'p'], ['message', 'abcde', 5]]);
    });

    it('refuses a frame over maxPayload from its header, before its payload arrives (1009)', () => {
      const { r, events, sink } = reader(100);
      r.push(clientFrame(1, 'x'.repeat(101)).subarray(0, 8), sink);
      expect(events).to.deep.equal([['fail', 1009]]);
      expect(r.done).to.equal(true);
      r.push(clientFrame(1, 'late'), sink);
      expect(events).to.have.length(1);
      const f = reader(100);
      f.r.push(Buffer.concat([clientFrame(1, 'x'.repeat(60), false), clientFrame(0, 'x'.repeat(60))]), f.sink);
      expect(f.events).to.deep.equal([['fail', 1009]]);
      const huge = reader(100);
      huge.r.push(Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]), huge.sink);
      expect(huge.events).to.deep.equal([['fail', 1009]]);
    });

    it('fails with 1002 on protocol errors, 1007 on invalid UTF-8 and 1008 past the fragment cap', () => {
      const cases: Array<[Buffer, number]> = [
        [Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002], // unmasked
        [clientFrame(3, 'x'), 1002], // reserved data opcode
        [clientFrame(0xb, 'x'), 1002], // reserved control opcode
        [Buffer.concat([Buffer.from([0xc1]), clientFrame(1, 'x').subarray(1)]), 1002], // RSV1 without an extension
        [clientFrame(9, 'x'.repeat(126)), 1002], // control frame too long
        [clientFrame(9, 'x', false), 1002], // fragmented control frame
        [clientFrame(0, 'x'), 1002], // continuation without a message
        [Buffer.concat([clientFrame(1, 'a', false), clientFrame(1, 'b')]), 1002], // new message inside one
        [clientFrame(8, Buffer.from([0x03])), 1002], // 1-byte close body
        [clientFrame(8, Buffer.from([0x03, 0xed])), 1002], // close code 1005 on the wire
        [clientFrame(1, Buffer.from([0xff, 0xfe])), 1007],
        [Buffer.concat([clientFrame(1, 'a', false), clientFrame(0, Buffer.from([0xc3]))]), 1007], // split UTF-8 ending early
        [Buffer.concat(Array.from({ length: MAX_FRAGMENTS + 1 }, () => clientFrame(0, 'a', false)).map((f, i) => (i === 0 ? clientFrame(1, 'a', false) : f))), 1008],
      ];
      for (const [bytes, code] of cases) {
        const { r, events, sink } = reader();
        r.push(bytes, sink);
        expect(events, bytes.subarray(0, 12).toString('hex')).to.deep.equal([['fail', code]]);
      }
    });

    it('reports the peer close with its code and reason (1005 without a body) and reads nothing after', () => {
      const a = reader();
      a.r.push(Buffer.concat([clientFrame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')])), clientFrame(1, 'after')]), a.sink);
      expect(a.events).to.deep.equal([['close', 1000, 'bye']]);
      const b = reader();
      b.r.push(clientFrame(8, ''), b.sink);
      expect(b.events).to.deep.equal([['close', NO_STATUS, '']]);
    });
  });

  describe('encodeCloseFrame', () => {
    it('carries the code and a reason cut to fit a control frame; 1005 has no body', () => {
      expect([...encodeCloseFrame(4003, 'idle')]).to.deep.equal([0x88, 6, 0x0f, 0xa3, ...Buffer.from('idle')]);
      expect(encodeCloseFrame(1000, 'x'.repeat(300)).length).to.equal(2 + 125);
      expect([...encodeCloseFrame(NO_STATUS)]).to.deep.equal([0x88, 0]);
    });
  });
});
