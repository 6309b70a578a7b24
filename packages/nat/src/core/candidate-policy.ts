// Which remote candidates we may send probes to (core, no I/O): the address-class rule of
// issue 13 item 7, defined once here and applied by the punch machine to every candidate a peer
// gives (and to every peer-reflexive source it learns), so a lobby member cannot aim our probes
// at addresses no peer of ours can be at.
import { addressScope, type AddressScope, type Candidate, type CandidateKind } from './candidates.js';
import { ipFamily } from '@meshpunch/base';

/**
 * Why a remote candidate was refused:
 * `invalid` not an IP literal; `unspecified` / `multicast` / `broadcast` / `reserved` never a
 * peer's address; `loopback` a loopback address while none of our own candidates is one (only
 * peers on this machine can be reached there); `private-not-host` a private or link-local address
 * given as srflx, prflx or upnp (only a host address — or a TURN server's relayed address — can be
 * on a LAN we share; a reflexive or mapped address is by definition outside it); `no-shared-lan`
 * a private or link-local host or relay candidate while we have no private or link-local address
 * of that family (we cannot share its LAN); `too-many` over the per-pair cap.
 */
export type CandidateRejection =
  | 'invalid' | 'unspecified' | 'multicast' | 'broadcast' | 'reserved' | 'loopback' | 'private-not-host' | 'no-shared-lan' | 'too-many';

/** A refused remote candidate, as shown in the punch's timeline and the agent's progress. */
export interface RejectedCandidate {
  readonly kind: CandidateKind;
  readonly address: string;
  readonly port: number;
  readonly reason: CandidateRejection;
}

/** Scopes no peer can have: datagrams sent there reach a group, everyone, or nobody. */
const NEVER: ReadonlySet<AddressScope> = new Set<AddressScope>(['invalid', 'unspecified', 'multicast', 'broadcast', 'reserved']);

function scopeOf(address: string): AddressScope {
  // indexOf, not split: the service classifies every relayed candidate, and split's array and
  // strings per call showed in its relay profile (issue 19).
  const zone = address.indexOf('%');
  return addressScope(zone < 0 ? address : address.slice(0, zone));
}

/**
 * The class rule for a source address that a datagram came from (a peer-reflexive candidate):
 * only the classes that are never a peer's are refused, since the datagram did arrive from there.
 */
export function sourceRejection(address: string): CandidateRejection | undefined {
  const scope = scopeOf(address);
  return NEVER.has(scope) ? (scope as CandidateRejection) : undefined;
}

/**
 * The class rule for a candidate the peer gave (RFC 8445 §19.5.1 "voice hammer": candidates are
 * where the other side makes us send). Returns why it is refused, or undefined when we may probe it.
 * @param local our own candidates on this socket: they tell whether we are on this machine's
 *   loopback (a loopback candidate of ours, e.g. an agent bound to 127.0.0.1 or a STUN server on
 *   this host) and whether we sit on a LAN (a private or link-local address of the same family).
 */
export function remoteCandidateRejection(
  candidate: Pick<Candidate, 'kind' | 'address'>,
  local: ReadonlyArray<Pick<Candidate, 'address'>>,
): CandidateRejection | undefined {
  const scope = scopeOf(candidate.address);
  if (NEVER.has(scope)) return scope as CandidateRejection;
  if (scope === 'loopback') return local.some((l) => scopeOf(l.address) === 'loopback') ? undefined : 'loopback';
  if (scope === 'private' || scope === 'link-local') {
    if (candidate.kind !== 'host' && candidate.kind !== 'relay') return 'private-not-host';
    const family = ipFamily(candidate.address);
    const onLan = local.some((l) => {
      const s = scopeOf(l.address);
      return (s === 'private' || s === 'link-local') && ipFamily(l.address) === family;
    });
    return onLan ? undefined : 'no-shared-lan';
  }
  return undefined;
}
