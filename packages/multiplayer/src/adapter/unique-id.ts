// Godot's `generate_unique_id` with a CSPRNG instead of Godot's MurmurHash chain (adapter: uses
// node:crypto). Range and meaning from godot-enet.md §3.4.
import { randomInt } from 'node:crypto';
import { MAX_PEER_ID, MIN_CLIENT_ID } from '../core/constants.js';

/**
 * A random peer id in 2..2^31−1 (Godot's range, §3.4), drawn from node:crypto so that ids from
 * different processes collide only by chance (1 in ~2^31 per pair).
 */
export function generateUniqueId(): number {
  // randomInt's upper bound is exclusive.
  return randomInt(MIN_CLIENT_ID, MAX_PEER_ID + 1);
}
