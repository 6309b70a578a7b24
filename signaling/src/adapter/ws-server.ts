// The service's own server side of RFC 6455 (adapter): the opening handshake's answer and a frame
// reader on the upgraded net.Socket, in place of ws's WebSocket + Receiver + Sender per
// connection (issue 19). A heap snapshot of 10,000 idle connections held ~0.9 KiB of ws objects
// each (WebSocket, Receiver and its Writable state, Sender, three bound listeners), and a CPU
// profile of the shared kit spent ~12 % of the service in ws (Writable plumbing per received
// chunk, upgrade bookkeeping). What the service needs is small: text frames in (masked, maybe
// fragmented), text frames out (text-frame.ts), ping/pong, and the close handshake. No
// extensions (no permessage-deflate) and no subprotocols are negotiated.
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { CloseCode } from '@meshpunch/protocol';

/** RFC 6455 §7.4.1: reported when a close frame carries no code; never sent in a close frame's body. */
export const NO_STATUS = 1005;
/** RFC 6455 §1.3: appended to Sec-WebSocket-Key before hashing. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 §4.1 item 7). */
const KEY_RE = /^[+/0-9A-Za-z]{22}==$/;
/**
 * Fragments one message may arrive in. A client of this protocol sends small single frames; the
 * cap bounds the Buffer list a stream of 1-byte continuation frames could build (close 1008, as
 * ws's WS_ERR_TOO_MANY_BUFFERED_PARTS).
 */
export const MAX_FRAGMENTS = 128;

/**
 * The 101 answer to a valid WebSocket upgrade request, or the reason it is not one (answered
 * 400 by the caller). RFC 6455 §4.2.1: GET, `Upgrade: websocket`, a 16-byte key, version 13.
 */
export function acceptUpgrade(req: IncomingMessage): { ok: true; response: string } | { ok: false; reason: string } {
  if (req.method !== 'GET') return { ok: false, reason: 'the upgrade request must be GET' };
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return { ok: false, reason: 'Upgrade must be websocket' };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY_RE.test(key)) return { ok: false, reason: 'missing or invalid Sec-WebSocket-Key' };
  const version = req.headers['sec-websocket-version'];
  if (version !== '13') return { ok: false, reason: 'Sec-WebSocket-Version must be 13' };
  const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
  return { ok: true, response: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n` };
}

/** A close frame (RFC 6455 §5.5.1): `code` and a UTF-8 reason cut to fit 125 bytes; 1005 sends no body. */
export function encodeCloseFrame(code: number, reason = ''): Buffer {
  if (code === NO_STATUS) return Buffer.from([0x88, 0]);
  let r = Buffer.from(reason, 'utf8');
  if (r.length > 123) r = r.subarray(0, 123);
  const f = Buffer.allocUnsafe(4 + r.length);
  f[0] = 0x88;
  f[1] = 2 + r.length;
  f.writeUInt16BE(code, 2);
  r.copy(f, 4);
  return f;
}

/** A close code a peer may send (RFC 6455 §7.4.1, §7.4.2; 1004-1006 and 1015 never go on the wire). */
function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * What a FrameReader reports, each with the reader it came from (one sink serves every
 * connection: no closures per connection).
 */
export interface FrameSink<R extends FrameReader> {
  /**
   * A whole message: its payload, valid UTF-8 when `isText` (a text frame). The bytes are the
   * read buffer's, valid only during the call: copy what is kept.
   */
  message(from: R, payload: Buffer, isText: boolean): void;
  /** A ping to answer with a pong carrying `payload`. */
  ping(from: R, payload: Buffer): void;
  /** The peer's close frame (1005 when it carried no code). Nothing more is read. */
  close(from: R, code: number, reason: string): void;
  /** A frame broke the protocol; close with `code` (1002, 1007, 1008, 1009). Nothing more is read. */
  fail(from: R, code: number, why: string): void;
}

/**
 * Client-to-server frames of one connection, parsed as bytes arrive. Keeps only a partial
 * frame's bytes and the fragments of an unfinished message; a frame announcing more than
 * maxPayload is refused from its header, before its payload is buffered.
 */
export class FrameReader {
  #rest: Buffer | null = null;
  #parts: Buffer[] | null = null;
  #partsLen = 0;
  #partsText = false;
  #done = false;
  readonly #maxPayload: number;

  constructor(maxPayload: number) {
    this.#maxPayload = maxPayload;
  }

  /** True once a close frame or a protocol error ended reading. */
  get done(): boolean {
    return this.#done;
  }

  /** True while a fragmented message is half read (its fragments are held here). */
  get midMessage(): boolean {
    return this.#parts !== null;
  }

  /**
   * The bytes of a partial frame read and not yet parsed (empty when none), which no longer
   * belong to this reader: a connection moving to another process takes them along (they
   * come before anything that process reads from the socket).
   */
  takeRest(): Buffer {
    const r = this.#rest;
    this.#rest = null;
    return r ?? Buffer.alloc(0);
  }

  /** Feeds bytes read from the socket (the reader may unmask them in place). */
  push<R extends FrameReader>(this: R, chunk: Buffer, sink: FrameSink<R>): void {
    if (this.#done) return;
    const b = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = null;
    let off = 0;
    while (!this.#done) {
      const avail = b.length - off;
      if (avail < 2) break;
      const b0 = b[off]!;
      const b1 = b[off + 1]!;
      const fin = (b0 & 0x80) !== 0;
      const op = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) return this.#fail(sink, CloseCode.BadFrame, 'RSV bits set without an extension');
      if ((b1 & 0x80) === 0) return this.#fail(sink, CloseCode.BadFrame, 'client frames must be masked');
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (avail < 4) break;
        len = b.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (avail < 10) break;
        const hi = b.readUInt32BE(off + 2);
        // Anything past 2^32 is far over any maxPayload: refuse without exact arithmetic.
        len = hi !== 0 ? Number.MAX_SAFE_INTEGER : b.readUInt32BE(off + 6);
        head = 10;
      }
      if (op >= 8) {
        if (op > 10) return this.#fail(sink, CloseCode.BadFrame, `reserved opcode ${op}`);
        if (!fin || len > 125) return this.#fail(sink, CloseCode.BadFrame, 'control frames must be final and at most 125 bytes');
      } else {
        if (op > 2) return this.#fail(sink, CloseCode.BadFrame, `reserved opcode ${op}`);
        if (op === 0 && this.#parts === null) return this.#fail(sink, CloseCode.BadFrame, 'continuation frame without a message');
        if (op !== 0 && this.#parts !== null) return this.#fail(sink, CloseCode.BadFrame, 'new message inside a fragmented one');
        if (len > this.#maxPayload || this.#partsLen + len > this.#maxPayload) {
          return this.#fail(sink, CloseCode.MessageTooBig, `message over ${this.#maxPayload} bytes`);
        }
      }
      if (avail < head + 4 + len) break;
      const maskAt = off + head;
      const start = maskAt + 4;
      const payload = b.subarray(start, start + len);
      const m0 = b[maskAt]!, m1 = b[maskAt + 1]!, m2 = b[maskAt + 2]!, m3 = b[maskAt + 3]!;
      for (let i = 0; i + 3 < len; i += 4) {
        payload[i] = payload[i]! ^ m0;
        payload[i + 1] = payload[i + 1]! ^ m1;
        payload[i + 2] = payload[i + 2]! ^ m2;
        payload[i + 3] = payload[i + 3]! ^ m3;
      }
      for (let i = len & ~3; i < len; i++) payload[i] = payload[i]! ^ (i % 4 === 0 ? m0 : i % 4 === 1 ? m1 : i % 4 === 2 ? m2 : m3);
      off = start + len;
      this.#frame(fin, op, payload, sink);
    }
    // A partial frame waits for more bytes; copied so a large read buffer is not kept for it.
    if (!this.#done && off < b.length) this.#rest = Buffer.from(b.subarray(off));
  }

  #frame<R extends FrameReader>(this: R, fin: boolean, op: number, payload: Buffer, sink: FrameSink<R>): void {
    if (op === 0x9) return sink.ping(this, payload);
    if (op === 0xa) return;
    if (op === 0x8) {
      if (payload.length === 1) return this.#fail(sink, CloseCode.BadFrame, 'close frame with a 1-byte body');
      const code = payload.length === 0 ? NO_STATUS : payload.readUInt16BE(0);
      if (payload.length > 0 && !isValidCloseCode(code)) return this.#fail(sink, CloseCode.BadFrame, `invalid close code ${code}`);
      const reason = payload.subarray(2);
      if (!isUtf8(reason)) return this.#fail(sink, CloseCode.InvalidPayload, 'close reason is not UTF-8');
      this.#done = true;
      this.#parts = null;
      return sink.close(this, code, reason.toString('utf8'));
    }
    if (!fin) {
      // A fragment's bytes live in the read buffer: copy them before the next read reuses nothing
      // we hold but the fragment itself.
      if (this.#parts === null) {
        this.#parts = [];
        this.#partsText = op === 1;
      }
      if (this.#parts.length >= MAX_FRAGMENTS) return this.#fail(sink, CloseCode.PolicyViolation, `message in more than ${MAX_FRAGMENTS} fragments`);
      this.#parts.push(Buffer.from(payload));
      this.#partsLen += payload.length;
      return;
    }
    let data = payload;
    let text = op === 1;
    if (op === 0) {
      this.#parts!.push(payload);
      data = Buffer.concat(this.#parts!, this.#partsLen + payload.length);
      text = this.#partsText;
      this.#parts = null;
      this.#partsLen = 0;
    }
    if (text && !isUtf8(data)) return this.#fail(sink, CloseCode.InvalidPayload, 'text frame is not UTF-8');
    sink.message(this, data, text);
  }

  #fail<R extends FrameReader>(this: R, sink: FrameSink<R>, code: number, why: string): void {
    this.#done = true;
    this.#parts = null;
    this.#rest = null;
    sink.fail(this, code, why);
  }
}
