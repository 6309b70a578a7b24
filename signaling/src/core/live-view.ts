// What the live web view shows (core): plain-data renderings of a lobby and of the service's
// health, built field by field from the core's records so no secret (resume token, pair secret,
// lobby key, password hash, relay credentials) can reach a page. The lobby view carries no IP
// address; the operator's adds endpoints. Pure functions of their arguments (docs/design.md §1).
import type { CandidateKind, FailureReason, LinkState, LobbyMode, PathKind, ProbeKind, ProbeOutcome, ProbeReport } from '@meshpunch/protocol';
import type { Lobby, Pair, PairEvent } from './lobby.js';

/** A candidate as a page sees it: its kind, and (operator view only) `address:port`. */
export interface LiveCandidate { kind: CandidateKind; endpoint?: string }

/**
 * One remote address a side probed (protocol 1.6 `probes`), placed on the pair's timeline: the
 * `…T` times are ms since the pair started. `endpoint` (operator view only) is `address:port`.
 */
export interface LiveProbe {
  kind: ProbeKind; path: PathKind; outcome: ProbeOutcome; sent: number;
  firstT?: number; heardT?: number; answerT?: number; rttMs?: number; endpoint?: string;
}

/** One entry of a link's timeline; `t` is ms since the pair started. */
export type LiveEvent =
  | { t: number; kind: 'start' }
  | { t: number; kind: 'candidates'; from: number; candidates: LiveCandidate[]; done: boolean }
  | {
    t: number; kind: 'result'; from: number; outcome: 'connected' | 'failed'; path?: PathKind; rttMs?: number; reason?: FailureReason;
    /** The side's per-candidate record: `probes` (oldest first probe first), `probesOmitted` checks it left out. */
    probes?: LiveProbe[]; probesOmitted?: number;
    /** The side reported probes but this rendering left them out (MAX_LIVE_PROBE_LINKS). */
    probesHidden?: true;
  };

/** A link between two members (`a` < `b`) with its timeline. */
export interface LiveLink {
  pair: number; a: number; b: number; state: LinkState; path?: PathKind; rttMs?: number; reason?: FailureReason;
  /** ms since the pair started. */
  ageMs: number;
  events: LiveEvent[];
}

/** A member; `endpoint` (operator view only) is the source address of its WebSocket. */
export interface LiveMember { id: number; name?: string; away: boolean; endpoint?: string }

/** The lobby view: who is in the lobby and how each pair is linked. */
export interface LiveLobby {
  code: string; mode: LobbyMode; sealed: boolean; owner: number; maxPeers: number; hasPassword: boolean;
  /** ms since this service made (or restored) the lobby. */
  ageMs: number;
  members: LiveMember[];
  links: LiveLink[];
}

/** One row of the operator's lobby list. */
export interface LiveLobbyRow {
  /** The operator view's handle of the lobby (two claimed lobbies may share a name). */
  id: number;
  /** Created with a claim (protocol 1.3); the claim itself is never shown. */
  claimed: boolean;
  code: string; mode: LobbyMode; sealed: boolean; members: number; maxPeers: number; ageMs: number;
  connected: number; failed: number; pending: number;
}

/** The service's health as the operator view shows it. */
export interface LiveHealth {
  connections: number; lobbies: number; members: number;
  /** Members admitted per second over the last sampling interval. */
  admissionsPerS: number;
  /** relay.credentials answered with credentials / refused since start; undefined: no relay offered. */
  relay: { minted: number; refused: number; allocations?: number } | undefined;
  /** pair.result reports since start (one per side of a pair): connected (any path) and failed. */
  pairsConnected: number; pairsFailed: number;
  uptimeS: number;
}

/** The operator view: health and the lobby list (at most `limit` rows, newest first). */
export interface LiveOperator {
  health: LiveHealth;
  lobbies: LiveLobbyRow[];
  /** Lobbies not listed because of the row limit. */
  omitted: number;
}

/** Messages the service sends a page over the live WebSocket (ui-server.ts). */
export type LiveServerMessage =
  | { type: 'lobby'; lobby: LiveLobby; operator: boolean }
  | { type: 'lobby.ended'; code: string }
  | { type: 'operator'; operator: LiveOperator };

/** The first message a page sends: which view, proven by which token. */
export type LiveHello =
  | { view: 'lobby'; lobby: string; token: string }
  /** `lobby`: the `id` of a row of the operator's list, to see that lobby with endpoints. */
  | { view: 'operator'; token: string; lobby?: number };

/**
 * Links whose per-candidate records one rendering carries (failed links first): a lobby of 32 has
 * 496 links, and 2 × 16 checks on each would make every push of the page a megabyte.
 */
export const MAX_LIVE_PROBE_LINKS = 64;

/** How much of a lobby a view may see. */
export interface LiveViewScope {
  /** Include endpoints (IP addresses and ports): the operator view only. */
  endpoints: boolean;
}

function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A side's probe record on the pair's clock: probing began `ageMs` before the report arrived (`at`). */
function probesView(probes: ProbeReport, at: number, startedAt: number, scope: LiveViewScope): LiveProbe[] {
  const base = at - probes.ageMs - startedAt;
  const t = (ms: number): number => Math.max(0, Math.round(base + ms));
  const out = probes.checks.map((c) => {
    const v: LiveProbe = { kind: c.kind, path: c.path, outcome: c.outcome, sent: c.sent };
    if (c.firstMs !== undefined) v.firstT = t(c.firstMs);
    if (c.heardMs !== undefined) v.heardT = t(c.heardMs);
    if (c.answerMs !== undefined) v.answerT = t(c.answerMs);
    if (c.rttMs !== undefined) v.rttMs = c.rttMs;
    if (scope.endpoints && c.address !== undefined && c.port !== undefined) v.endpoint = endpointText(c.address, c.port);
    return v;
  });
  // Probed ones in the order their first probe went out; the unprobed after them.
  return out.sort((p, q) => (p.firstT ?? Infinity) - (q.firstT ?? Infinity));
}

function eventView(e: PairEvent, scope: LiveViewScope, startedAt: number, withProbes: boolean): LiveEvent {
  const t = e.at - startedAt;
  if (e.kind === 'start') return { t, kind: 'start' };
  if (e.kind === 'candidates') {
    const candidates: LiveCandidate[] = e.candidates.map((c) => (scope.endpoints ? { kind: c.kind, endpoint: endpointText(c.address, c.port) } : { kind: c.kind }));
    return { t, kind: 'candidates', from: e.from, candidates, done: e.done };
  }
  const v: LiveEvent = { t, kind: 'result', from: e.from, outcome: e.report.outcome };
  if (e.report.path !== undefined) v.path = e.report.path;
  if (e.report.rttMs !== undefined) v.rttMs = e.report.rttMs;
  if (e.report.reason !== undefined) v.reason = e.report.reason;
  const probes = e.report.probes;
  if (probes !== undefined) {
    if (withProbes) {
      v.probes = probesView(probes, e.at, startedAt, scope);
      if (probes.omitted !== undefined) v.probesOmitted = probes.omitted;
    } else {
      v.probesHidden = true;
    }
  }
  return v;
}

/** Whether any side of `p` left a probe record on its timeline. */
function hasProbes(p: Pair): boolean {
  for (const e of p.events) if (e.kind === 'result' && e.report.probes !== undefined) return true;
  return false;
}

/** The lobby as a page shows it at service time `now`. */
export function liveLobby(lobby: Lobby, now: number, scope: LiveViewScope): LiveLobby {
  const members: LiveMember[] = [];
  for (const m of lobby.members.values()) {
    const v: LiveMember = { id: m.id, away: m.conn === null };
    if (m.name !== undefined) v.name = m.name;
    if (scope.endpoints) v.endpoint = m.lastIp;
    members.push(v);
  }
  members.sort((p, q) => p.id - q.id);
  // Which links carry their probe records: failed ones first, at most MAX_LIVE_PROBE_LINKS.
  const probed = new Set<Pair>();
  for (const failedPass of [true, false]) {
    for (const p of lobby.pairs.values()) {
      if (probed.size >= MAX_LIVE_PROBE_LINKS) break;
      if ((p.state === 'failed') === failedPass && hasProbes(p)) probed.add(p);
    }
  }
  const links: LiveLink[] = [];
  for (const p of lobby.pairs.values()) {
    const base = p.view();
    const events = p.events;
    const startedAt = events.length > 0 ? events[0]!.at : now;
    const withProbes = probed.has(p);
    const l: LiveLink = { pair: base.pair, a: base.a, b: base.b, state: base.state, ageMs: now - startedAt, events: events.map((e) => eventView(e, scope, startedAt, withProbes)) };
    if (base.path !== undefined) l.path = base.path;
    if (base.rttMs !== undefined) l.rttMs = base.rttMs;
    if (base.reason !== undefined) l.reason = base.reason;
    links.push(l);
  }
  links.sort((p, q) => p.a - q.a || p.b - q.b);
  return {
    code: lobby.code, mode: lobby.mode, sealed: lobby.sealed, owner: lobby.owner, maxPeers: lobby.maxPeers,
    hasPassword: lobby.passwordHash !== undefined, ageMs: now - (lobby.createdAt ?? now), members, links,
  };
}

/** One lobby-list row; `id` is the caller's handle of the lobby. */
export function liveLobbyRow(lobby: Lobby, now: number, id: number): LiveLobbyRow {
  let connected = 0;
  let failed = 0;
  let pending = 0;
  for (const p of lobby.pairs.values()) {
    const s = p.state;
    if (s === 'connected') connected++;
    else if (s === 'failed') failed++;
    else pending++;
  }
  return {
    id, claimed: lobby.claim !== undefined, code: lobby.code, mode: lobby.mode, sealed: lobby.sealed, members: lobby.members.size, maxPeers: lobby.maxPeers,
    ageMs: now - (lobby.createdAt ?? now), connected, failed, pending,
  };
}

/**
 * The operator's lobby list: the `limit` newest lobbies (youngest first), so a service with
 * many lobbies costs a page a bounded message.
 */
export function liveLobbyRows(lobbies: Iterable<Lobby>, count: number, now: number, limit: number, idOf: (l: Lobby) => number): { rows: LiveLobbyRow[]; omitted: number } {
  // Map order is creation order: the newest are at the end.
  const all = [...lobbies];
  const rows: LiveLobbyRow[] = [];
  for (let i = all.length - 1; i >= 0 && rows.length < limit; i--) rows.push(liveLobbyRow(all[i]!, now, idOf(all[i]!)));
  return { rows, omitted: Math.max(0, count - rows.length) };
}

/**
 * Reads a page's first message (hostile input: any JSON). Returns undefined for anything that is
 * not exactly a LiveHello with short string fields.
 */
export function parseLiveHello(text: string): LiveHello | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const short = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 256;
  if (o.view === 'lobby' && short(o.lobby) && short(o.token)) return { view: 'lobby', lobby: o.lobby, token: o.token };
  if (o.view === 'operator' && short(o.token)) {
    if (o.lobby === undefined) return { view: 'operator', token: o.token };
    if (typeof o.lobby === 'number' && Number.isSafeInteger(o.lobby) && o.lobby > 0) return { view: 'operator', token: o.token, lobby: o.lobby };
  }
  return undefined;
}
