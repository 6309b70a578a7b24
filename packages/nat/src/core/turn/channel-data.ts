// ChannelData framing (RFC 8656 §12.4) — core, no I/O, allocation-free.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Channel Number        |            Length             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     Application Data (Length bytes)           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Over UDP the padding to 4 bytes is optional (§12.5): accept 0–3 pad bytes and trust Length
// (coturn never pads over UDP, relay.md §0 [v]); we never pad when sending.
import { NatError } from '../../errors.js';
import { CHANNEL_DATA_HEADER, CHANNEL_MAX, CHANNEL_MIN } from './constants.js';

/** Why a datagram is not a ChannelData message (returned as a negative number, no allocation). */
export const ChannelDataError = {
  TooShort: -1,
  BadChannel: -2,
  Truncated: -3,
  /** More than 3 bytes after Length: not one ChannelData message. */
  TrailingBytes: -4,
} as const;

/**
 * The channel number of `bytes` when it is one well-formed ChannelData message (channel
 * 0x4000..0x7FFF, 4 + Length ≤ size ≤ 4 + Length + 3), else a negative `ChannelDataError`.
 * The payload is `bytes.subarray(4, 4 + channelDataLength(bytes))`.
 */
export function readChannelData(bytes: Uint8Array): number {
  if (bytes.length < CHANNEL_DATA_HEADER) return ChannelDataError.TooShort;
  const channel = (bytes[0]! << 8) | bytes[1]!;
  if (channel < CHANNEL_MIN || channel > CHANNEL_MAX) return ChannelDataError.BadChannel;
  const len = (bytes[2]! << 8) | bytes[3]!;
  if (CHANNEL_DATA_HEADER + len > bytes.length) return ChannelDataError.Truncated;
  if (bytes.length - CHANNEL_DATA_HEADER - len > 3) return ChannelDataError.TrailingBytes;
  return channel;
}

/** The Length field of a ChannelData message (check it with `readChannelData` first). */
export function channelDataLength(bytes: Uint8Array): number {
  return (bytes[2]! << 8) | bytes[3]!;
}

/**
 * Writes ChannelData for `channel` carrying `payload` into `out` (no padding) and returns its
 * length in bytes.
 * @throws NatError ERR_INVALID_PARAMETER when the channel is outside 0x4000..0x7FFF, the payload
 *   is over 65535 bytes or `out` is too small.
 */
export function encodeChannelData(out: Uint8Array, channel: number, payload: Uint8Array): number {
  if (!Number.isInteger(channel) || channel < CHANNEL_MIN || channel > CHANNEL_MAX) {
    throw new NatError('ERR_INVALID_PARAMETER', `channel must be 0x4000..0x7FFF, got ${channel}`, { got: channel });
  }
  const n = CHANNEL_DATA_HEADER + payload.length;
  if (payload.length > 0xffff || n > out.length) {
    throw new NatError('ERR_INVALID_PARAMETER', `ChannelData needs ${n} bytes, buffer has ${out.length}`, {
      limit: out.length,
      got: n,
    });
  }
  writeChannelDataHeader(out, channel, payload.length);
  out.set(payload, CHANNEL_DATA_HEADER);
  return n;
}

/**
 * Writes the 4-byte ChannelData header (channel, Length) at the start of `out`: the payload
 * follows in `out` or, sent as a second buffer, beside it (the relay's zero-copy data path).
 * The caller checked channel (0x4000..0x7FFF) and length (≤ 65535) and gives ≥ 4 bytes.
 */
export function writeChannelDataHeader(out: Uint8Array, channel: number, length: number): void {
  out[0] = channel >> 8;
  out[1] = channel & 0xff;
  out[2] = length >> 8;
  out[3] = length & 0xff;
}
