// Punch candidates: the addresses one side of a pair offers, and their validation (core).
import { isIpv4, isIpv6, type Candidate, type CandidateKind } from '@meshpunch/base';

// The candidate itself is defined once, in @meshpunch/base; this file holds the wire's rules for it.
export type { Candidate, CandidateKind };

/**
 * The candidate kinds the wire carries (RFC 8445 §5.1.1 types plus port-mapped): every
 * CandidateKind but 'prflx', which a punch learns from the peer's checks and never signals.
 */
export const CANDIDATE_KINDS = Object.freeze(['host', 'srflx', 'upnp', 'relay'] as const satisfies readonly CandidateKind[]);

/** Most candidates one side may send for one pair (issue #5). */
export const MAX_CANDIDATES_PER_PAIR = 16;

// IP literal rules are defined once, in @meshpunch/base (the names isIPv4/isIPv6 stay for this
// package's API).
export { isIpv4 as isIPv4, isIpv6 as isIPv6 } from '@meshpunch/base';

/**
 * Checks one candidate from the wire. Returns the problem as one sentence, or undefined.
 * @param value anything parsed from JSON
 * @param out receives a clean copy (only known fields) when valid
 */
export function checkCandidate(value: unknown, out: Candidate[]): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a candidate must be an object';
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || !(CANDIDATE_KINDS as readonly string[]).includes(v.kind)) {
    return `candidate.kind must be one of ${CANDIDATE_KINDS.join(', ')}`;
  }
  if (v.family !== 4 && v.family !== 6) return 'candidate.family must be 4 or 6';
  if (typeof v.address !== 'string') return 'candidate.address must be a string';
  if (v.family === 4 ? !isIpv4(v.address) : !isIpv6(v.address)) {
    return `candidate.address must be an IPv${v.family} address`;
  }
  if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) {
    return 'candidate.port must be an integer 1..65535';
  }
  const c: Candidate = { kind: v.kind as CandidateKind, family: v.family, address: v.address, port: v.port };
  if (v.priority === undefined) {
    out.push(c);
    return undefined;
  }
  if (typeof v.priority !== 'number' || !Number.isInteger(v.priority) || v.priority < 0 || v.priority > 0xffffffff) {
    return 'candidate.priority must be an integer 0..4294967295';
  }
  out.push({ ...c, priority: v.priority });
  return undefined;
}
