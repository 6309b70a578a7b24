// Core: window-size arithmetic of the handshake and BANDWIDTH_LIMIT (enet-protocol.md §5.1, §9.3).
import { PEER_WINDOW_SIZE_SCALE, PROTOCOL_MAXIMUM_WINDOW_SIZE, PROTOCOL_MINIMUM_WINDOW_SIZE } from './constants.js';

/** §5.1: window sizes are clamped to 4096..65536 bytes. */
export function clampWindow(w: number): number {
  if (w < PROTOCOL_MINIMUM_WINDOW_SIZE) return PROTOCOL_MINIMUM_WINDOW_SIZE;
  if (w > PROTOCOL_MAXIMUM_WINDOW_SIZE) return PROTOCOL_MAXIMUM_WINDOW_SIZE;
  return w;
}

/** `(bandwidth / 65536) * 4096`, clamped: the window a bandwidth (bytes/s) allows. */
export function windowForBandwidth(bandwidth: number): number {
  return clampWindow(Math.floor(bandwidth / PEER_WINDOW_SIZE_SCALE) * PROTOCOL_MINIMUM_WINDOW_SIZE);
}

/**
 * §5.1 step 7 / §9.3: send window from our upstream `outgoing` and the remote's downstream
 * `incoming` (bytes/s, 0 = unlimited): both 0 → 65536; one 0 → from the other; else the smaller.
 */
export function sendWindow(outgoing: number, incoming: number): number {
  if (outgoing === 0 && incoming === 0) return PROTOCOL_MAXIMUM_WINDOW_SIZE;
  if (outgoing === 0 || incoming === 0) return windowForBandwidth(Math.max(outgoing, incoming));
  return windowForBandwidth(Math.min(outgoing, incoming));
}
