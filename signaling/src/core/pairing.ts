// Pair scheduling (core): which members of a lobby pair up, who listens, when both punch and
// the pair's secret; pair.start goes to both sides (docs/design.md "How a mesh forms", steps 2 and 4).
import type { PairStartMessage } from '@meshpunch/protocol';
import { toBase64Url } from './bytes.js';
import type { SignalingCoreConfig } from './config.js';
import { touch } from './core-context.js';
import type { CoreContext } from './core-context.js';
import { Pair, pairKey } from './lobby.js';
import type { Lobby, Member } from './lobby.js';

/** Bytes in a per-pair secret (128 bits, RFC 2104 §3 minimum key length for HMAC-SHA-256/128). */
const SECRET_BYTES = 16;

/** Starts a pair between `m` and every present member it should pair with and does not. */
export function schedulePairs(ctx: CoreContext, now: number, m: Member): void {
  if (m.conn === null) return;
  const lobby = m.lobby;
  for (const o of lobby.members.values()) {
    if (o === m || o.conn === null || !lobby.wantsPair(m.id, o.id) || lobby.pairByKey.has(pairKey(m.id, o.id))) continue;
    startPair(ctx, now, lobby, m, o, undefined);
  }
}

/**
 * Creates the pair {x, y} under a new id and sends both sides pair.start; `replaces` names the
 * pair it supersedes (after a resume).
 */
export function startPair(ctx: CoreContext, now: number, lobby: Lobby, x: Member, y: Member, replaces: number | undefined): void {
  // The listener: the owner in server mode (it is the ENet server), else the lower id
  // (docs/design.md §"How a mesh forms" step 2). Ids are random, so a member that joins after an
  // ownership change can have a lower id than the owner: the rule must name the owner.
  let a = x.id < y.id ? x : y;
  if (lobby.mode === 'server' && (x.id === lobby.owner || y.id === lobby.owner)) a = x.id === lobby.owner ? x : y;
  const b = a === x ? y : x;
  const secretBytes = new Uint8Array(SECRET_BYTES);
  ctx.config.random(secretBytes);
  const id = lobby.nextPairId;
  lobby.nextPairId = lobby.nextPairId >= 0xffffffff ? 1 : lobby.nextPairId + 1;
  const secret = toBase64Url(secretBytes);
  const pair = new Pair(id, a, b);
  lobby.pairs.set(id, pair);
  lobby.pairByKey.set(pairKey(a.id, b.id), pair);
  touch(ctx, lobby);
  pair.record({ at: now, kind: 'start' });
  ctx.metrics.pairsStarted++;
  // Issue #5: at least max(minLeadMs, 2 × the larger RTT) ahead, so both pair.start messages
  // arrive before the punch time (RakNet uses 4 × ping; nat-traversal.md §0.2).
  const rtt = Math.max(rttOf(ctx.config, a), rttOf(ctx.config, b));
  const at = now + Math.max(ctx.config.minLeadMs, 2 * rtt);
  ctx.outbox.toMemberText(a, pairStartText({ type: 'pair.start', pair: id, remote: b.id, role: 'listen', at, offsetMs: a.conn?.offsetMs ?? null, secret, replaces }));
  ctx.outbox.toMemberText(b, pairStartText({ type: 'pair.start', pair: id, remote: a.id, role: 'connect', at, offsetMs: b.conn?.offsetMs ?? null, secret, replaces }));
}

/**
 * pair.start as JSON.stringify writes it (same keys, same order, `replaces` only when set), built
 * as one template: every field is a finite number, null, a role or a base64url secret, none
 * needing escapes. Nine of them per admission into a lobby of 10; JSON.stringify of each showed
 * in the admission profile (issue 19).
 */
export function pairStartText(m: PairStartMessage): string {
  const tail = m.replaces === undefined ? '}' : `,"replaces":${m.replaces}}`;
  return `{"type":"pair.start","pair":${m.pair},"remote":${m.remote},"role":"${m.role}","at":${m.at},"offsetMs":${m.offsetMs === null ? 'null' : m.offsetMs},"secret":"${m.secret}"${tail}`;
}

/** Forgets `pair` (its id is never reused while the lobby counts up). */
export function endPair(lobby: Lobby, pair: Pair): void {
  lobby.pairs.delete(pair.id);
  if (lobby.pairByKey.get(pairKey(pair.a.id, pair.b.id)) === pair) lobby.pairByKey.delete(pairKey(pair.a.id, pair.b.id));
}

/** The member's smoothed heartbeat RTT (ms), or config.unknownRttMs before the first sample. */
function rttOf(config: SignalingCoreConfig, m: Member): number {
  const c = m.conn;
  return c === null || c.srtt < 0 ? config.unknownRttMs : c.srtt;
}
