// What a lobby member asks of the service once it is in (core): sealing the lobby, relaying
// its candidates to a pair's other side, reporting a pair's outcome, relay credentials; and what a
// resume does to its pairs. SignalingCore routes the requests here; each answers on ctx.outbox.
import { MAX_CANDIDATES_PER_PAIR } from '@meshpunch/protocol';
import type { Candidate, PairCandidatesMessage, PairResultMessage } from '@meshpunch/protocol';
import { sourceRejection } from '@meshpunch/nat/punch';
import type { Connection } from './connection.js';
import { touch } from './core-context.js';
import type { CoreContext } from './core-context.js';
import { MAX_PAIR_EVENTS, pairKey } from './lobby.js';
import type { Member, PairReport } from './lobby.js';
import { endPair, startPair } from './pairing.js';

/** lobby.seal: the owner closes the lobby to newcomers (lobby.sealed to the others). */
export function sealLobby(ctx: CoreContext, c: Connection, rid: number): void {
  const m = c.member;
  if (m === null) return notInLobby(ctx, c, rid);
  if (m.lobby.owner !== m.id) return ctx.outbox.error(c, rid, 'SIG_NOT_OWNER', `only the owner (peer ${m.lobby.owner}) may seal the lobby`);
  if (!m.lobby.sealed) {
    m.lobby.sealed = true;
    touch(ctx, m.lobby);
    ctx.outbox.broadcast(m.lobby, { type: 'lobby.sealed' }, m);
    ctx.outbox.log('info', 'lobby.sealed', { lobby: m.lobby.code, peer: m.id, members: m.lobby.members.size });
  }
  ctx.outbox.ok(c, rid);
}

/**
 * The last candidate list every address of which passed sourceRejection (a pure function of
 * the address). Lists are never modified and the fast decoder gives a member's equal lists as
 * one object (decode-pair-candidates.ts), so the nine messages a member sends on its pairs are
 * checked once: the check was ~5 % of the service's busy time in the kit's relay burst (issue 19).
 */
let lastAccepted: readonly Candidate[] | undefined;

/** pair.candidates: checked (never-a-peer addresses, the per-side cap), then passed to the pair's other side. */
export function relayCandidates(ctx: CoreContext, now: number, c: Connection, msg: PairCandidatesMessage): void {
  const m = c.member;
  if (m === null) return notInLobby(ctx, c, msg.rid);
  const pair = m.lobby.pairs.get(msg.pair);
  const other = pair?.other(m);
  if (pair === undefined || other === undefined) return unknownPair(ctx, c, msg.rid, msg.pair);
  const fromA = pair.a === m;
  const sent = fromA ? pair.candidatesFromA : pair.candidatesFromB;
  // Addresses that are never a peer's (multicast, broadcast, reserved, unspecified: nat
  // candidate-policy.ts, the one definition) are refused here too, so a member cannot even
  // hand them to the other side (issue 13 item 7); the receiving agent refuses them anyway.
  const cands = msg.candidates;
  if (cands !== lastAccepted) {
    for (let i = 0; i < cands.length; i++) {
      const cand = cands[i]!;
      const never = sourceRejection(cand.address);
      if (never !== undefined) {
        return ctx.outbox.error(c, msg.rid, 'SIG_BAD_CANDIDATE', `candidate ${cand.address} port ${cand.port} is a ${never} address, never a peer's`, { field: 'candidates' });
      }
    }
    lastAccepted = cands;
  }
  if (sent + msg.candidates.length > MAX_CANDIDATES_PER_PAIR) {
    return ctx.outbox.error(c, msg.rid, 'SIG_BAD_CANDIDATE', `pair ${pair.id} would get ${sent + msg.candidates.length} candidates from this side; the limit is ${MAX_CANDIDATES_PER_PAIR}`, { field: 'candidates' });
  }
  // Counted against the cap, and where this member may be reached: the other side's relay
  // allocation may permit these IPs (relay.md §2(b) rule 3(c)); bounded by the cap above.
  pair.noteCandidates(fromA, cands);
  ctx.metrics.candidatesRelayed += msg.candidates.length;
  pair.recordCandidates(now, fromA, cands, msg.done === true);
  m.lobby.revision++;
  ctx.outbox.ok(c, msg.rid);
  // The sender's canonical candidates array, when there is one, goes on as its bytes.
  const frame = ctx.candidatesFrame;
  if (frame !== null) ctx.outbox.forwardCandidates(other, pair.id, m.id, frame, ctx.candidatesSpan.start, ctx.candidatesSpan.end, msg.done === true);
  else ctx.outbox.toMemberText(other, pairCandidatesText(pair.id, m.id, msg));
}

/**
 * The pair.candidates a pair's other side gets, as JSON.stringify writes the event
 * `{type, pair, from, candidates, done, nat?, fingerprint?}` (same keys, same order), built as a
 * template: one per relayed message, and JSON.stringify of a fresh event object was the relay
 * path's largest encoding cost (issue 19). The candidates are decode-client.ts's clean copies:
 * kind from a fixed list, family 4 or 6, an IP literal (hex digits, '.', ':'; never a zone id),
 * integers; none needs escaping. `nat` and `fingerprint` (rare) go through JSON.stringify.
 */
export function pairCandidatesText(pair: number, from: number, msg: PairCandidatesMessage): string {
  let list = '';
  const cands = msg.candidates;
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i]!;
    const priority = c.priority === undefined ? '' : `,"priority":${c.priority}`;
    list += `${i === 0 ? '' : ','}{"kind":"${c.kind}","family":${c.family},"address":"${c.address}","port":${c.port}${priority}}`;
  }
  let tail = '';
  if (msg.nat !== undefined) tail += `,"nat":${JSON.stringify(msg.nat)}`;
  if (msg.fingerprint !== undefined) tail += `,"fingerprint":${JSON.stringify(msg.fingerprint)}`;
  return `{"type":"pair.candidates","pair":${pair},"from":${from},"candidates":[${list}],"done":${msg.done === true}${tail}}`;
}

/** relay.credentials (1.2): TURN REST credentials for this member (relay-access.ts). */
export function mintRelayCredentials(ctx: CoreContext, now: number, c: Connection, rid: number): void {
  const m = c.member;
  if (m === null) return notInLobby(ctx, c, rid);
  if (ctx.relay === undefined) {
    ctx.metrics.relayCredentials.refused++;
    return ctx.outbox.error(c, rid, 'SIG_RELAY_UNAVAILABLE', 'this service offers no relay');
  }
  const r = ctx.relay.mint(now, m, rid);
  if (!('type' in r)) {
    ctx.metrics.relayCredentials.refused++;
    return ctx.outbox.error(c, rid, r.code, r.message);
  }
  ctx.metrics.relayCredentials.minted++;
  touch(ctx, m.lobby);
  ctx.outbox.send(c, r);
  ctx.outbox.log('debug', 'relay.credentials', { lobby: m.lobby.code, peer: m.id });
}

/** pair.result: one side's outcome of a pair, kept on the pair and broadcast as link.updated. */
export function recordResult(ctx: CoreContext, now: number, c: Connection, msg: PairResultMessage): void {
  const m = c.member;
  if (m === null) return notInLobby(ctx, c, msg.rid);
  const pair = m.lobby.pairs.get(msg.pair);
  if (pair === undefined || pair.other(m) === undefined) return unknownPair(ctx, c, msg.rid, msg.pair);
  const report: PairReport = { outcome: msg.outcome, path: msg.path, rttMs: msg.rttMs, reason: msg.reason };
  const before = pair.a === m ? pair.reportA : pair.reportB;
  // Kept only when the report is recorded on the pair's timeline (it holds ≤ MAX_PAIR_EVENTS).
  if (msg.probes !== undefined && pair.eventCount < MAX_PAIR_EVENTS) {
    report.probes = msg.probes;
    ctx.metrics.probeReportsKept++;
    // Only a side's newest report keeps its probe record (bounded memory per pair).
    for (const e of pair.events) if (e.kind === 'result' && e.from === m.id) e.report.probes = undefined;
  }
  // A link moving between relay and direct is reported again with its new path (relay.md §3).
  if (before?.outcome === 'connected' && msg.outcome === 'connected' && before.path !== msg.path) {
    ctx.metrics.pathChanges[msg.path!] = (ctx.metrics.pathChanges[msg.path!] ?? 0) + 1;
  }
  if (pair.a === m) pair.reportA = report;
  else pair.reportB = report;
  touch(ctx, m.lobby);
  pair.record({ at: now, kind: 'result', from: m.id, report });
  const key = msg.outcome === 'connected' ? `connected/${msg.path!}` : `failed/${msg.reason!}`;
  ctx.metrics.pairResults[key] = (ctx.metrics.pairResults[key] ?? 0) + 1;
  ctx.outbox.ok(c, msg.rid);
  ctx.outbox.broadcast(m.lobby, { type: 'link.updated', link: pair.view() }, undefined);
  const result: Record<string, string | number> = { lobby: m.lobby.code, pair: pair.id, peer: m.id, remote: pair.other(m)!.id, outcome: msg.outcome };
  if (msg.path !== undefined) result.path = msg.path;
  if (msg.rttMs !== undefined) result.rttMs = msg.rttMs;
  if (msg.reason !== undefined) result.reason = msg.reason;
  ctx.outbox.log('info', 'pair.result', result);
}

/**
 * Messages for a member were dropped while it was away, so every pair of it that is not linked
 * yet starts over under a new id; the other side learns which pair it replaces.
 */
export function restartUnfinishedPairs(ctx: CoreContext, now: number, m: Member): void {
  const lobby = m.lobby;
  for (const pair of [...lobby.pairs.values()]) {
    const other = pair.other(m);
    if (other === undefined || pair.state === 'connected') continue;
    endPair(lobby, pair);
    if (other.conn !== null) startPair(ctx, now, lobby, m, other, pair.id);
  }
}

/**
 * `resume.linked` (1.1): the member's links that are up count as reported connected (a result
 * sent while the connection was down was lost), so the resume keeps them.
 */
export function markLinked(ctx: CoreContext, m: Member, linked: readonly number[]): void {
  const lobby = m.lobby;
  for (const id of linked) {
    const other = lobby.members.get(id);
    const pair = other === undefined ? undefined : lobby.pairByKey.get(pairKey(m.id, id));
    if (pair === undefined || pair.state === 'connected') continue;
    const report: PairReport = { outcome: 'connected', path: undefined, rttMs: undefined, reason: undefined };
    if (pair.a === m) pair.reportA = report;
    else pair.reportB = report;
    touch(ctx, lobby);
    ctx.outbox.broadcast(lobby, { type: 'link.updated', link: pair.view() }, undefined);
  }
}

/** Answers a request that needs a lobby from a connection in none. */
export function notInLobby(ctx: CoreContext, c: Connection, rid: number): void {
  ctx.outbox.error(c, rid, 'SIG_NOT_IN_LOBBY', 'this connection is in no lobby');
}

/** Answers a request naming a pair that is not one of this member's. */
export function unknownPair(ctx: CoreContext, c: Connection, rid: number, pair: number): void {
  ctx.outbox.error(c, rid, 'SIG_UNKNOWN_PAIR', `pair ${pair} is not a current pair of this peer`, { pair });
}

