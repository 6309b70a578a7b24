// Validation of Godot peer ids: client ids carried in ENet CONNECT data, mesh ids, targets
// (core, no I/O). Source: godot-enet.md §2.5, §2.9, §3.4.
import { MAX_PEER_ID, MIN_CLIENT_ID } from './constants.js';

/** Why a client's CONNECT is refused, or `undefined` when the id is accepted. */
export type ConnectRejection = 'refusing' | 'id-too-small' | 'id-too-large' | 'id-in-use';

/**
 * Decides whether a server accepts a CONNECT whose data (the client's chosen id, a uint32) is
 * `data`. Godot rejects ids < 2 and duplicates and resets while refusing (§2.5). Unlike Godot,
 * ids ≥ 2^31 are rejected too: Godot would store them as negative ids, which collide with
 * "all but" targets (§2.5 quirk 6, §10.2).
 */
export function checkConnectId(data: number, refusing: boolean, isInUse: (id: number) => boolean): ConnectRejection | undefined {
  if (refusing) return 'refusing';
  const id = data >>> 0;
  if (id < MIN_CLIENT_ID) return 'id-too-small';
  if (id > MAX_PEER_ID) return 'id-too-large';
  if (isInUse(id)) return 'id-in-use';
  return undefined;
}

/** True for an integer in 1..2^31−1, the ids `createMesh`/`addMeshPeer` accept (§2.9). */
export function isPeerId(id: unknown): id is number {
  return Number.isInteger(id) && (id as number) >= 1 && (id as number) <= MAX_PEER_ID;
}

/** True for a valid `setTargetPeer` argument: an integer with |id| ≤ 2^31−1. */
export function isTargetPeer(id: unknown): id is number {
  return Number.isInteger(id) && Math.abs(id as number) <= MAX_PEER_ID;
}
