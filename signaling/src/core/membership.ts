// Who is in which lobby (core): lobbies by code, members and their resume tokens, the grace
// period of a member whose connection dropped, and leaving (ownership hand-over, lobby end).
//
// Member: present --connection lost--> away --resume--> present
//         away --graceMs--> removed (peer.left timeout);  present --leave/close 1000--> removed
import type { LeaveReason } from '@meshpunch/protocol';
import { toBase64Url } from './bytes.js';
import type { Connection } from './connection.js';
import { touch } from './core-context.js';
import type { CoreContext } from './core-context.js';
import { DeadlineQueue } from './deadline-queue.js';
import { Member } from './lobby.js';
import { uniqueMemberName } from './member-name.js';
import type { Lobby } from './lobby.js';
import { endPair, schedulePairs } from './pairing.js';

/** Tries at drawing a fresh random peer id (collisions are ~never). */
const MAX_DRAWS = 64;
/** Bytes in a resume token (144 bits: unguessable, and a round 24 base64url characters). */
const TOKEN_BYTES = 18;

/** Lobbies, their members and the members' tokens and grace deadlines. */
export class Membership {
  /** Lobbies by code (a lobby name is its code). */
  readonly lobbies = new Map<string, Lobby>();
  readonly #tokens = new Map<string, Member>();
  readonly #graceQ = new DeadlineQueue<Member>();
  readonly #ctx: CoreContext;
  #members = 0;
  readonly #rand4 = new Uint8Array(4);
  /**
   * When each member last went away (service ms); meaningful only while `m.conn` is null.
   * Entries go with their member (remove), so the map is bounded by the members.
   */
  readonly #awaySince = new Map<Member, number>();

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
  }

  /** Members in all lobbies, away ones included. */
  get memberCount(): number {
    return this.#members;
  }

  /** Resume tokens held (one per member). */
  get tokenCount(): number {
    return this.#tokens.size;
  }

  /** The member a resume token belongs to, or undefined. */
  byToken(token: string): Member | undefined {
    return this.#tokens.get(token);
  }

  /** Adds a member under `id` for connection `c`, with a fresh resume token. */
  add(lobby: Lobby, c: Connection, id: number): Member {
    const m = new Member(id, lobby, uniqueMemberName(lobby, c.name), c, this.#newToken());
    lobby.members.set(id, m);
    lobby.usedIds.add(id);
    this.#tokens.set(m.token, m);
    c.member = m;
    this.#members++;
    touch(this.#ctx, lobby);
    this.#ctx.metrics.membersAdmitted++;
    return m;
  }

  /**
   * Adds a member with no connection, in its grace period from `now` (a lobby taken over from
   * the store: lobby-record.ts); it comes back with `resume` and its token.
   */
  addAway(now: number, lobby: Lobby, id: number, name: string | undefined, token: string, lastIp: string): Member {
    const m = new Member(id, lobby, name, null, token, lastIp);
    lobby.members.set(id, m);
    lobby.usedIds.add(id);
    this.#tokens.set(token, m);
    this.#members++;
    m.graceGen++;
    this.#awaySince.set(m, now);
    this.#graceQ.push(now + this.#ctx.config.graceMs, m, m.graceGen);
    return m;
  }

  /**
   * Forgets `lobby` without a message to anyone (another node took it over: its members
   * reconnect there). Connections of its members are left to the caller.
   */
  forget(lobby: Lobby): void {
    if (this.lobbies.get(lobby.registryKey) !== lobby) return;
    this.lobbies.delete(lobby.registryKey);
    for (const m of lobby.members.values()) {
      this.#tokens.delete(m.token);
      this.#awaySince.delete(m);
      m.graceGen++;
      if (m.conn !== null) m.conn.member = null;
      m.conn = null;
      this.#members--;
    }
    lobby.members.clear();
    this.#ctx.relay?.lobbyClosed(lobby);
    this.#ctx.changed?.delete(lobby);
  }

  /** Replaces `m`'s resume token (each token resumes once). */
  renewToken(m: Member): void {
    touch(this.#ctx, m.lobby);
    this.#tokens.delete(m.token);
    m.token = this.#newToken();
    this.#tokens.set(m.token, m);
  }

  /**
   * Removes `m` (no-op when it already left): its pairs end, the others get peer.left, the lowest
   * id becomes owner when the owner left, and the last member's leaving removes the lobby.
   */
  remove(now: number, m: Member, reason: LeaveReason): void {
    const { metrics, outbox } = this.#ctx;
    const lobby = m.lobby;
    if (lobby.members.get(m.id) !== m) return;
    touch(this.#ctx, lobby);
    lobby.members.delete(m.id);
    this.#awaySince.delete(m);
    this.#members--;
    this.#tokens.delete(m.token);
    m.graceGen++;
    if (m.conn !== null) {
      m.conn.member = null;
      m.conn = null;
    }
    for (const pair of [...lobby.pairs.values()]) if (pair.other(m) !== undefined) endPair(lobby, pair);
    // Its relay allocations end now, not when their lifetime runs out (relay.md §2(b) rule 2).
    if (this.#ctx.relay !== undefined && lobby.relayTag !== undefined) outbox.relayRevoke(`${lobby.relayTag}.${m.id}`);
    metrics.membersLeft[reason]++;
    outbox.log('info', 'lobby.left', { lobby: lobby.code, peer: m.id, reason, members: lobby.members.size });
    if (lobby.members.size === 0) {
      this.lobbies.delete(lobby.registryKey);
      this.#ctx.relay?.lobbyClosed(lobby);
      metrics.lobbiesRemoved++;
      outbox.log('info', 'lobby.closed', { lobby: lobby.code });
      return;
    }
    outbox.broadcast(lobby, { type: 'peer.left', id: m.id, reason }, undefined);
    if (lobby.owner === m.id) {
      let next = Number.POSITIVE_INFINITY;
      for (const id of lobby.members.keys()) if (id < next) next = id;
      lobby.owner = next;
      outbox.broadcast(lobby, { type: 'lobby.owner', owner: next }, undefined);
      if (lobby.mode === 'server') schedulePairs(this.#ctx, now, lobby.members.get(next)!);
    }
  }

  /** `m` lost its connection: it stays for graceMs (resume), or leaves at once when graceMs is 0. */
  goAway(now: number, m: Member): void {
    const { config, outbox } = this.#ctx;
    touch(this.#ctx, m.lobby);
    m.conn = null;
    if (config.graceMs === 0) {
      this.remove(now, m, 'closed');
      return;
    }
    m.graceGen++;
    this.#awaySince.set(m, now);
    this.#graceQ.push(now + config.graceMs, m, m.graceGen);
    outbox.log('info', 'peer.away', { lobby: m.lobby.code, peer: m.id, graceMs: config.graceMs });
    outbox.broadcast(m.lobby, { type: 'peer.away', id: m.id, graceMs: config.graceMs }, m);
  }

  /**
   * True when `lobby` can take one more member: below maxPeers, or holding a member in its
   * grace period whose place a newcomer may take (see makeRoom).
   */
  hasRoom(lobby: Lobby): boolean {
    if (lobby.members.size < lobby.maxPeers) return true;
    for (const m of lobby.members.values()) if (m.conn === null) return true;
    return false;
  }

  /**
   * Makes room for one newcomer in a full `lobby` by removing the member that has been away
   * longest (peer.left, reason `timeout`: its grace period is cut short). Members in their
   * grace period hold their place only while the lobby has room, so dropped connections cannot
   * fill a lobby (issue #13 item 8: 61 dropped connections held a 64-member lobby for graceMs).
   * @returns false when the lobby is full of present members
   */
  makeRoom(now: number, lobby: Lobby): boolean {
    if (lobby.members.size < lobby.maxPeers) return true;
    let oldest: Member | undefined;
    let oldestAt = Number.POSITIVE_INFINITY;
    for (const m of lobby.members.values()) {
      if (m.conn !== null) continue;
      const at = this.#awaySince.get(m) ?? Number.NEGATIVE_INFINITY;
      if (at < oldestAt || oldest === undefined) {
        oldest = m;
        oldestAt = at;
      }
    }
    if (oldest === undefined) return false;
    this.#ctx.metrics.graceEvictions++;
    this.remove(now, oldest, 'timeout');
    return true;
  }

  /** Removes every member whose grace period is over at `now`. */
  handleTimeout(now: number): void {
    while (this.#graceQ.popDue(now, (m, gen) => {
      if (gen === m.graceGen && m.conn === null && m.lobby.members.get(m.id) === m) this.remove(now, m, 'timeout');
    }));
  }

  /** The earliest grace deadline, or undefined. */
  nextDeadline(): number | undefined {
    return this.#graceQ.peekAt();
  }

  /** A fresh random id for `lobby` in 2..2³¹−1, never one it handed out before; undefined when exhausted. */
  drawPeerId(lobby: Lobby): number | undefined {
    const { config } = this.#ctx;
    if (lobby.usedIds.size >= config.maxIdsPerLobby) return undefined;
    const b = this.#rand4;
    for (let i = 0; i < MAX_DRAWS; i++) {
      config.random(b);
      // 31 uniform bits; 0 and 1 are rejected, so the result is uniform over 2..2³¹−1.
      const id = (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 1);
      if (id >= 2 && !lobby.usedIds.has(id)) return id;
    }
    return undefined;
  }

  /** Forgets every lobby, member, token and deadline (shutdown). */
  clear(): void {
    this.lobbies.clear();
    this.#ctx.relay?.clear();
    this.#tokens.clear();
    this.#graceQ.clear();
    this.#awaySince.clear();
    this.#members = 0;
  }

  #newToken(): string {
    const b = new Uint8Array(TOKEN_BYTES);
    this.#ctx.config.random(b);
    return toBase64Url(b);
  }
}
