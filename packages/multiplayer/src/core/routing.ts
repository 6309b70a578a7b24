// Which connected peers a `putPacket` goes to, for each ENetMultiplayerPeer mode (core, no I/O).
// Source: godot-enet.md §2.7 ("Routing then flush") and §3 (target semantics).

/** The role an ENetMultiplayerPeer plays once created (Godot's internal `Mode`, §2). */
export const PeerMode = { NONE: 0, SERVER: 1, CLIENT: 2, MESH: 3 } as const;
/** One of the {@link PeerMode} values. */
export type PeerMode = (typeof PeerMode)[keyof typeof PeerMode];

/**
 * True when Godot accepts `target` for `putPacket`: 0, or a target whose absolute value is a
 * connected peer id (§2.7). So a server cannot target −1 (it is not its own peer) and a client
 * may only target 0, 1 or −1.
 */
export function isRoutableTarget(target: number, hasPeer: (id: number) => boolean): boolean {
  return target === 0 || hasPeer(Math.abs(target));
}

/**
 * Fills `out` with the ids a packet goes to and returns how many (§2.7): a client always sends
 * to the server (1); otherwise target 0 → every peer, target < 0 → every peer but −target,
 * target > 0 → that peer. `peerIds` are the accepted/connected peers in insertion order.
 */
export function selectRecipients(mode: PeerMode, target: number, peerIds: readonly number[], out: number[]): number {
  out.length = 0;
  if (mode === PeerMode.CLIENT) {
    out.push(1);
    return 1;
  }
  if (target > 0) {
    out.push(target);
    return 1;
  }
  const excluded = -target;
  for (let i = 0; i < peerIds.length; i++) {
    const id = peerIds[i]!;
    if (id !== excluded) out.push(id);
  }
  return out.length;
}
