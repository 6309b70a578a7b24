// Which of two hosts of one LAN lobby keeps hosting (core, pure): the LAN merge rule.
//
// Two agents can each found the same LAN lobby when their mDNS does not reach each other within
// the discovery window (a starved machine, multicast lost for a moment). Every host keeps asking
// the LAN for other hosts of its lobby; all of them rank the hosts by one total order that each
// side computes from the adverts alone, so exactly one outranks every other and the rest hand
// over to it. The order is the advert token: drawn at random per run (so no agent can count on
// winning), fixed for the run (a rank never changes under a host, unlike a member count, so two
// hosts never both yield to each other), and unique among the adverts kept (directory.ts).

/** What the rule reads of a host advert. */
export interface RankedHost {
  readonly token: string;
}

/** Negative when host `a` outranks `b` (keeps hosting), positive when `b` does; 0 only for the same token. */
export function compareHosts(a: RankedHost, b: RankedHost): number {
  return a.token < b.token ? -1 : a.token > b.token ? 1 : 0;
}

/**
 * The host we should hand over to: the best-ranked of `heard` that outranks us (`own`), or
 * undefined when we outrank every host heard (we keep hosting).
 */
export function mergeTarget<H extends RankedHost>(own: RankedHost, heard: readonly H[]): H | undefined {
  let best: H | undefined;
  for (const h of heard) {
    if (compareHosts(h, own) < 0 && (best === undefined || compareHosts(h, best) < 0)) best = h;
  }
  return best;
}
