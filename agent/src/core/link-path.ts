// How a link's path is labelled (core, pure): by the address the link actually talks to, so two
// runs that select different candidates of the same peer get the same label (issue #12 item 10).
import type { PathKind } from './link-machine.js';
import { addressClass } from './address-class.js';

/**
 * The path label for a selected candidate of kind `kind` (the punch's, from the candidate type)
 * at `remoteAddress`: `upnp` and `relay` stay; otherwise `lan` when the link does not cross the
 * internet — the address is one of this machine's own (`isOwnAddress`: peers on one machine,
 * whichever of its addresses the punch picked), loopback, private or link-local (a
 * server-reflexive address there only means the STUN server is inside the same network) — and
 * `direct` when it is another machine's public address.
 */
export function linkPath(kind: PathKind, remoteAddress: string, isOwnAddress: boolean): PathKind {
  if (kind === 'upnp' || kind === 'relay') return kind;
  if (isOwnAddress) return 'lan';
  return addressClass(remoteAddress.split('%')[0]!) === 'public' ? 'direct' : 'lan';
}
