// What a link's punches learned about the peer's addresses (adapter): which sources proved they hold
// the pair secret, the candidates refused, and the probe record sent with the link's report.
import { monotonicNow } from '@meshpunch/base';
import { sourceRejection, type Candidate, type PunchSession, type RejectedCandidate } from '@meshpunch/nat/punch';
import type { ProbeReport } from '@meshpunch/protocol';
import { buildProbeReport, type PunchHistory } from '../core/probe-report.js';

/** Malformed remote candidates kept for the report: the service relays at most 16 per side (protocol MAX_CANDIDATES_PER_PAIR). */
export const MAX_REPORTED_MALFORMED = 16;

/** A remote candidate that validateCandidate refused, as reported (its address cut to 64 characters). */
export function refusedCandidate(c: Candidate): RejectedCandidate {
  return { kind: c.kind, address: String(c.address).slice(0, 64), port: c.port, reason: sourceRejection(String(c.address)) ?? 'invalid' };
}

/** Text appended to a punch failure: the peer's candidates that were refused (empty when none). */
export function refusalDetail(rejected: readonly RejectedCandidate[]): string {
  return rejected.length === 0 ? '' : ` (${rejected.length} refused: ${rejected.slice(0, 4).map((r) => `${r.address}:${r.port} ${r.reason}`).join(', ')}${rejected.length > 4 ? ', …' : ''})`;
}

/**
 * Whether one of `punches` has proof that `address:port` holds the pair secret: it sent a check
 * that passed MESSAGE-INTEGRITY, or answered one of ours.
 */
export function isProvenSource(punches: ReadonlyArray<PunchSession | undefined>, address: string, port: number): boolean {
  for (const punch of punches) {
    if (punch === undefined) continue;
    for (const c of punch.timeline()) {
      if (c.port === port && c.address === address && (c.provenAt !== undefined || c.requestsReceived > 0)) return true;
    }
  }
  return false;
}

/**
 * What became of a link's checks, per remote address (protocol 1.6 `probes`), within `maxBytes`
 * of JSON; undefined when the link never probed nor refused a candidate.
 * @param direct the direct punch (the running one, else the last whose path lost consent)
 * @param malformed remote candidates refused before any punch saw them
 */
export function linkProbeReport(direct: PunchSession | undefined, relay: PunchSession | undefined, malformed: readonly RejectedCandidate[], maxBytes: number): ProbeReport | undefined {
  const punches: PunchHistory[] = [];
  for (const punch of [direct, relay]) {
    if (punch !== undefined) punches.push({ checks: punch.timeline(), startedAt: punch.machine.startedAt });
  }
  const rejected = [...malformed, ...(direct?.rejectedCandidates() ?? [])];
  return buildProbeReport(punches, rejected, monotonicNow(), maxBytes);
}
