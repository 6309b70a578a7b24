// One unmasked WebSocket text frame, header and UTF-8 payload in one Buffer (adapter): what the
// service writes to a socket itself instead of going through ws's send().
//
// RFC 6455 §5.2, server → client (no mask):
//   byte 0      FIN (0x80) | opcode 1 (text)
//   byte 1      payload length 0..125, or 126 (16-bit length follows), or 127 (64-bit follows)
//   bytes 2..   extended length (big-endian), then the payload

/** FIN + opcode 1 (text), RFC 6455 §5.2. */
const FIN_TEXT = 0x81;

/**
 * Encodes `text` as one final, unmasked text frame. One Buffer per frame (not ws's header +
 * payload pair) keeps the socket's writev on its all-Buffer path, and the same frame can be
 * written to several sockets (a broadcast is encoded once).
 */
export function encodeTextFrame(text: string): Buffer {
  const len = Buffer.byteLength(text, 'utf8');
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + len);
  frame[0] = FIN_TEXT;
  if (head === 2) {
    frame[1] = len;
  } else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    // Lengths stay far below 2^53; the top 16 bits of the 64-bit field are zero.
    frame[1] = 127;
    frame.writeUInt16BE(0, 2);
    frame.writeUIntBE(len, 4, 6);
  }
  frame.write(text, head, len, 'utf8');
  return frame;
}
