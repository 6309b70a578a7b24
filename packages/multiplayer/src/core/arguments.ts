// Argument checks of ENetMultiplayerPeer's create* methods, with Godot's error codes
// (core, no I/O). Ranges: godot-enet.md §2.2–2.4 and §5.2.
import { MultiplayerError, type MultiplayerErrorCode } from '../errors.js';

/** ENet's peer limit per host (ENET_PROTOCOL_MAXIMUM_PEER_ID = 0xFFF, godot-enet.md §5.2). */
export const MAX_PEERS_PER_HOST = 4095;
/** Bandwidths travel as uint32 bytes/s in ENet's CONNECT and BANDWIDTH_LIMIT commands. */
export const MAX_BANDWIDTH = 0xffffffff;

/**
 * Throws a MultiplayerError with `code` unless `value` is an integer in min..max.
 * The message names the argument, the range and the value (docs/design.md §4).
 */
export function checkIntRange(name: string, value: unknown, min: number, max: number, code: MultiplayerErrorCode = 'ERR_INVALID_PARAMETER'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MultiplayerError(code, `${name} must be an integer ${min}..${max}, got ${String(value)}`, { got: value, min, max });
  }
  return value;
}

/** Checks an ENet bandwidth argument (bytes/s, 0 = unlimited). @throws ERR_INVALID_PARAMETER */
export function checkBandwidth(name: string, value: unknown): number {
  return checkIntRange(name, value, 0, MAX_BANDWIDTH);
}
