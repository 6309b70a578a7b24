// lobby.restore (core): a mesh that outlived its service instance re-registers its lobby under
// the ids its members already hold (issue #12). The service keeps lobbies in memory only, so a
// restarted process knows nothing; the members prove membership with the lobby key the old
// instance handed them in lobby.joined. The first restorer re-creates the lobby with its key;
// every later restorer must present the same key (constant-time compare). A newcomer never holds
// the key, so it cannot take a live id: it joins and draws an id that no restorer listed.
//
// Pairs: two restored members that both list each other in `linked` keep their live link (a
// connected pair, no pair.start); any other pair of present members is scheduled as usual.
import { isValidLobbyName, normalizeLobbyCode } from '@meshpunch/protocol';
import type { LobbyRestoreMessage } from '@meshpunch/protocol';
import { constantTimeEqual } from './bytes.js';
import type { Connection } from './connection.js';
import { touch } from './core-context.js';
import type { CoreContext } from './core-context.js';
import { Lobby, Pair, pairKey, registryKey } from './lobby.js';
import type { Member } from './lobby.js';
import type { Membership } from './membership.js';
import { schedulePairs } from './pairing.js';

/** What a restore attempt ends in: the member, or the error to answer with. */
export type RestoreOutcome =
  | { ok: true; member: Member; created: boolean; resumed: boolean }
  | { ok: false; code: 'SIG_RESTORE_REJECTED' | 'SIG_LOBBY_FULL' | 'SIG_TOO_MANY_LOBBIES' | 'SIG_BAD_MESSAGE' | 'SIG_LOBBY_EXHAUSTED'; message: string }
  /** The restore re-creates a lobby with a password: hash it (off the event loop), then call again with `hashed`. */
  | { ok: false; code: 'HASH_NEEDED'; message: string };

/** A restored lobby's password, hashed (salted scrypt, as lobby.create). */
export interface HashedPassword {
  readonly hash: Uint8Array;
  readonly salt: Uint8Array;
}

/**
 * Applies one lobby.restore from connection `c` (which is in no lobby). On success the member is
 * added under `msg.you` and the others got peer.joined; the caller answers lobby.joined and then
 * calls `restorePairs`.
 */
export function restoreMember(ctx: CoreContext, membership: Membership, c: Connection, msg: LobbyRestoreMessage, hashed: HashedPassword | undefined): RestoreOutcome {
  // (The lobby and its members exist or not; nothing here depends on the time.)
  const { config } = ctx;
  const code = msg.lobby;
  // Only a code or a name the service itself could have given out.
  if (!isValidLobbyName(code) && normalizeLobbyCode(code) !== code) {
    return { ok: false, code: 'SIG_BAD_MESSAGE', message: 'lobby must be a lobby code (XXXX-XXXX) or a lobby name' };
  }
  // A claimed lobby (1.3) is restored among its claim's lobbies, as it was created.
  let lobby = membership.lobbies.get(registryKey(code, msg.claim));
  let created = false;
  if (lobby === undefined) {
    if (membership.lobbies.size >= config.maxLobbies) {
      return { ok: false, code: 'SIG_TOO_MANY_LOBBIES', message: `the service is at its limit of ${config.maxLobbies} lobbies` };
    }
    const maxPeers = msg.maxPeers ?? config.defaultMaxPeers;
    if (maxPeers > config.maxPeersCap) return { ok: false, code: 'SIG_BAD_MESSAGE', message: `maxPeers must be 2..${config.maxPeersCap}, got ${maxPeers}` };
    if (msg.members.length + 1 > config.maxIdsPerLobby) {
      return { ok: false, code: 'SIG_LOBBY_EXHAUSTED', message: `a lobby may hand out ${config.maxIdsPerLobby} peer ids; the restore lists ${msg.members.length + 1}` };
    }
    if (msg.password !== undefined && hashed === undefined) return { ok: false, code: 'HASH_NEEDED', message: 'the password needs hashing' };
    lobby = new Lobby(code, msg.mode ?? 'mesh', maxPeers, hashed?.hash, hashed?.salt, msg.key, msg.claim);
    lobby.sealed = msg.sealed === true;
    lobby.owner = msg.you;
    membership.lobbies.set(lobby.registryKey, lobby);
    ctx.metrics.lobbiesCreated++;
    ctx.metrics.lobbiesRestored++;
    created = true;
  } else {
    if (!keysEqual(lobby.key, msg.key)) return { ok: false, code: 'SIG_RESTORE_REJECTED', message: `lobby ${code} exists with another key` };
    const holder = lobby.members.get(msg.you);
    if (holder !== undefined) {
      if (holder.conn !== null) return { ok: false, code: 'SIG_RESTORE_REJECTED', message: `peer id ${msg.you} is held by a connected member of lobby ${code}` };
      // Away inside its grace period on this instance (its resume token was lost): the restorer
      // holds the key and the id, so it takes the place over as a resume would.
      holder.graceGen++;
      holder.conn = c;
      holder.lastIp = c.ip;
      c.member = holder;
      membership.renewToken(holder);
      holder.claimedLinks = new Set(msg.linked);
      ctx.metrics.restores++;
      ctx.outbox.broadcast(lobby, { type: 'peer.back', id: holder.id }, holder);
      return { ok: true, member: holder, created: false, resumed: true };
    }
    if (lobby.members.size >= lobby.maxPeers) return { ok: false, code: 'SIG_LOBBY_FULL', message: `lobby ${code} is full (${lobby.maxPeers} peers)` };
    // Ids the lobby never saw count against its id budget like drawn ones.
    let fresh = lobby.usedIds.has(msg.you) ? 0 : 1;
    for (const id of msg.members) if (!lobby.usedIds.has(id)) fresh++;
    if (lobby.usedIds.size + fresh > config.maxIdsPerLobby) {
      return { ok: false, code: 'SIG_LOBBY_EXHAUSTED', message: `lobby ${code} has handed out its ${config.maxIdsPerLobby} peer ids` };
    }
  }
  // Every id a member knows is reserved, so a newcomer never draws the id of a member that has
  // not restored yet.
  for (const id of msg.members) lobby.usedIds.add(id);
  const m = membership.add(lobby, c, msg.you);
  touch(ctx, lobby);
  m.claimedLinks = new Set(msg.linked);
  ctx.metrics.restores++;
  // Ownership: the lowest id present (as when an owner leaves).
  if (msg.you < lobby.owner || !lobby.members.has(lobby.owner)) {
    lobby.owner = msg.you;
    if (!created) ctx.outbox.broadcast(lobby, { type: 'lobby.owner', owner: msg.you }, m);
  }
  if (!created) ctx.outbox.broadcast(lobby, { type: 'peer.joined', peer: m.view() }, m);
  ctx.outbox.log('info', 'lobby.restored', { lobby: code, peer: msg.you, created, members: lobby.members.size, conn: c.id });
  return { ok: true, member: m, created, resumed: false };
}

/**
 * After the answer went out: pairs both sides list as linked become connected pairs (no message),
 * then every other wanted pair of `m` starts as usual.
 */
export function restorePairs(ctx: CoreContext, now: number, m: Member): void {
  const lobby = m.lobby;
  const mine = m.claimedLinks;
  if (mine !== undefined) {
    for (const o of lobby.members.values()) {
      if (o === m || !mine.has(o.id) || o.claimedLinks?.has(m.id) !== true || lobby.pairByKey.has(pairKey(m.id, o.id))) continue;
      const a = m.id < o.id ? m : o;
      const b = a === m ? o : m;
      const id = lobby.nextPairId;
      lobby.nextPairId = lobby.nextPairId >= 0xffffffff ? 1 : lobby.nextPairId + 1;
      // No secret is needed: nobody punches this pair; the link already exists.
      const pair = new Pair(id, a, b);
      const kept = { outcome: 'connected' as const, path: undefined, rttMs: undefined, reason: undefined };
      pair.reportA = kept;
      pair.reportB = kept;
      lobby.pairs.set(id, pair);
      lobby.pairByKey.set(pairKey(a.id, b.id), pair);
      touch(ctx, lobby);
      ctx.outbox.broadcast(lobby, { type: 'link.updated', link: pair.view() }, undefined);
    }
  }
  schedulePairs(ctx, now, m);
}

function keysEqual(a: string, b: string): boolean {
  if (a.length === 0 || a.length !== b.length) return false;
  const enc = new TextEncoder();
  return constantTimeEqual(enc.encode(a), enc.encode(b));
}
