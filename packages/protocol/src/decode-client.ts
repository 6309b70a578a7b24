// Runtime validation of client → service messages (core). Never throws on wire input.
import { checkCandidate, MAX_CANDIDATES_PER_PAIR } from './candidate.js';
import type { Candidate } from './candidate.js';
import { FieldReader, setIfDefined } from './field-reader.js';
import { readNatHint } from './relay-fields.js';
import { readFingerprint } from './link-fields.js';
import { readProbeReport } from './probe-fields.js';
import {
  CLIENT_MESSAGE_TYPES, FAILURE_REASONS, LOBBY_MODES, MAX_LOBBY_CLAIM_LENGTH, MAX_LOBBY_KEY_LENGTH, MAX_PASSWORD_LENGTH, MAX_PEER_ID, MAX_PEER_NAME_LENGTH,
  MAX_RESTORE_IDS, MAX_RID, MAX_TOKEN_LENGTH, MIN_LOBBY_CLAIM_LENGTH,
  PAIR_OUTCOMES, PATH_KINDS,
} from './messages.js';
import type {
  ClientMessage, ClientMessageType, HelloMessage, LobbyCreateMessage, LobbyJoinMessage, LobbyRestoreMessage, NatHint, PairCandidatesMessage,
  PairResultMessage,
} from './messages.js';

/** Outcome of decoding one message: the clean message, or the error to answer with. */
export type DecodeResult<M> =
  | { ok: true; message: M }
  | {
    ok: false; code: 'SIG_BAD_MESSAGE' | 'SIG_UNKNOWN_TYPE'; message: string; rid: number | null; type: string | null;
    /** Set when the problem is in a field the service counts on its own (`probes`: a bad probe record). */
    field?: 'probes';
  };

/** Most versions / capabilities a hello may list (bounds the work per hello). */
const MAX_LIST = 16;
/** Longest lobby code or name a join may carry. */
const MAX_LOBBY_REF_LENGTH = 64;
/** Largest integer a 32-bit field carries (pair ids, heartbeat numbers). */
const U32 = 0xffffffff;

const reader = new FieldReader();

function bad<M>(message: string, rid: number | null, type: string | null): DecodeResult<M> {
  return { ok: false, code: 'SIG_BAD_MESSAGE', message, rid, type };
}

/**
 * Parses and validates one text frame from a client. Unknown fields are ignored; the result is
 * a fresh object holding only the documented fields.
 * @param text the frame as received (the caller enforces the byte limit first)
 */
export function decodeClientMessage(text: string): DecodeResult<ClientMessage> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad('message is not valid JSON', null, null);
  }
  return decodeClientValue(raw);
}

/** Validates an already-parsed value as a client message (see decodeClientMessage). */
export function decodeClientValue(raw: unknown): DecodeResult<ClientMessage> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('message must be a JSON object', null, null);
  const r = reader.reset(raw as Record<string, unknown>);
  const type = r.obj.type;
  if (typeof type !== 'string') return bad('type must be a string', readRid(r.obj), null);
  const knownType = (CLIENT_MESSAGE_TYPES as readonly string[]).includes(type) ? type : null;
  if (type === 'heartbeat.ack') {
    const n = r.int('n', 0, U32);
    const local = r.num('local', -1e15, 1e15);
    if (r.error !== undefined) return bad(r.error, null, type);
    return { ok: true, message: { type: 'heartbeat.ack', n: n!, local: local! } };
  }
  const rid = r.int('rid', 0, MAX_RID);
  if (rid === undefined) return bad(r.error!, null, knownType);
  let msg: ClientMessage | undefined;
  const t = type as ClientMessageType;
  switch (t) {
    case 'hello': {
      const versions = r.array('versions', MAX_LIST);
      const caps = r.array('caps', MAX_LIST, true);
      const name = r.str('name', 1, MAX_PEER_NAME_LENGTH, true);
      if (versions !== undefined && (versions.length === 0 || !versions.every((v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 0xffff))) {
        r.fail('versions must list 1..16 integers 1..65535');
      }
      if (caps !== undefined && !caps.every((c) => typeof c === 'string' && c.length <= 32)) r.fail('caps must list strings of at most 32 characters');
      if (r.error !== undefined) break;
      const m: HelloMessage = { type: 'hello', rid, versions: versions as number[] };
      setIfDefined(m, 'caps', caps as string[] | undefined);
      setIfDefined(m, 'name', name);
      msg = m;
      break;
    }
    case 'resume': {
      const token = r.str('token', 1, MAX_TOKEN_LENGTH);
      const linked = r.array('linked', MAX_RESTORE_IDS, true);
      if (linked !== undefined && !linked.every((v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_PEER_ID)) r.fail(`linked must list peer ids 1..${MAX_PEER_ID}`);
      if (r.error !== undefined) break;
      msg = linked === undefined ? { type: 'resume', rid, token: token! } : { type: 'resume', rid, token: token!, linked: linked as number[] };
      break;
    }
    case 'lobby.create': {
      const name = r.str('name', 1, MAX_LOBBY_REF_LENGTH, true);
      const password = r.str('password', 1, MAX_PASSWORD_LENGTH, true);
      const maxPeers = r.int('maxPeers', 2, 4096, true);
      const mode = r.oneOf('mode', LOBBY_MODES, true);
      const claim = r.str('claim', MIN_LOBBY_CLAIM_LENGTH, MAX_LOBBY_CLAIM_LENGTH, true);
      // A claim scopes a name; a drawn code is unguessable already.
      if (claim !== undefined && name === undefined) r.fail('claim needs name');
      if (r.error !== undefined) break;
      const m: LobbyCreateMessage = { type: 'lobby.create', rid };
      setIfDefined(m, 'name', name);
      setIfDefined(m, 'password', password);
      setIfDefined(m, 'maxPeers', maxPeers);
      setIfDefined(m, 'mode', mode);
      setIfDefined(m, 'claim', claim);
      msg = m;
      break;
    }
    case 'lobby.join': {
      const lobby = r.str('lobby', 1, MAX_LOBBY_REF_LENGTH);
      const password = r.str('password', 1, MAX_PASSWORD_LENGTH, true);
      const createIfMissing = r.bool('createIfMissing', true);
      const maxPeers = r.int('maxPeers', 2, 4096, true);
      const claim = r.str('claim', MIN_LOBBY_CLAIM_LENGTH, MAX_LOBBY_CLAIM_LENGTH, true);
      // maxPeers only shapes a lobby this message may create.
      if (maxPeers !== undefined && createIfMissing !== true) r.fail('maxPeers needs createIfMissing: true');
      if (r.error !== undefined) break;
      const m: LobbyJoinMessage = { type: 'lobby.join', rid, lobby: lobby! };
      setIfDefined(m, 'password', password);
      setIfDefined(m, 'createIfMissing', createIfMissing);
      setIfDefined(m, 'maxPeers', maxPeers);
      setIfDefined(m, 'claim', claim);
      msg = m;
      break;
    }
    case 'lobby.restore': {
      const lobby = r.str('lobby', 1, MAX_LOBBY_REF_LENGTH);
      const key = r.str('key', 1, MAX_LOBBY_KEY_LENGTH);
      const you = r.int('you', 1, MAX_PEER_ID);
      const members = r.array('members', MAX_RESTORE_IDS);
      const linked = r.array('linked', MAX_RESTORE_IDS);
      const mode = r.oneOf('mode', LOBBY_MODES, true);
      const maxPeers = r.int('maxPeers', 2, 4096, true);
      const password = r.str('password', 1, MAX_PASSWORD_LENGTH, true);
      const sealed = r.bool('sealed', true);
      const claim = r.str('claim', MIN_LOBBY_CLAIM_LENGTH, MAX_LOBBY_CLAIM_LENGTH, true);
      const isId = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_PEER_ID;
      if (members !== undefined && !members.every(isId)) r.fail(`members must list peer ids 1..${MAX_PEER_ID}`);
      if (linked !== undefined && !linked.every(isId)) r.fail(`linked must list peer ids 1..${MAX_PEER_ID}`);
      if (r.error !== undefined) break;
      const m: LobbyRestoreMessage = { type: t, rid, lobby: lobby!, key: key!, you: you!, members: members as number[], linked: linked as number[] };
      setIfDefined(m, 'mode', mode);
      setIfDefined(m, 'maxPeers', maxPeers);
      setIfDefined(m, 'password', password);
      setIfDefined(m, 'sealed', sealed);
      setIfDefined(m, 'claim', claim);
      msg = m;
      break;
    }
    case 'lobby.leave':
    case 'lobby.seal':
    case 'lobby.get':
    case 'relay.credentials':
      msg = { type: t, rid } as ClientMessage;
      break;
    case 'pair.candidates': {
      const pair = r.int('pair', 1, U32);
      const list = r.array('candidates', MAX_CANDIDATES_PER_PAIR);
      const done = r.bool('done', true);
      if (r.error !== undefined) break;
      const candidates: Candidate[] = [];
      for (let i = 0; i < list!.length; i++) {
        const problem = checkCandidate(list![i], candidates);
        if (problem !== undefined) {
          r.fail(`candidates[${i}]: ${problem}`);
          break;
        }
      }
      let nat: NatHint | undefined;
      if (r.error === undefined && r.obj.nat !== undefined) {
        const hint = readNatHint(r.obj.nat);
        if (typeof hint === 'string') r.fail(hint);
        else nat = hint;
      }
      let fingerprint: string | undefined;
      if (r.error === undefined && r.obj.fingerprint !== undefined) {
        const f = readFingerprint(r.obj.fingerprint);
        if (typeof f === 'string') fingerprint = f;
        else r.fail(f.problem);
      }
      if (r.error !== undefined) break;
      const m: PairCandidatesMessage = { type: t, rid, pair: pair!, candidates };
      setIfDefined(m, 'done', done);
      setIfDefined(m, 'nat', nat);
      setIfDefined(m, 'fingerprint', fingerprint);
      msg = m;
      break;
    }
    case 'pair.result': {
      const pair = r.int('pair', 1, U32);
      const outcome = r.oneOf('outcome', PAIR_OUTCOMES);
      const path = r.oneOf('path', PATH_KINDS, true);
      const rttMs = r.num('rttMs', 0, 600_000, true);
      const reason = r.oneOf('reason', FAILURE_REASONS, true);
      if (r.error === undefined && outcome === 'connected' && path === undefined) r.fail('path is required when outcome is connected');
      if (r.error === undefined && outcome === 'failed' && reason === undefined) r.fail('reason is required when outcome is failed');
      if (r.error !== undefined) break;
      const m: PairResultMessage = { type: t, rid, pair: pair!, outcome: outcome! };
      setIfDefined(m, 'path', path);
      setIfDefined(m, 'rttMs', rttMs);
      setIfDefined(m, 'reason', reason);
      if (r.obj.probes !== undefined) {
        const probes = readProbeReport(r.obj.probes);
        if ('problem' in probes) return { ok: false, code: 'SIG_BAD_MESSAGE', message: probes.problem, rid, type: t, field: 'probes' };
        m.probes = probes;
      }
      msg = m;
      break;
    }
    default:
      return { ok: false, code: 'SIG_UNKNOWN_TYPE', message: `unknown message type ${JSON.stringify(type.slice(0, 32))}`, rid, type: null };
  }
  if (msg === undefined) return bad(r.error ?? 'message is malformed', rid, type);
  return { ok: true, message: msg };
}

/** The request id of a rejected message when it is readable, so the error can name it. */
function readRid(obj: Record<string, unknown>): number | null {
  const v = obj.rid;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_RID ? v : null;
}
