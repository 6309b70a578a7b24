// When a relayed link looks for a direct path again (core, pure; relay.md §3 "upgrade"). Each
// look asks our mapping again and probes the peer's candidates in a bounded burst. A pair the
// NAT hints rule out (measured once, when the session began) looks only when something changed
// since the last look began: our mapping, or the peer's candidates — also ones that came while
// a look was under way, which may end before it probes them (it joins them late, behind the
// checks it already paces).

/** Remembers whether the peer's candidates changed since the last look began. */
export class DirectLookTrigger {
  #peerCandidatesChanged = false;

  /** Whether the peer sent new candidates since the last look began (trace lines). */
  get peerCandidatesChanged(): boolean {
    return this.#peerCandidatesChanged;
  }

  /** The peer sent new candidates (its mapping changed), whether or not a look is under way. */
  peerCandidates(): void {
    this.#peerCandidatesChanged = true;
  }

  /**
   * Whether a look is due now. When it is, the change is taken: the look about to begin probes
   * every candidate known so far, and only what arrives after it counts for the next one.
   */
  take(mappingChanged: boolean, predictedHard: boolean): boolean {
    if (!mappingChanged && !this.#peerCandidatesChanged && predictedHard) return false;
    this.#peerCandidatesChanged = false;
    return true;
  }
}

/** What a link does with candidates the peer sent after its first batch (trickle). */
export type LateCandidatesAction = 'join-look' | 'look-now' | 'none';

/**
 * Where new peer candidates go: into the direct look under way (it probes them behind its
 * checks); else, when no direct path is in use and the first look has ended — the link is relayed,
 * or is falling back on the relay — into a new look at once (a UPnP or srflx candidate that came
 * after the peer's look failed is its only direct way in: natlab, u1's mapping at load 10–25);
 * else nowhere yet (the first look, not begun, takes every candidate known when it starts).
 */
export function lateCandidatesAction(s: { readonly lookUnderWay: boolean; readonly directPath: boolean; readonly firstLookEnded: boolean }): LateCandidatesAction {
  if (s.lookUnderWay) return 'join-look';
  if (!s.directPath && s.firstLookEnded) return 'look-now';
  return 'none';
}
