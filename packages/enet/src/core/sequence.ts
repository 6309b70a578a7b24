// Core: 16-bit sequence and 32-bit wire-clock arithmetic (enet-protocol.md §0, §8.1).
// Integer width is explicit everywhere: `& 0xffff` for sequence numbers, `>>> 0` for uint32.
import { PEER_RELIABLE_WINDOW_SIZE, PEER_RELIABLE_WINDOWS } from './constants.js';

/** §0: ENET_TIME_OVERFLOW; wire-clock differences this large or more mean "the other way round". */
export const TIME_OVERFLOW = 86400000;

/** `(a + b) mod 2^16`. */
export function seqAdd(a: number, b: number): number {
  return (a + b) & 0xffff;
}

/** `(a - b) mod 2^16`: how far `a` is ahead of `b` in 16-bit sequence space. */
export function seqDiff(a: number, b: number): number {
  return (a - b) & 0xffff;
}

/** §8.2: ordering key of `seq` relative to the last delivered `r` (seq < r wraps past 65535). */
export function seqKey(seq: number, r: number): number {
  return seq < r ? seq + 0x10000 : seq;
}

/** §8.1: reliable window of a sequence number (0..15). */
export function reliableWindow(seq: number): number {
  return (seq / PEER_RELIABLE_WINDOW_SIZE) | 0;
}

/**
 * §8.1: window of `seq` counted from the window of `r`, wrap included (`w` in the spec minus
 * `cur`): 0 = same window as r, 1..15 ahead, where a seq below r counts 16 windows further.
 */
export function windowOffset(seq: number, r: number): number {
  let w = reliableWindow(seq);
  if (seq < r) w += PEER_RELIABLE_WINDOWS;
  return w - reliableWindow(r);
}

/** §8.1: a data command is queued only when its window is 0..6 ahead of the delivered one. */
export function isInReceiveWindow(seq: number, r: number): boolean {
  const off = windowOffset(seq, r);
  return off >= 0 && off < 7;
}

/** §6: no ACK for a command 7 or 8 windows ahead (the sender must retransmit later). */
export function isInNoAckBand(seq: number, r: number): boolean {
  const off = windowOffset(seq, r);
  return off === 7 || off === 8;
}

/** §0 LESS(a, b) on the uint32 wire clock. */
export function timeLess(a: number, b: number): boolean {
  return ((a - b) >>> 0) >= TIME_OVERFLOW;
}

/** §0 GREATER_EQUAL(a, b). */
export function timeGreaterEqual(a: number, b: number): boolean {
  return !timeLess(a, b);
}

/** §0 DIFF(a, b) on the uint32 wire clock. */
export function timeDiff(a: number, b: number): number {
  return timeLess(a, b) ? ((b - a) >>> 0) : ((a - b) >>> 0);
}

/**
 * §6 step 1: rebuilds the 32-bit send time of an ACK from its 16-bit echo and the current
 * 32-bit service time, or returns -1 when the echo lies in the future (the ACK is ignored).
 */
export function reconstructSentTime(echo16: number, serviceTime32: number): number {
  let t = ((echo16 & 0xffff) | (serviceTime32 & 0xffff0000)) >>> 0;
  if ((t & 0x8000) > (serviceTime32 & 0x8000)) t = (t - 0x10000) >>> 0;
  if (timeLess(serviceTime32, t)) return -1;
  return t;
}
