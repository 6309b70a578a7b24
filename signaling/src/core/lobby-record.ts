// A lobby as plain data (core): what a cluster store keeps so that another node can take the
// lobby over when its home node dies or restarts (issue 14). The record holds everything a
// member needs to come back with `resume` (ids, tokens, owner, seal, password hash, key, relay
// tag, the pairs and their reports); connections, RTTs and rate-limit buckets are per node and
// start afresh. Members of a lobby taken over are away: their grace period restarts there.
import { fromBase64Url, toBase64Url } from './bytes.js';
import type { CoreContext } from './core-context.js';
import { Lobby, Pair, pairKey } from './lobby.js';
import type { PairReport } from './lobby.js';
import type { Membership } from './membership.js';

/** One member of a LobbyRecord. */
export interface MemberRecord {
  id: number;
  name?: string;
  token: string;
  ip: string;
}

/** One pair of a LobbyRecord; `a` listens. */
export interface PairRecord {
  id: number;
  a: number;
  b: number;
  /**
   * Not written any more (issue 19: a pair keeps no secret once pair.start is out); a pair not
   * yet linked when its lobby is taken over starts over under a new id and secret on resume.
   */
  secret?: string;
  ra?: PairReport;
  rb?: PairReport;
}

/** A lobby as JSON-safe data; `v` is the record's format version. */
export interface LobbyRecord {
  v: 1;
  code: string;
  mode: 'mesh' | 'server';
  maxPeers: number;
  hash?: string;
  salt?: string;
  key: string;
  /** The claim of a claimed lobby (1.3); the lobby is filed under code + claim. */
  claim?: string;
  sealed: boolean;
  owner: number;
  relayTag?: string;
  nextPairId: number;
  usedIds: number[];
  members: MemberRecord[];
  pairs: PairRecord[];
}

/** The record of `lobby`; O(members + pairs). */
export function lobbyToRecord(lobby: Lobby): LobbyRecord {
  const r: LobbyRecord = {
    v: 1, code: lobby.code, mode: lobby.mode, maxPeers: lobby.maxPeers, key: lobby.key, sealed: lobby.sealed, owner: lobby.owner,
    nextPairId: lobby.nextPairId, usedIds: [...lobby.usedIds], members: [], pairs: [],
  };
  if (lobby.passwordHash !== undefined) r.hash = toBase64Url(lobby.passwordHash);
  if (lobby.salt !== undefined) r.salt = toBase64Url(lobby.salt);
  if (lobby.relayTag !== undefined) r.relayTag = lobby.relayTag;
  if (lobby.claim !== undefined) r.claim = lobby.claim;
  for (const m of lobby.members.values()) {
    const mr: MemberRecord = { id: m.id, token: m.token, ip: m.lastIp };
    if (m.name !== undefined) mr.name = m.name;
    r.members.push(mr);
  }
  for (const p of lobby.pairs.values()) {
    const pr: PairRecord = { id: p.id, a: p.a.id, b: p.b.id };
    if (p.reportA !== undefined) pr.ra = p.reportA;
    if (p.reportB !== undefined) pr.rb = p.reportB;
    r.pairs.push(pr);
  }
  return r;
}

/**
 * Re-creates the lobby of `r` with every member away from `now` (grace period) and its tokens
 * valid. The caller made sure no lobby with that code exists here.
 */
export function lobbyFromRecord(ctx: CoreContext, membership: Membership, now: number, r: LobbyRecord): Lobby {
  const lobby = new Lobby(r.code, r.mode, r.maxPeers, r.hash === undefined ? undefined : fromBase64Url(r.hash), r.salt === undefined ? undefined : fromBase64Url(r.salt), r.key, r.claim);
  lobby.sealed = r.sealed;
  lobby.owner = r.owner;
  lobby.nextPairId = r.nextPairId;
  lobby.relayTag = r.relayTag;
  for (const id of r.usedIds) lobby.usedIds.add(id);
  membership.lobbies.set(lobby.registryKey, lobby);
  for (const m of r.members) membership.addAway(now, lobby, m.id, m.name, m.token, m.ip);
  for (const p of r.pairs) {
    const a = lobby.members.get(p.a);
    const b = lobby.members.get(p.b);
    if (a === undefined || b === undefined) continue;
    const pair = new Pair(p.id, a, b);
    pair.reportA = p.ra;
    pair.reportB = p.rb;
    lobby.pairs.set(p.id, pair);
    lobby.pairByKey.set(pairKey(a.id, b.id), pair);
  }
  ctx.relay?.adopt(lobby);
  return lobby;
}
