// Punch candidates: the addresses one side of a pair offers, and their validation (core).

/** Where a candidate address came from (RFC 8445 §5.1.1 types plus port-mapped). */
export const CANDIDATE_KINDS = Object.freeze(['host', 'srflx', 'upnp', 'relay'] as const);

/** One candidate kind. */
export type CandidateKind = (typeof CANDIDATE_KINDS)[number];

/** A transport address a peer may be reachable at. */
export interface Candidate {
  /** How the address was learned. */
  kind: CandidateKind;
  /** 4 for IPv4, 6 for IPv6; must match `address`. */
  family: 4 | 6;
  /** Dotted-quad IPv4 or RFC 5952-style IPv6 text (no zone id). */
  address: string;
  /** UDP port, 1..65535. */
  port: number;
  /** Optional RFC 8445 §5.1.2 priority, 0..2³²−1; higher is tried first. */
  priority?: number;
}

/** Most candidates one side may send for one pair (issue #5). */
export const MAX_CANDIDATES_PER_PAIR = 16;

/** True when `text` is a dotted-quad IPv4 address with no leading zeros. */
export function isIPv4(text: string): boolean {
  if (text.length < 7 || text.length > 15) return false;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 48);
      digits++;
      if (digits > 3) return false;
    } else return false;
  }
  return parts === 4;
}

/** True when `text` is an IPv6 address (hex groups, at most one `::`, optional IPv4 tail). */
export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return false;
  let groups = 0;
  const sections = dbl >= 0 ? [text.slice(0, dbl), text.slice(dbl + 2)] : [text];
  for (let s = 0; s < sections.length; s++) {
    const sec = sections[s]!;
    if (sec === '') continue;
    const parts = sec.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const isLast = s === sections.length - 1 && i === parts.length - 1;
      if (isLast && p.includes('.')) {
        if (!isIPv4(p)) return false;
        groups += 2;
        continue;
      }
      if (p.length < 1 || p.length > 4 || !/^[0-9a-fA-F]+$/.test(p)) return false;
      groups++;
    }
  }
  return dbl >= 0 ? groups <= 7 : groups === 8;
}

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
  if (v.family === 4 ? !isIPv4(v.address) : !isIPv6(v.address)) {
    return `candidate.address must be an IPv${v.family} address`;
  }
  if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) {
    return 'candidate.port must be an integer 1..65535';
  }
  const c: Candidate = { kind: v.kind as CandidateKind, family: v.family, address: v.address, port: v.port };
  if (v.priority !== undefined) {
    if (typeof v.priority !== 'number' || !Number.isInteger(v.priority) || v.priority < 0 || v.priority > 0xffffffff) {
      return 'candidate.priority must be an integer 0..4294967295';
    }
    c.priority = v.priority;
  }
  out.push(c);
  return undefined;
}
