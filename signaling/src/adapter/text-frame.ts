// One unmasked WebSocket text frame, header and UTF-8 payload in one Buffer (adapter): what the
// service writes to a socket itself instead of going through ws's send().
//
// RFC 6455 §5.2, server → client (no mask):
//   byte 0      FIN (0x80) | opcode 1 (text)
//   byte 1      payload length 0..125, or 126 (16-bit length follows), or 127 (64-bit follows)
//   bytes 2..   extended length (big-endian), then the payload

/** FIN + opcode 1 (text), RFC 6455 §5.2. */
const FIN_TEXT = 0x81;

/** Bytes of the frame header for a payload of `len` bytes. */
function headLength(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Writes the header of a final text frame of `len` payload bytes at `at`; returns the payload's offset. */
function writeHead(out: Buffer, at: number, len: number): number {
  out[at] = FIN_TEXT;
  if (len < 126) {
    out[at + 1] = len;
    return at + 2;
  }
  if (len < 65536) {
    out[at + 1] = 126;
    out.writeUInt16BE(len, at + 2);
    return at + 4;
  }
  // Lengths stay far below 2^53; the top 16 bits of the 64-bit field are zero.
  out[at + 1] = 127;
  out.writeUInt16BE(0, at + 2);
  out.writeUIntBE(len, at + 4, 6);
  return at + 10;
}

/**
 * Where one socket's frames of the current event-loop turn wait: `outBuf` (null when none) and
 * the bytes of it in use. The connection object holds both fields itself (no object per
 * connection for its queue).
 */
export interface FrameOutput {
  outBuf: Buffer | null;
  outLen: number;
}

/**
 * First Buffer of a turn's output, bytes: a relay burst sends a member ~2 KiB in one turn (nine
 * answers, nine relayed messages), so most sockets grow it once at most.
 */
const FIRST_OUTPUT_BYTES = 1024;
/**
 * Output Buffers are carved from slabs of this size. Buffer.allocUnsafe's own pool is 8 KiB and
 * allocates anything from 4 KiB on by itself: when the service fell behind in the kit's relay
 * burst (big turns, several KiB per socket), those allocations were 10 % of its busy time.
 */
const SLAB_BYTES = 256 * 1024;
/** Larger outputs get a Buffer of their own (a slab holds at least 8 of the largest carved). */
const MAX_CARVED_BYTES = SLAB_BYTES / 8;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/**
 * `size` bytes for one socket's output. A carved piece keeps its slab alive until the socket has
 * written it (the next ones come from a new slab once this one is used up).
 */
function carve(size: number): Buffer {
  if (size > MAX_CARVED_BYTES) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const piece = slab.subarray(slabUsed, slabUsed + size);
  // 8-byte aligned, as Buffer's pool keeps its slices.
  slabUsed += (size + 7) & ~7;
  return piece;
}

/** Room for `more` bytes after the queued ones: a Buffer twice as large, the queued bytes copied. */
function reserve(o: FrameOutput, more: number): Buffer {
  const need = o.outLen + more;
  const buf = o.outBuf;
  if (buf !== null && need <= buf.length) return buf;
  const grown = carve(Math.max(need, FIRST_OUTPUT_BYTES, buf === null ? 0 : 2 * buf.length));
  if (buf !== null) buf.copy(grown, 0, 0, o.outLen);
  o.outBuf = grown;
  return grown;
}

/**
 * Appends `text` as one final, unmasked text frame. The frame is encoded at once, not kept as
 * a string until the write: a turn of a relay burst queues thousands of texts, and as strings
 * held to the turn's end they outlived the scavenges inside the turn and were copied and
 * promoted by V8 (a third of the service's busy time in garbage collection; issue 19). Bytes in
 * a Buffer live outside the V8 heap.
 */
export function queueTextFrame(o: FrameOutput, text: string): void {
  const len = Buffer.byteLength(text, 'utf8');
  const buf = reserve(o, headLength(len) + len);
  const at = writeHead(buf, o.outLen, len);
  o.outLen = at + buf.write(text, at, len, 'utf8');
}

/**
 * Appends the header of one final, unmasked text frame of `len` payload bytes and room for them,
 * which the caller writes at the end of the queue: outLen - len .. outLen of the Buffer returned
 * (the queue's, o.outBuf).
 */
export function queueFrame(o: FrameOutput, len: number): Buffer {
  const buf = reserve(o, headLength(len) + len);
  o.outLen = writeHead(buf, o.outLen, len) + len;
  return buf;
}

/** Appends ASCII bytes (the handshake's 101 answer) as they are. */
export function queueAscii(o: FrameOutput, text: string): void {
  const buf = reserve(o, text.length);
  o.outLen += buf.write(text, o.outLen, text.length, 'latin1');
}

/** Everything queued, as one Buffer for one write (null when nothing is), and an empty queue. */
export function takeFrames(o: FrameOutput): Buffer | null {
  const buf = o.outBuf;
  if (buf === null) return null;
  const out = o.outLen === buf.length ? buf : buf.subarray(0, o.outLen);
  o.outBuf = null;
  o.outLen = 0;
  return out;
}

/**
 * Encodes `text` as one final, unmasked text frame. One Buffer per frame (not ws's header +
 * payload pair) keeps the socket's writev on its all-Buffer path, and the same frame can be
 * written to several sockets (a broadcast is encoded once).
 */
export function encodeTextFrame(text: string): Buffer {
  const len = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headLength(len) + len);
  frame.write(text, writeHead(frame, 0, len), len, 'utf8');
  return frame;
}
