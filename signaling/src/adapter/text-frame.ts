// One unmasked WebSocket text frame, header and UTF-8 payload in one Buffer (adapter): what the
// service writes to a socket itself instead of going through ws's send().
//
// RFC 6455 §5.2, server → client (no mask):
//   byte 0      FIN (0x80) | opcode 1 (text)
//   byte 1      payload length 0..125, or 126 (16-bit length follows), or 127 (64-bit follows)
//   bytes 2..   extended length (big-endian), then the payload

/** FIN + opcode 1 (text), RFC 6455 §5.2. */
const FIN_TEXT = 0x81;

/** Scratch of encodeTextFrames: the UTF-8 length of each text (one process, one thread). */
const LENGTHS: number[] = [];

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
 * Encodes `texts` as consecutive final, unmasked text frames in one Buffer: everything one
 * socket is sent in one event-loop turn leaves in one write, with no Buffer per frame.
 * @param preamble ASCII bytes written before the frames (the handshake's 101 answer)
 */
export function encodeTextFrames(texts: readonly string[], preamble = ''): Buffer {
  let total = preamble.length;
  // Each text's UTF-8 length is measured once (byteLength was 11 % of the relay phase's busy
  // time when it ran twice per text, flattening the concatenated texts).
  const lengths = LENGTHS;
  lengths.length = texts.length;
  for (let i = 0; i < texts.length; i++) {
    const len = Buffer.byteLength(texts[i]!, 'utf8');
    lengths[i] = len;
    total += headLength(len) + len;
  }
  const out = Buffer.allocUnsafe(total);
  let at = preamble.length === 0 ? 0 : out.write(preamble, 0, 'latin1');
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    const len = lengths[i]!;
    at = writeHead(out, at, len);
    at += out.write(text, at, len, 'utf8');
  }
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
