// A link's server-reflexive address from its TURN relay (core, pure): when no STUN answer came
// (a network that drops STUN Binding requests, a STUN server that is down) the relay still saw
// the link socket — an Allocate success carries XOR-MAPPED-ADDRESS (RFC 8656 §7.3) — and that
// address is the srflx candidate STUN would have given (issue 11: every pair links).
import { candidatePriority, type RankedCandidate } from '@meshpunch/nat/punch';
import type { Endpoint } from './endpoint.js';

/**
 * Whether a link should learn its mapping from the relay: a relay is offered, no STUN server
 * answered (`stunAnswered`: one whose answer equals a host address means no NAT, and no srflx
 * candidate — asking the relay then would cost every such link an allocation for nothing) and
 * gathering gave no server-reflexive candidate. Without one, a peer knows only private host addresses of ours,
 * which its relay may not permit (relayPermissionIps) and no direct probe of its can reach: the
 * pair ended `relay-failed` (natlab, STUN Binding requests dropped by one side's router).
 */
export function wantsRelayMapping(local: readonly { readonly kind: string }[], relayOffered: boolean, stunAnswered: boolean): boolean {
  return relayOffered && !stunAnswered && !local.some((c) => c.kind === 'srflx');
}

/**
 * The srflx candidate for `mapped` (an Allocate's XOR-MAPPED-ADDRESS), or undefined when there is
 * none or it is one of `local` already (no NAT between us and the relay, or STUN gave it too).
 */
export function reflexiveFromRelay(local: readonly RankedCandidate[], mapped: Endpoint | undefined): RankedCandidate | undefined {
  if (mapped === undefined) return undefined;
  if (local.some((c) => c.address === mapped.address && c.port === mapped.port)) return undefined;
  return { kind: 'srflx', family: mapped.address.includes(':') ? 6 : 4, address: mapped.address, port: mapped.port, priority: candidatePriority('srflx') };
}
