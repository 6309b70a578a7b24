// The per-candidate probe record of revision 1.6 (issue 17): what became of the connectivity
// checks a side sent to each of the other side's addresses, carried by `pair.result` so the live
// view can show why a link failed candidate by candidate. Validation is core; never throws on wire
// input. Bounded: at most MAX_PROBE_CHECKS checks, short fields only.
import { isIpv4, isIpv6, PATH_KINDS, type CandidateKind, type PathKind } from '@meshpunch/base';
import { FieldReader } from './field-reader.js';

/**
 * How the probed address was learned: a candidate kind the other side sent, or `prflx` (peer
 * reflexive, RFC 8445 §7.3.1.3: a source its probes came from that no candidate named).
 */
export const PROBE_KINDS = Object.freeze(['host', 'srflx', 'prflx', 'upnp', 'relay'] as const satisfies readonly CandidateKind[]);
/** One probe kind: any candidate kind (the one definition is @meshpunch/base's). */
export type ProbeKind = CandidateKind;

/**
 * What became of one check: `answered` (an answer proved the path); `one-way` (probes from the
 * address arrived, ours were never answered); `timeout` (probes sent, nothing came back);
 * `unreachable` (not probed: a private address on a LAN the sender is not on); `refused` (not
 * probed: an address class no peer has, or over the per-pair cap); `not-sent` (the punch ended,
 * usually on another path, before a probe went there).
 */
export const PROBE_OUTCOMES = Object.freeze(['answered', 'one-way', 'timeout', 'unreachable', 'refused', 'not-sent'] as const);
/** One probe outcome. */
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

/** Most checks one `pair.result` may carry (the candidate cap of a pair). */
export const MAX_PROBE_CHECKS = 16;
/** Largest time in a probe record, ms (the longest punch a service allows is far shorter). */
export const MAX_PROBE_MS = 600_000;
/** Largest probe count per check. */
export const MAX_PROBES_SENT = 65_535;
/** Largest `omitted` count (checks the sender left out to stay within the bounds). */
export const MAX_PROBES_OMITTED = 1024;

/** One check: a remote address and what its probes did. Times are ms after probing began. */
export interface ProbeCheck {
  kind: ProbeKind;
  /** What a link over this address would be. */
  path: PathKind;
  outcome: ProbeOutcome;
  /** Probes sent to it. */
  sent: number;
  /** First probe sent. */
  firstMs?: number;
  /** First probe from it received (it reached us). */
  heardMs?: number;
  /** The answer that proved it. */
  answerMs?: number;
  /** Round trip of that answer, ms. */
  rttMs?: number;
  /** The address probed: for the operator's view only (the lobby view never shows it). */
  address?: string;
  port?: number;
}

/** The probe record of one side of a pair. */
export interface ProbeReport {
  /** ms from the start of probing to this report: places the checks on the pair's timeline. */
  ageMs: number;
  checks: ProbeCheck[];
  /** Checks left out (beyond MAX_PROBE_CHECKS, or to fit the message limit). */
  omitted?: number;
}

function readCheck(value: unknown, r: FieldReader): ProbeCheck | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a check must be an object';
  r.reset(value as Record<string, unknown>);
  const kind = r.oneOf('kind', PROBE_KINDS);
  const path = r.oneOf('path', PATH_KINDS);
  const outcome = r.oneOf('outcome', PROBE_OUTCOMES);
  const sent = r.int('sent', 0, MAX_PROBES_SENT);
  const firstMs = r.num('firstMs', 0, MAX_PROBE_MS, true);
  const heardMs = r.num('heardMs', 0, MAX_PROBE_MS, true);
  const answerMs = r.num('answerMs', 0, MAX_PROBE_MS, true);
  const rttMs = r.num('rttMs', 0, MAX_PROBE_MS, true);
  const address = r.str('address', 2, 45, true);
  const port = r.int('port', 1, 65535, true);
  if (r.error !== undefined) return r.error;
  if (address !== undefined && !isIpv4(address) && !isIpv6(address)) return 'address must be an IPv4 or IPv6 address';
  if ((address === undefined) !== (port === undefined)) return 'address and port go together';
  if (outcome === 'answered' && answerMs === undefined) return 'answerMs is required when outcome is answered';
  const c: ProbeCheck = { kind: kind!, path: path!, outcome: outcome!, sent: sent! };
  if (firstMs !== undefined) c.firstMs = firstMs;
  if (heardMs !== undefined) c.heardMs = heardMs;
  if (answerMs !== undefined) c.answerMs = answerMs;
  if (rttMs !== undefined) c.rttMs = rttMs;
  if (address !== undefined) {
    c.address = address;
    c.port = port!;
  }
  return c;
}

/**
 * Checks a `probes` field of `pair.result`. Returns the clean record (known fields only), or the
 * problem as one sentence naming the field.
 * @param value anything parsed from JSON
 */
export function readProbeReport(value: unknown): ProbeReport | { problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'probes must be an object' };
  const r = new FieldReader().reset(value as Record<string, unknown>);
  const ageMs = r.num('ageMs', 0, MAX_PROBE_MS);
  const checks = r.array('checks', MAX_PROBE_CHECKS);
  const omitted = r.int('omitted', 0, MAX_PROBES_OMITTED, true);
  if (r.error !== undefined) return { problem: `probes.${r.error}` };
  const out: ProbeCheck[] = [];
  const cr = new FieldReader();
  for (let i = 0; i < checks!.length; i++) {
    const c = readCheck(checks![i], cr);
    if (typeof c === 'string') return { problem: `probes.checks[${i}]: ${c}` };
    out.push(c);
  }
  const report: ProbeReport = { ageMs: ageMs!, checks: out };
  if (omitted !== undefined && omitted > 0) report.omitted = omitted;
  return report;
}
