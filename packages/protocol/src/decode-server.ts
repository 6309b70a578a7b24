// Runtime validation of service → client messages, used by SignalingClient (core).
import { checkCandidate, MAX_CANDIDATES_PER_PAIR } from './candidate.js';
import type { Candidate } from './candidate.js';
import { FieldReader, setIfDefined } from './field-reader.js';
import { readNatHint, readRelayServers } from './relay-fields.js';
import { readFingerprint } from './link-fields.js';
import type { DecodeResult } from './decode-client.js';
import {
  FAILURE_REASONS, LEAVE_REASONS, LINK_STATES, LOBBY_MODES, MAX_PEER_ID, MAX_PEER_NAME_LENGTH, MAX_RID,
  MAX_LOBBY_KEY_LENGTH, MAX_VIEW_LENGTH, MAX_RELAY_PASSWORD_LENGTH, MAX_RELAY_REALM_LENGTH, MAX_RELAY_USERNAME_LENGTH, MAX_TOKEN_LENGTH, PAIR_ROLES, PATH_KINDS,
} from './messages.js';
import type {
  ErrorMessage, HeartbeatMessage, LinkView, PairCandidatesEvent, RelayServer, LobbyJoinedMessage, LobbyView, MemberView, PairStartMessage, ServerMessage, ServerMessageType,
  ResumeOkMessage, ServiceLimits, WelcomeMessage,
} from './messages.js';
import { isWireErrorCode } from './wire-errors.js';

/** A lobby view may list at most this many members / links (bounds a client's work per message). */
const MAX_MEMBERS = 4096;
const MAX_LINKS = 65536;
const U32 = 0xffffffff;
/** Service clock values are ms since the service started; anything finite and sane is fine. */
const MAX_TIME = 1e15;

function bad(message: string, rid: number | null = null): DecodeResult<ServerMessage> {
  return { ok: false, code: 'SIG_BAD_MESSAGE', message, rid, type: null };
}

function readMember(v: unknown): MemberView | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'member must be an object';
  const r = new FieldReader().reset(v as Record<string, unknown>);
  const id = r.int('id', 1, MAX_PEER_ID);
  const name = r.str('name', 1, MAX_PEER_NAME_LENGTH, true);
  const away = r.bool('away');
  if (r.error !== undefined) return `member: ${r.error}`;
  const m: MemberView = { id: id!, away: away! };
  setIfDefined(m, 'name', name);
  return m;
}

function readLink(v: unknown): LinkView | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'link must be an object';
  const r = new FieldReader().reset(v as Record<string, unknown>);
  const pair = r.int('pair', 1, U32);
  const a = r.int('a', 1, MAX_PEER_ID);
  const b = r.int('b', 1, MAX_PEER_ID);
  const state = r.oneOf('state', LINK_STATES);
  const path = r.oneOf('path', PATH_KINDS, true);
  const rttMs = r.num('rttMs', 0, 600_000, true);
  const reason = r.oneOf('reason', FAILURE_REASONS, true);
  if (r.error !== undefined) return `link: ${r.error}`;
  const l: LinkView = { pair: pair!, a: a!, b: b!, state: state! };
  setIfDefined(l, 'path', path);
  setIfDefined(l, 'rttMs', rttMs);
  setIfDefined(l, 'reason', reason);
  return l;
}

function readLobby(v: unknown): LobbyView | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'lobby must be an object';
  const r = new FieldReader().reset(v as Record<string, unknown>);
  const code = r.str('code', 1, 64);
  const mode = r.oneOf('mode', LOBBY_MODES);
  const maxPeers = r.int('maxPeers', 2, 4096);
  const sealed = r.bool('sealed');
  const owner = r.int('owner', 1, MAX_PEER_ID);
  const hasPassword = r.bool('hasPassword');
  const members = r.array('members', MAX_MEMBERS);
  const links = r.array('links', MAX_LINKS);
  if (r.error !== undefined) return `lobby: ${r.error}`;
  const out: LobbyView = { code: code!, mode: mode!, maxPeers: maxPeers!, sealed: sealed!, owner: owner!, hasPassword: hasPassword!, members: [], links: [] };
  for (const m of members!) {
    const x = readMember(m);
    if (typeof x === 'string') return `lobby.${x}`;
    out.members.push(x);
  }
  for (const l of links!) {
    const x = readLink(l);
    if (typeof x === 'string') return `lobby.${x}`;
    out.links.push(x);
  }
  return out;
}

function readLimits(v: unknown): ServiceLimits | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'limits must be an object';
  const r = new FieldReader().reset(v as Record<string, unknown>);
  const l: ServiceLimits = {
    maxMessageBytes: r.int('maxMessageBytes', 1, U32)!,
    maxCandidatesPerPair: r.int('maxCandidatesPerPair', 1, U32)!,
    maxPeersCap: r.int('maxPeersCap', 2, 4096)!,
    messagesPerSecond: r.num('messagesPerSecond', 0, 1e9)!,
    messageBurst: r.num('messageBurst', 0, 1e9)!,
  };
  return r.error !== undefined ? `limits: ${r.error}` : l;
}

/**
 * Parses and validates one text frame from the service.
 * @param text the frame as received
 */
export function decodeServerMessage(text: string): DecodeResult<ServerMessage> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad('message is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('message must be a JSON object');
  const r = new FieldReader().reset(raw as Record<string, unknown>);
  const type = r.obj.type;
  if (typeof type !== 'string') return bad('type must be a string');
  let msg: ServerMessage | undefined;
  const t = type as ServerMessageType;
  switch (t) {
    case 'welcome': {
      const rid = r.int('rid', 0, MAX_RID);
      const version = r.int('version', 1, 0xffff);
      const caps = r.array('caps', 64);
      const now = r.num('now', 0, MAX_TIME);
      const graceMs = r.int('graceMs', 0, U32);
      const heartbeatMs = r.int('heartbeatMs', 1, U32);
      const stunPort = r.int('stunPort', 1, 65535, true);
      const n = r.int('n', 0, U32, true);
      const limits = readLimits(r.obj.limits);
      if (typeof limits === 'string') r.fail(limits);
      if (caps !== undefined && !caps.every((c) => typeof c === 'string')) r.fail('caps must list strings');
      let relayServers: RelayServer[] | undefined;
      if (r.error === undefined && r.obj.relay !== undefined) {
        const relay = r.object('relay');
        const servers = relay === undefined ? undefined : readRelayServers(relay.servers, 'relay.servers');
        if (typeof servers === 'string') r.fail(servers);
        else relayServers = servers;
      }
      if (r.error !== undefined) break;
      const w: WelcomeMessage = { type: 'welcome', rid: rid!, version: version!, caps: caps as string[], now: now!, graceMs: graceMs!, heartbeatMs: heartbeatMs!, limits: limits as ServiceLimits };
      setIfDefined(w, 'stunPort', stunPort);
      setIfDefined(w, 'n', n);
      if (relayServers !== undefined) w.relay = { servers: relayServers };
      msg = w;
      break;
    }
    case 'ok': {
      const rid = r.int('rid', 0, MAX_RID);
      if (r.error === undefined) msg = { type: 'ok', rid: rid! };
      break;
    }
    case 'error': {
      const rid = r.obj.rid === null ? null : r.int('rid', 0, MAX_RID);
      const code = r.str('code', 1, 64);
      const message = r.str('message', 0, 1024);
      const details = r.object('details', true);
      if (code !== undefined && !isWireErrorCode(code)) r.fail('code must be a documented error code');
      if (r.error !== undefined) break;
      const e: ErrorMessage = { type: 'error', rid: rid ?? null, code: code as never, message: message! };
      if (details !== undefined) e.details = details as Record<string, string | number | boolean>;
      msg = e;
      break;
    }
    case 'lobby.joined':
    case 'resume.ok': {
      const rid = r.int('rid', 0, MAX_RID);
      const you = r.int('you', 1, MAX_PEER_ID);
      const token = r.str('token', 1, MAX_TOKEN_LENGTH);
      const key = r.str('key', 1, MAX_LOBBY_KEY_LENGTH, true);
      const view = r.str('view', 1, MAX_VIEW_LENGTH, true);
      if (view !== undefined && !view.startsWith('/')) r.fail('view must be a path starting with /');
      const lobby = readLobby(r.obj.lobby);
      if (typeof lobby === 'string') r.fail(lobby);
      if (r.error === undefined) {
        const joined: LobbyJoinedMessage | ResumeOkMessage = { type: t, rid: rid!, you: you!, token: token!, lobby: lobby as LobbyView };
        if (key !== undefined) joined.key = key;
        if (view !== undefined) joined.view = view;
        msg = joined;
      }
      break;
    }
    case 'lobby.state': {
      const rid = r.int('rid', 0, MAX_RID);
      const lobby = readLobby(r.obj.lobby);
      if (typeof lobby === 'string') r.fail(lobby);
      if (r.error === undefined) msg = { type: t, rid: rid!, lobby: lobby as LobbyView };
      break;
    }
    case 'heartbeat': {
      const n = r.int('n', 0, U32);
      const now = r.num('now', 0, MAX_TIME);
      const rttMs = r.num('rttMs', 0, 600_000, true);
      const offsetMs = r.num('offsetMs', -MAX_TIME, MAX_TIME, true);
      if (r.error !== undefined) break;
      const hb: HeartbeatMessage = { type: 'heartbeat', n: n!, now: now! };
      setIfDefined(hb, 'rttMs', rttMs);
      setIfDefined(hb, 'offsetMs', offsetMs);
      msg = hb;
      break;
    }
    case 'peer.joined': {
      const peer = readMember(r.obj.peer);
      if (typeof peer === 'string') r.fail(peer);
      else msg = { type: t, peer };
      break;
    }
    case 'peer.left': {
      const id = r.int('id', 1, MAX_PEER_ID);
      const reason = r.oneOf('reason', LEAVE_REASONS);
      if (r.error === undefined) msg = { type: t, id: id!, reason: reason! };
      break;
    }
    case 'peer.away': {
      const id = r.int('id', 1, MAX_PEER_ID);
      const graceMs = r.int('graceMs', 0, U32);
      if (r.error === undefined) msg = { type: t, id: id!, graceMs: graceMs! };
      break;
    }
    case 'peer.back': {
      const id = r.int('id', 1, MAX_PEER_ID);
      if (r.error === undefined) msg = { type: t, id: id! };
      break;
    }
    case 'lobby.owner': {
      const owner = r.int('owner', 1, MAX_PEER_ID);
      if (r.error === undefined) msg = { type: t, owner: owner! };
      break;
    }
    case 'lobby.sealed':
      msg = { type: t };
      break;
    case 'pair.start': {
      const pair = r.int('pair', 1, U32);
      const remote = r.int('remote', 1, MAX_PEER_ID);
      const role = r.oneOf('role', PAIR_ROLES);
      const at = r.num('at', 0, MAX_TIME);
      const offsetMs = r.obj.offsetMs === null ? null : r.num('offsetMs', -MAX_TIME, MAX_TIME);
      const secret = r.str('secret', 16, 64);
      const replaces = r.int('replaces', 1, U32, true);
      if (r.error !== undefined) break;
      const ps: PairStartMessage = { type: 'pair.start', pair: pair!, remote: remote!, role: role!, at: at!, offsetMs: offsetMs ?? null, secret: secret! };
      setIfDefined(ps, 'replaces', replaces);
      msg = ps;
      break;
    }
    case 'pair.candidates': {
      const pair = r.int('pair', 1, U32);
      const from = r.int('from', 1, MAX_PEER_ID);
      const list = r.array('candidates', MAX_CANDIDATES_PER_PAIR);
      const done = r.bool('done');
      const candidates: Candidate[] = [];
      if (list !== undefined) {
        for (let i = 0; i < list.length && r.error === undefined; i++) {
          const problem = checkCandidate(list[i], candidates);
          if (problem !== undefined) r.fail(`candidates[${i}]: ${problem}`);
        }
      }
      let ev: PairCandidatesEvent | undefined;
      if (r.error === undefined) ev = { type: t, pair: pair!, from: from!, candidates, done: done! };
      if (ev !== undefined && r.obj.nat !== undefined) {
        const hint = readNatHint(r.obj.nat);
        if (typeof hint === 'string') r.fail(hint);
        else ev.nat = hint;
      }
      if (ev !== undefined && r.error === undefined && r.obj.fingerprint !== undefined) {
        const f = readFingerprint(r.obj.fingerprint);
        if (typeof f === 'string') ev.fingerprint = f;
        else r.fail(f.problem);
      }
      if (r.error === undefined) msg = ev;
      break;
    }
    case 'relay.credentials': {
      const rid = r.int('rid', 0, MAX_RID);
      const username = r.str('username', 1, MAX_RELAY_USERNAME_LENGTH);
      const password = r.str('password', 1, MAX_RELAY_PASSWORD_LENGTH);
      const ttlS = r.int('ttlS', 1, 86_400);
      const realm = r.str('realm', 1, MAX_RELAY_REALM_LENGTH);
      const servers = r.error === undefined ? readRelayServers(r.obj.servers, 'servers') : undefined;
      if (typeof servers === 'string') r.fail(servers);
      if (r.error === undefined) {
        msg = { type: t, rid: rid!, username: username!, password: password!, ttlS: ttlS!, realm: realm!, servers: servers as RelayServer[] };
      }
      break;
    }
    case 'link.updated': {
      const link = readLink(r.obj.link);
      if (typeof link === 'string') r.fail(link);
      else msg = { type: t, link };
      break;
    }
    case 'shutdown': {
      const reason = r.str('reason', 0, 256);
      if (r.error === undefined) msg = { type: t, reason: reason! };
      break;
    }
    default:
      return { ok: false, code: 'SIG_UNKNOWN_TYPE', message: `unknown message type ${JSON.stringify(type.slice(0, 32))}`, rid: null, type: null };
  }
  if (msg === undefined) return bad(`${type}: ${r.error ?? 'malformed'}`);
  return { ok: true, message: msg };
}
