// Lobby, member and pair records, and the views members see (core).
import type { Candidate, FailureReason, LinkState, LinkView, LobbyMode, LobbyView, MemberView, PathKind, ProbeReport } from '@meshpunch/protocol';
import type { Connection } from './connection.js';
import type { TokenBucket } from '@meshpunch/base';

/** One side's report about a pair. */
export interface PairReport {
  outcome: 'connected' | 'failed';
  path: PathKind | undefined;
  rttMs: number | undefined;
  reason: FailureReason | undefined;
  /**
   * The side's per-candidate probe record (1.6), for the live view. Only a side's newest report
   * keeps it (an older one's is dropped when a new one comes), so a pair holds at most two.
   */
  probes?: ProbeReport | undefined;
}

/**
 * One thing the service saw happen to a pair, for the live view's per-candidate timeline
 * (ui-views.ts): the pair started, a side sent candidates (kept as received: the lobby view
 * shows only their kinds, the operator view their endpoints too), a side reported its result.
 */
export type PairEvent =
  | { readonly at: number; readonly kind: 'start' }
  | { readonly at: number; readonly kind: 'candidates'; readonly from: number; readonly candidates: readonly Candidate[]; readonly done: boolean }
  | { readonly at: number; readonly kind: 'result'; readonly from: number; readonly report: PairReport };

/**
 * Events kept per pair: a start, ≤ 16 candidates from each side in at most as many messages
 * (MAX_CANDIDATES_PER_PAIR), a result from each; later ones are dropped (bounded memory).
 */
export const MAX_PAIR_EVENTS = 40;

/** A peer inside a lobby. Outlives its connection for graceMs (resume). */
export class Member {
  readonly id: number;
  readonly lobby: Lobby;
  readonly name: string | undefined;
  conn: Connection | null;
  token: string;
  /** Bumped to cancel a pending grace deadline. */
  graceGen = 0;
  /** After a lobby.restore: the ids this member said it has a live link with (restore.ts). */
  claimedLinks: ReadonlySet<number> | undefined = undefined;
  /** relay.credentials rate limit (relay-access.ts); made on the first request. */
  relayBucket: TokenBucket | null = null;
  /**
   * Sources of this member's authenticated TURN traffic (relay.md §2(b) rule 3(c); bounded).
   * Made on the first one: most members never use the relay (an empty array each was 32 B).
   */
  relaySources: string[] | undefined = undefined;
  /** The WebSocket source IP of its latest connection (kept while it is away). */
  lastIp: string;

  /** @param lastIp the source IP of `conn`, or the last one known for a member made away (lobby-record.ts) */
  constructor(id: number, lobby: Lobby, name: string | undefined, conn: Connection | null, token: string, lastIp = conn?.ip ?? '') {
    this.id = id;
    this.lobby = lobby;
    this.name = name;
    this.conn = conn;
    this.token = token;
    this.lastIp = lastIp;
  }

  /** True while the member has no live connection (inside its grace period). */
  get isAway(): boolean {
    return this.conn === null;
  }

  view(): MemberView {
    return this.name === undefined ? { id: this.id, away: this.conn === null } : { id: this.id, name: this.name, away: this.conn === null };
  }
}

/** Shared by every pair until a side sends candidates (most pairs of a forming mesh hold none yet). */
const NO_CANDIDATES: readonly Candidate[] = Object.freeze([]);

/**
 * What a pair holds once a side has sent something (candidates, a result): kept apart from
 * Pair, made on first use, because a forming mesh holds n(n-1)/2 pairs that have nothing yet.
 */
class PairDetail {
  /**
   * The candidates side a (b) sent so far, in order (≤ MAX_CANDIDATES_PER_PAIR): the count
   * the cap is checked against and the addresses a relay may permit. A side's first message's
   * list itself (the decoder gives a member's equal lists as one, shared by its pairs), a new
   * one only when a side sends again; before, a count and an address list per side (~0.4 KiB
   * per pair in the kit's relay burst; issue 19).
   */
  sentA: readonly Candidate[] = NO_CANDIDATES;
  sentB: readonly Candidate[] = NO_CANDIDATES;
  reportA: PairReport | undefined = undefined;
  reportB: PairReport | undefined = undefined;
  /**
   * What happened after the start, oldest first, exactly as long as it is; undefined until the
   * first such event. A side's candidates are two entries: a number (at · 4 + 2 for side b + 1
   * when done) and the list; any other event is its record. Relayed messages are most of a
   * pair's events, and a record object each (~64 B, kept for the pair's life) was much of what
   * the kit's relay burst left for the scavenger to copy (issue 19).
   */
  later: LaterEntry[] | undefined = undefined;
  /** Events in `later`. */
  laterCount = 0;
}

type LaterEntry = PairEvent | number | readonly Candidate[];

/** `list` with `x` and `y` appended, as a new list of exactly that length (no spare capacity kept). */
function appended(list: readonly LaterEntry[] | undefined, x: LaterEntry, y: LaterEntry | undefined): LaterEntry[] {
  const n = list === undefined ? 0 : list.length;
  const out = new Array<LaterEntry>(y === undefined ? n + 1 : n + 2);
  for (let i = 0; i < n; i++) out[i] = list![i]!;
  out[n] = x;
  if (y !== undefined) out[n + 1] = y;
  return out;
}

/**
 * Two members told to punch to each other. `a` listens, `b` connects (see #startPair). A lobby
 * of n holds n(n-1)/2 of these, so each is kept small: the pair secret goes out in pair.start
 * and is not kept, and everything that comes after the start lives in a PairDetail made when a
 * side first sends something. Pair objects were 112 B each (11 fields), 4.5 per member of a
 * lobby of 10, in a heap snapshot of 10,000 connections; now 5 fields (issue 19).
 */
export class Pair {
  readonly id: number;
  readonly a: Member;
  readonly b: Member;
  /**
   * When the pair started (service ms), or undefined for a pair made without a start (a
   * restored link). Kept as a number, not as an event record (issue 19).
   */
  startedAt: number | undefined = undefined;
  #d: PairDetail | undefined = undefined;

  constructor(id: number, a: Member, b: Member) {
    this.id = id;
    this.a = a;
    this.b = b;
  }

  #detail(): PairDetail {
    return (this.#d ??= new PairDetail());
  }

  /** Candidates side a (b) sent so far (≤ MAX_CANDIDATES_PER_PAIR). */
  get candidatesFromA(): number {
    return this.#d?.sentA.length ?? 0;
  }
  get candidatesFromB(): number {
    return this.#d?.sentB.length ?? 0;
  }

  /** Adds `list` (relayed, so within the cap) to what side a (or b) sent. `list` is kept, not copied: it is never modified. */
  noteCandidates(fromA: boolean, list: readonly Candidate[]): void {
    if (list.length === 0) return;
    const d = this.#detail();
    if (fromA) d.sentA = d.sentA.length === 0 ? list : d.sentA.concat(list);
    else d.sentB = d.sentB.length === 0 ? list : d.sentB.concat(list);
  }

  /** Side a's (b's) newest report. */
  get reportA(): PairReport | undefined {
    return this.#d?.reportA;
  }
  set reportA(r: PairReport | undefined) {
    if (r !== undefined || this.#d !== undefined) this.#detail().reportA = r;
  }
  get reportB(): PairReport | undefined {
    return this.#d?.reportB;
  }
  set reportB(r: PairReport | undefined) {
    if (r !== undefined || this.#d !== undefined) this.#detail().reportB = r;
  }
  /** Whether side a (or b) sent `ip` as a host/srflx/upnp candidate: a relay may permit it (relay.md §2(b) rule 3(c)). */
  sentAddress(fromA: boolean, ip: string): boolean {
    const d = this.#d;
    if (d === undefined) return false;
    const sent = fromA ? d.sentA : d.sentB;
    for (let i = 0; i < sent.length; i++) if (sent[i]!.kind !== 'relay' && sent[i]!.address === ip) return true;
    return false;
  }

  /** Events recorded (the start included), ≤ MAX_PAIR_EVENTS. */
  get eventCount(): number {
    return (this.startedAt === undefined ? 0 : 1) + (this.#d?.laterCount ?? 0);
  }

  /** What happened to this pair, oldest first (≤ MAX_PAIR_EVENTS), for the live view: a fresh list. */
  get events(): PairEvent[] {
    const out: PairEvent[] = this.startedAt === undefined ? [] : [{ at: this.startedAt, kind: 'start' }];
    const later = this.#d?.later;
    if (later === undefined) return out;
    for (let i = 0; i < later.length; i++) {
      const e = later[i]!;
      if (typeof e !== 'number') {
        out.push(e as PairEvent);
        continue;
      }
      const candidates = later[++i] as readonly Candidate[];
      out.push({ at: Math.floor(e / 4), kind: 'candidates', from: Math.floor(e / 2) % 2 === 1 ? this.b.id : this.a.id, candidates, done: e % 2 === 1 });
    }
    return out;
  }

  /** Records `e` for the live view unless the pair already holds MAX_PAIR_EVENTS. */
  record(e: PairEvent): void {
    if (this.eventCount >= MAX_PAIR_EVENTS) return;
    if (e.kind === 'start' && this.startedAt === undefined && this.#d?.later === undefined) {
      this.startedAt = e.at;
      return;
    }
    const d = this.#detail();
    d.later = appended(d.later, e, undefined);
    d.laterCount++;
  }

  /**
   * record() of a side's relayed candidates without a record object: `at` (integer service ms),
   * the side, the list as relayed (kept, never modified), done.
   */
  recordCandidates(at: number, fromA: boolean, candidates: readonly Candidate[], done: boolean): void {
    if (this.eventCount >= MAX_PAIR_EVENTS) return;
    const d = this.#detail();
    d.later = appended(d.later, at * 4 + (fromA ? 0 : 2) + (done ? 1 : 0), candidates);
    d.laterCount++;
  }

  /** The other side, or undefined when `m` is not in this pair. */
  other(m: Member): Member | undefined {
    return m === this.a ? this.b : m === this.b ? this.a : undefined;
  }

  /** Connected when any side says so; failed when a side says so and none connected. */
  get state(): LinkState {
    if (this.reportA?.outcome === 'connected' || this.reportB?.outcome === 'connected') return 'connected';
    if (this.reportA !== undefined || this.reportB !== undefined) return 'failed';
    return 'pending';
  }

  view(): LinkView {
    // The view lists the ids in ascending order, whoever listens.
    const lo = Math.min(this.a.id, this.b.id);
    const hi = Math.max(this.a.id, this.b.id);
    const v: LinkView = { pair: this.id, a: lo, b: hi, state: this.state };
    const rep = this.reportA?.outcome === 'connected' ? this.reportA : this.reportB?.outcome === 'connected' ? this.reportB : (this.reportB ?? this.reportA);
    if (rep !== undefined) {
      if (rep.path !== undefined) v.path = rep.path;
      if (rep.rttMs !== undefined) v.rttMs = rep.rttMs;
      if (rep.reason !== undefined) v.reason = rep.reason;
    }
    return v;
  }
}

/** Key of the unordered pair {x, y} of peer ids (both < 2³¹, so the sum is exact). */
export function pairKey(x: number, y: number): number {
  return x < y ? x * 0x80000000 + y : y * 0x80000000 + x;
}

/**
 * Where a lobby is filed in Membership.lobbies: its code, or for a claimed lobby (1.3) its name
 * and claim, so a lobby of the same name without the group's claim is another lobby (name
 * squatting, issue #13 item 8). A newline can be in neither a name nor a claim.
 */
export function registryKey(code: string, claim: string | undefined): string {
  return claim === undefined ? code : `${code}\n${claim}`;
}

/** A lobby: members by id, the pairs between them, ownership and admission rules. */
export class Lobby {
  readonly code: string;
  readonly mode: LobbyMode;
  readonly maxPeers: number;
  readonly passwordHash: Uint8Array | undefined;
  readonly salt: Uint8Array | undefined;
  /**
   * The lobby key (base64url), handed to members with the `restore` capability: proof of
   * membership when they restore the lobby on a service that lost it (restore.ts, issue #12).
   */
  readonly key: string;
  /**
   * The claim it was created with (1.3): only requests carrying it find this lobby. Never shown
   * in a LobbyView, a log line or a metric.
   */
  readonly claim: string | undefined;
  sealed = false;
  owner = 1;
  /** Random tag in relay usernames (`<tag>.<peerId>`), never the code (relay.md §1); set on first use. */
  relayTag: string | undefined = undefined;
  readonly members = new Map<number, Member>();
  /** Every id ever handed out here: ids are never reused inside a lobby (issue #5). */
  readonly usedIds = new Set<number>();
  readonly pairs = new Map<number, Pair>();
  readonly pairByKey = new Map<number, Pair>();
  nextPairId = 1;
  /** Service ms when this service made (or restored) the lobby; set by the core. */
  createdAt: number | undefined = undefined;
  /**
   * Bumped whenever members could see the lobby change (every broadcast, candidates arriving):
   * the live view re-renders a lobby only when this moved (ui-server.ts).
   */
  revision = 0;
  /** Secret of the lobby's live view URL (ui-server.ts); drawn when the first member is told it. */
  viewToken: string | undefined = undefined;

  constructor(code: string, mode: LobbyMode, maxPeers: number, passwordHash: Uint8Array | undefined, salt: Uint8Array | undefined, key = '', claim?: string) {
    this.code = code;
    this.key = key;
    this.claim = claim;
    this.mode = mode;
    this.maxPeers = maxPeers;
    this.passwordHash = passwordHash;
    this.salt = salt;
  }

  /** Its key in Membership.lobbies. */
  get registryKey(): string {
    return registryKey(this.code, this.claim);
  }

  /** True when a and b should be paired: everyone in mesh mode, only with the owner in server mode. */
  wantsPair(x: number, y: number): boolean {
    return this.mode === 'mesh' || x === this.owner || y === this.owner;
  }

  /** @param withLinks list the pairs (a client that offered `link-view`), else `links: []` (1.8) */
  view(withLinks: boolean): LobbyView {
    const members: MemberView[] = [];
    for (const m of this.members.values()) members.push(m.view());
    members.sort((p, q) => p.id - q.id);
    const links: LinkView[] = [];
    if (withLinks) for (const p of this.pairs.values()) links.push(p.view());
    return {
      code: this.code, mode: this.mode, maxPeers: this.maxPeers, sealed: this.sealed, owner: this.owner,
      hasPassword: this.passwordHash !== undefined, members, links,
    };
  }
}
