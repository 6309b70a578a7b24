// A link's per-candidate probe record for `pair.result` (core, protocol 1.6, issue 17): what
// became of the checks this side sent to each of the peer's addresses, so the live view can show
// why a link failed candidate by candidate. Built from the punch's own check history; bounded in
// count (MAX_PROBE_CHECKS) and in bytes (the service's message limit), never throws.
import { pathKindOf, type CandidateRejection, type RejectedCandidate } from '@meshpunch/nat/punch';
import type { PunchCheckTimeline } from '@meshpunch/nat';
import {
  isIPv4, isIPv6, MAX_PROBE_CHECKS, MAX_PROBE_MS, MAX_PROBES_OMITTED, MAX_PROBES_SENT, type ProbeCheck, type ProbeOutcome, type ProbeReport,
} from '@meshpunch/protocol';

/** One punch of the link (the direct one, a relay one): its checks and when it began probing. */
export interface PunchHistory {
  readonly checks: readonly PunchCheckTimeline[];
  /** When probing began (the punch's clock), undefined while it never did. */
  readonly startedAt: number | undefined;
}

/** Bytes of a `pair.result` besides its probe record (type, rid, pair, outcome, reason, keys). */
export const PAIR_RESULT_ENVELOPE_BYTES = 256;

/** Which outcomes say most about a failure: kept first when the record must shrink. */
const RANK: Record<ProbeOutcome, number> = { answered: 0, 'one-way': 1, timeout: 2, unreachable: 3, refused: 4, 'not-sent': 5 };

/** A refused candidate's outcome: a LAN we are not on is unreachable; any other class is refused. */
function rejectionOutcome(reason: CandidateRejection): ProbeOutcome {
  return reason === 'no-shared-lan' ? 'unreachable' : 'refused';
}

function ms(x: number): number {
  return Math.min(MAX_PROBE_MS, Math.max(0, Math.round(x)));
}

/** Puts `address:port` on `p` when the wire accepts it (an IP literal without zone id, a port). */
function withAddress(p: ProbeCheck, address: string, port: number): ProbeCheck {
  if ((isIPv4(address) || isIPv6(address)) && Number.isInteger(port) && port >= 1 && port <= 65535) {
    p.address = address;
    p.port = port;
  }
  return p;
}

function checkOf(c: PunchCheckTimeline, base: number): ProbeCheck {
  const outcome: ProbeOutcome = c.provenAt !== undefined ? 'answered' : c.requestsReceived > 0 ? 'one-way' : c.requestsSent > 0 ? 'timeout' : 'not-sent';
  const p = withAddress({ kind: c.kind, path: c.path, outcome, sent: Math.min(MAX_PROBES_SENT, c.requestsSent) }, c.address, c.port);
  if (c.firstSentAt !== undefined) p.firstMs = ms(c.firstSentAt - base);
  if (c.firstReceivedAt !== undefined) p.heardMs = ms(c.firstReceivedAt - base);
  if (c.provenAt !== undefined) p.answerMs = ms(c.provenAt - base);
  if (c.rttMs !== undefined) p.rttMs = ms(c.rttMs);
  return p;
}

/**
 * The probe record of a link at `now` (the punches' clock), or undefined when nothing was
 * probed or refused (the link failed before punching).
 * @param punches the link's punches, the first one first
 * @param rejected the peer's candidates refused before probing (malformed or by address class)
 * @param maxBytes the record's JSON stays within this many bytes (checks are left out, counted in `omitted`)
 */
export function buildProbeReport(punches: readonly PunchHistory[], rejected: readonly RejectedCandidate[], now: number, maxBytes: number): ProbeReport | undefined {
  let base: number | undefined;
  for (const p of punches) if (p.startedAt !== undefined && (base === undefined || p.startedAt < base)) base = p.startedAt;
  const origin = base ?? now;
  const all: ProbeCheck[] = [];
  for (const p of punches) for (const c of p.checks) all.push(checkOf(c, origin));
  for (const r of rejected) {
    // A malformed candidate may carry any text: its address goes in only when it is an IP.
    all.push(withAddress({ kind: r.kind, path: pathKindOf(r), outcome: rejectionOutcome(r.reason), sent: 0 }, r.address, r.port));
  }
  if (all.length === 0) return undefined;
  // Stable: within an outcome the punch's order (highest priority first) stays.
  all.sort((p, q) => RANK[p.outcome] - RANK[q.outcome]);
  const checks = all.slice(0, MAX_PROBE_CHECKS);
  let omitted = all.length - checks.length;
  const report = (): ProbeReport => {
    const r: ProbeReport = { ageMs: ms(now - origin), checks };
    if (omitted > 0) r.omitted = Math.min(MAX_PROBES_OMITTED, omitted);
    return r;
  };
  let r = report();
  // Every field is ASCII (kinds, numbers, IP literals): string length is the byte count.
  while (checks.length > 0 && JSON.stringify(r).length > maxBytes) {
    checks.pop();
    omitted++;
    r = report();
  }
  return checks.length === 0 ? undefined : r;
}
