// ICE-style candidates for one pair's socket: types, RFC 8445 §5.1.2 priorities, host gathering
// from an interface list, validation of candidates received from the peer (core, no I/O).
import { ipFamily, normalizeIp, parseIpv4Into, parseIpv6Into, type Candidate, type CandidateKind } from '@meshpunch/base';

export type { Candidate, CandidateKind };

/**
 * A candidate with its priority: what gathering and `validateCandidate` produce and what the punch
 * works with (the candidate is defined once in @meshpunch/base; the wire may leave out priority).
 */
export type RankedCandidate = Candidate & { readonly priority: number };

/**
 * Type preferences (RFC 8445 §5.1.2.2 recommends host 126, prflx 110, srflx 100, relay 0).
 * A UPnP mapping was opened on purpose and passes any filtering, so it ranks just above srflx.
 */
export const TYPE_PREFERENCE: Readonly<Record<CandidateKind, number>> = Object.freeze({
  host: 126,
  prflx: 110,
  upnp: 105,
  srflx: 100,
  /** RFC 8445 §5.1.2.2: relayed candidates rank last, so a direct path always wins when one works. */
  relay: 0,
});

/**
 * RFC 8445 §5.1.2.1: 2^24·type-preference + 2^8·local-preference + (256 − component id).
 * meshpunch uses one component per pair, so the last term is 255.
 */
export function candidatePriority(kind: CandidateKind, localPreference = 65535, componentId = 1): number {
  const lp = Math.max(0, Math.min(65535, Math.floor(localPreference)));
  return TYPE_PREFERENCE[kind] * 2 ** 24 + lp * 2 ** 8 + (256 - componentId);
}

/**
 * Reachability scope of an address. `multicast`, `broadcast`, `reserved` and `unspecified` are
 * never a peer's address (candidate-policy.ts refuses them).
 */
export type AddressScope =
  | 'unspecified' | 'loopback' | 'link-local' | 'private' | 'public' | 'multicast' | 'broadcast' | 'reserved' | 'invalid';

const SCOPE_SCRATCH = new Uint8Array(16);

/**
 * Scope of an IP literal: unspecified (0/8, ::), loopback (127/8, ::1), multicast (224/4,
 * ff00::/8), limited broadcast (255.255.255.255), reserved (240/4, RFC 1112 §4 class E),
 * link-local (169.254/16, fe80::/10), private (RFC 1918, 100.64/10 CGNAT per RFC 6598,
 * fc00::/7 ULA), public otherwise. IPv4-mapped IPv6 addresses have their IPv4 address's scope.
 */
export function addressScope(address: string): AddressScope {
  // One scratch array (the parsers write every byte they report): the service classifies every
  // relayed candidate, and a typed array per call showed in its relay profile (issue 19).
  const b = SCOPE_SCRATCH;
  if (address.includes(':')) {
    if (!parseIpv6Into(address, b, 0)) return 'invalid';
    if (b.every((x) => x === 0)) return 'unspecified';
    if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
    if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return addressScope(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`);
    if (b[0] === 0xff) return 'multicast';
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
    if ((b[0]! & 0xfe) === 0xfc) return 'private';
    return 'public';
  }
  if (!parseIpv4Into(address, b, 0)) return 'invalid';
  const a0 = b[0]!;
  const a1 = b[1]!;
  if (a0 === 0) return 'unspecified';
  if (a0 === 127) return 'loopback';
  if (a0 >= 224 && a0 <= 239) return 'multicast';
  if (a0 === 255 && a1 === 255 && b[2] === 255 && b[3] === 255) return 'broadcast';
  if (a0 >= 240) return 'reserved';
  if (a0 === 169 && a1 === 254) return 'link-local';
  if (a0 === 10 || (a0 === 172 && a1 >= 16 && a1 <= 31) || (a0 === 192 && a1 === 168) || (a0 === 100 && a1 >= 64 && a1 <= 127)) {
    return 'private';
  }
  return 'public';
}

/** One address of one interface, the shape of `os.networkInterfaces()` entries. */
export interface InterfaceAddress {
  readonly address: string;
  /** 'IPv4' | 'IPv6' (Node ≥ 18) or 4 | 6 (Node 18.0-18.3). */
  readonly family: string | number;
  readonly internal: boolean;
  /** IPv6 scope id (interface index) for link-local addresses. */
  readonly scopeid?: number;
}

/** Options of `hostCandidates`. */
export interface HostCandidateOptions {
  /** Include 127.0.0.1/::1 (default false; useful for same-machine tests). */
  includeLoopback?: boolean;
  /**
   * Include IPv6 link-local addresses (default false). The peer cannot know our interface's zone,
   * so fe80:: candidates only work between hosts on one link whose own zone happens to match.
   */
  includeLinkLocal?: boolean;
  /** Address families the socket can use (default both). An udp4 socket gets [4]. */
  families?: ReadonlyArray<4 | 6>;
  /** When the socket is bound to one address (not 0.0.0.0/::), only that address is a host candidate. */
  bindAddress?: string;
}

/**
 * Host candidates for a socket bound to `port`, from an interface list such as
 * `os.networkInterfaces()` (RFC 8445 §5.1.1.1). IPv4 ranks before IPv6, global before link-local,
 * and earlier interfaces before later ones; duplicates are removed.
 */
export function hostCandidates(
  interfaces: Readonly<Record<string, readonly InterfaceAddress[] | undefined>>,
  port: number,
  options: HostCandidateOptions = {},
): RankedCandidate[] {
  const families = options.families ?? [4, 6];
  const bind = options.bindAddress !== undefined ? normalizeIp(options.bindAddress) : undefined;
  const bindIsAny = bind === undefined || bind === '0.0.0.0' || bind === '::';
  const out: RankedCandidate[] = [];
  const seen = new Set<string>();
  let index = 0;
  for (const name of Object.keys(interfaces)) {
    for (const entry of interfaces[name] ?? []) {
      index++;
      const fam = entry.family === 'IPv6' || entry.family === 6 ? 6 : 4;
      if (!families.includes(fam)) continue;
      const address = normalizeIp(entry.address);
      if (address === undefined || ipFamily(address) !== fam) continue;
      const scope = addressScope(address);
      if (scope === 'invalid' || scope === 'unspecified' || scope === 'multicast' || scope === 'broadcast' || scope === 'reserved') continue;
      if ((scope === 'loopback' || entry.internal) && !options.includeLoopback) continue;
      if (scope === 'link-local' && fam === 6 && !options.includeLinkLocal) continue;
      if (!bindIsAny && address !== bind) continue;
      const text = scope === 'link-local' && fam === 6 && entry.scopeid ? `${address}%${entry.scopeid}` : address;
      if (seen.has(text)) continue;
      seen.add(text);
      // Local preference (RFC 8445 §5.1.2.1): family and scope first, then interface order.
      const base = fam === 4 ? 65535 : scope === 'link-local' ? 30000 : 50000;
      out.push({ kind: 'host', family: fam, address: text, port, priority: candidatePriority('host', base - Math.min(index, 1000)) });
    }
  }
  return sortCandidates(out);
}

/** Sorts by priority (highest first) and keeps one candidate per address:port (the best). */
export function sortCandidates<C extends RankedCandidate>(list: readonly C[]): C[] {
  const best = new Map<string, C>();
  for (const c of list) {
    const k = `${c.address}|${c.port}`;
    const prev = best.get(k);
    if (!prev || c.priority > prev.priority) best.set(k, c);
  }
  return [...best.values()].sort((a, b) => b.priority - a.priority);
}

const KINDS: readonly CandidateKind[] = ['host', 'srflx', 'prflx', 'upnp', 'relay'];

/**
 * Checks a candidate received from the network (every input is hostile, docs/design.md rule 4).
 * Returns a clean copy with a normalised address (its family taken from it; a missing priority is
 * the kind's default), or a one-sentence reason it was refused.
 */
export function validateCandidate(value: unknown): { ok: true; candidate: RankedCandidate } | { ok: false; reason: string } {
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'candidate must be an object' };
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || !KINDS.includes(v.kind as CandidateKind)) {
    return { ok: false, reason: `candidate kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(v.kind)}` };
  }
  const kind = v.kind as CandidateKind;
  if (typeof v.address !== 'string' || v.address.length > 64) return { ok: false, reason: 'candidate address must be an IP literal' };
  const address = normalizeIp(v.address);
  if (address === undefined) return { ok: false, reason: `candidate address must be an IP literal, got ${JSON.stringify(v.address)}` };
  const scope = addressScope(address);
  if (scope === 'unspecified') return { ok: false, reason: `candidate address must not be unspecified, got ${address}` };
  if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) {
    return { ok: false, reason: `candidate port must be 1..65535, got ${JSON.stringify(v.port)}` };
  }
  const priority = v.priority === undefined ? candidatePriority(kind) : v.priority;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1 || priority > 0x7fffffff) {
    return { ok: false, reason: `candidate priority must be 1..2147483647, got ${JSON.stringify(v.priority)}` };
  }
  return { ok: true, candidate: { kind, family: ipFamily(address) === 6 ? 6 : 4, address, port: v.port, priority } };
}

/** How a proven path is reported (docs/design.md flow step 5); defined once in @meshpunch/base. */
import type { PathKind } from '@meshpunch/base';
export type { PathKind };

/**
 * The path kind of reaching the peer at `candidate`: a host (or peer-reflexive) address that is
 * private, link-local or loopback is the LAN; a UPnP mapping is 'upnp'; a TURN relayed address is
 * 'relay' (relay.md §3); anything else crosses the internet ('direct').
 */
export function pathKindOf(candidate: Pick<Candidate, 'kind' | 'address'>): PathKind {
  if (candidate.kind === 'upnp') return 'upnp';
  if (candidate.kind === 'relay') return 'relay';
  if (candidate.kind === 'host' || candidate.kind === 'prflx') {
    const s = addressScope(candidate.address.split('%')[0]!);
    if (s === 'private' || s === 'link-local' || s === 'loopback') return 'lan';
  }
  return 'direct';
}
