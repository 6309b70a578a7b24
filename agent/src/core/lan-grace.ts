// How long a link's punch waits for a LAN path after a public one is proven (core, pure).
import type { Candidate } from '@meshpunch/base';

/** The parts of a candidate the decision reads. */
export type GraceCandidate = Pick<Candidate, 'kind' | 'address'>;

/**
 * The punch's `lanGraceMs` for a link: 0 when both sides have server-reflexive candidates and no
 * public address in common, else undefined (the punch's default, 150 ms).
 *
 * Why: every NATed peer offers its private host candidates, and the punch treats a check to one
 * as a LAN path worth waiting for after the first public path is proven. Peers behind different
 * public addresses are behind different NATs, so those private addresses belong to another site
 * and the wait only delays every link (150 ms of a ~400 ms link in the NAT lab, issue #7). Behind
 * the same public address (the same NAT, where a LAN path is likely) or without STUN answers on
 * either side, the default grace stays. The LAN checks themselves are still probed either way.
 */
export function lanGraceMs(local: readonly GraceCandidate[], remote: readonly GraceCandidate[]): number | undefined {
  const ours = new Set(local.filter((c) => c.kind === 'srflx').map((c) => c.address.toLowerCase()));
  const theirs = remote.filter((c) => c.kind === 'srflx').map((c) => c.address.toLowerCase());
  if (ours.size === 0 || theirs.length === 0 || theirs.some((a) => ours.has(a))) return undefined;
  return 0;
}
