// How a proven path between two peers goes (docs/design.md, "How a mesh forms", step 5): the one
// definition (issue #15: nat, protocol and the agent each had one) — the punch reports it, the
// agent labels links with it and the signaling protocol carries it in `pair.result`.

/** Same LAN, a punched hole, a UPnP mapping, or a relay. */
export type PathKind = 'lan' | 'direct' | 'upnp' | 'relay';

/** Every PathKind, in documentation order (validators and metrics label sets). */
export const PATH_KINDS: readonly PathKind[] = Object.freeze(['lan', 'direct', 'upnp', 'relay']);
