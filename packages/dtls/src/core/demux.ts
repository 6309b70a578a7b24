// First-byte demultiplexing of a shared UDP socket (core), RFC 7983 §7 (updating RFC 5764 §5.1.2):
// STUN 0..3, ZRTP 16..19, DTLS 20..63, TURN ChannelData 64..79, RTP/RTCP 128..191.

export type DatagramKind = 'stun' | 'zrtp' | 'dtls' | 'turnChannel' | 'rtp' | 'other';

/**
 * The RFC 7983 class of a datagram by its first byte. ENet's own header can start with any byte,
 * so a link decides by source first (a link secured with DTLS only takes 'dtls' and 'stun').
 */
export function classifyDatagram(bytes: Uint8Array): DatagramKind {
  if (bytes.length === 0) return 'other';
  const b = bytes[0]!;
  if (b <= 3) return 'stun';
  if (b >= 16 && b <= 19) return 'zrtp';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 64 && b <= 79) return 'turnChannel';
  if (b >= 128 && b <= 191) return 'rtp';
  return 'other';
}

/** True when the first byte is in the DTLS range 20..63 (RFC 7983 §7). */
export function isDtlsDatagram(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0]! >= 20 && bytes[0]! <= 63;
}
