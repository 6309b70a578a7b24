// The lobby service as a sans-IO state machine (core). Inputs: connection opened / message /
// closed / timeout, each with `now` (ms, monotonic). Outputs: texts to send, closes and log
// records (pollOutput), and the next deadline (pollTimeout). Randomness comes from config.random.
//
// Connection: new --hello--> ready --(close/idle)--> gone
// Member:     see membership.ts (present / away for graceMs / removed)
import {
  CAPABILITIES, CloseCode, decodeClientMessage, encodeLobbyCode, isValidLobbyName, LOBBY_CODE_RANDOM_BYTES, lobbyRefProblem,
  MAX_CANDIDATES_PER_PAIR, negotiateCapabilities, negotiateVersion, normalizeLobbyCode, SUPPORTED_VERSIONS,
} from '@meshpunch/protocol';
import type {
  ClientMessage, HelloMessage, LobbyCreateMessage, LobbyMode, LobbyJoinMessage, PairCandidatesMessage,
  LobbyJoinedMessage, LobbyRestoreMessage, PairResultMessage, ResumeOkMessage, ResumeMessage, ServerMessage, WelcomeMessage, WireErrorCode,
} from '@meshpunch/protocol';
import { sourceRejection } from '@meshpunch/nat/punch';
import { constantTimeEqual } from './bytes.js';
import { resolveSignalingCoreOptions } from './config.js';
import type { SignalingCoreConfig, SignalingCoreOptions } from './config.js';
import { Connection } from './connection.js';
import { touch } from './core-context.js';
import type { CoreContext } from './core-context.js';
import { DeadlineQueue } from './deadline-queue.js';
import { Lobby, MAX_PAIR_EVENTS, pairKey, registryKey } from './lobby.js';
import { lobbyFromRecord, lobbyToRecord } from './lobby-record.js';
import type { LobbyRecord } from './lobby-record.js';
import type { Member, PairReport } from './lobby.js';
import { Membership } from './membership.js';
import { SignalingMetrics } from './metrics.js';
import { Outbox } from './outbox.js';
import type { CoreOutput } from './outbox.js';
import { endPair, schedulePairs, startPair } from './pairing.js';
import { IpRateLimiter } from './ip-rate-limiter.js';
import { PasswordChecks } from './password-checks.js';
import type { CheckRefusal, CheckSteps, PasswordJob } from './password-checks.js';
import { toBase64Url } from './bytes.js';
import { restoreMember, restorePairs } from './restore.js';
import { RelayAccess } from './relay-access.js';
import type { HashedPassword } from './restore.js';

export type { CoreOutput } from './outbox.js';

/** What a new lobby is made of: from lobby.create, or from a lobby.join with createIfMissing. */
interface NewLobbySpec {
  readonly name: string | undefined;
  readonly password: string | undefined;
  readonly maxPeers: number | undefined;
  readonly mode: LobbyMode;
  /** The request field that carried the name ('name' for lobby.create, 'lobby' for lobby.join). */
  readonly nameField: 'name' | 'lobby';
  /** The createIfMissing join this lobby comes from: it joins instead when the name got taken meanwhile. */
  readonly join: LobbyJoinMessage | undefined;
  /** The request's claim (1.3): the lobby is filed under name + claim (lobby.ts registryKey). */
  readonly claim: string | undefined;
}

/** What a finished password check completes: a join of an existing lobby, or a lobby to make. */
type CheckWork =
  | { readonly kind: 'join'; readonly rid: number; readonly lobby: Lobby; readonly msg: LobbyJoinMessage; readonly tries: number }
  | { readonly kind: 'create'; readonly rid: number; readonly spec: NewLobbySpec; readonly tries: number }
  /** A lobby.restore that re-creates a lobby with a password (restore.ts). */
  | { readonly kind: 'restore'; readonly rid: number; readonly msg: LobbyRestoreMessage };

/** What `snapshot()` returns. */
export interface CoreSnapshot {
  lobbies: Array<{
    code: string; mode: 'mesh' | 'server'; owner: number; sealed: boolean; usedIds: number;
    members: Array<{ id: number; away: boolean; conn: number | null }>;
    /** `a` < `b`; `listener` is the side told to listen. */
    pairs: Array<{ pair: number; a: number; b: number; listener: number; state: 'pending' | 'connected' | 'failed' }>;
  }>;
  /** Resume tokens held (one per member). */
  tokens: number;
  /** Open connection ids. */
  connections: number[];
}

/** Tries at drawing a fresh random lobby code before giving up (collisions are ~never). */
const MAX_DRAWS = 64;
/** Bytes of salt for a lobby password hash. */
const SALT_BYTES = 16;
/**
 * Times one createIfMissing request may switch between creating and joining while its hashes
 * run (the name taken, then gone again): bounds the work of one request.
 */
const MAX_CHECK_TRIES = 2;
/** Bytes of a lobby's view token (128 bits: unguessable; the view shows no secrets, but members' names and links). */
const VIEW_TOKEN_BYTES = 16;
/** Bytes of a lobby key (128 bits: unguessable; restore.ts). */
const LOBBY_KEY_BYTES = 16;

/**
 * Heartbeat deadlines fall on multiples of heartbeatMs / HEARTBEAT_BATCHES, so the heartbeats of
 * every connection that became due within one such slot go out in one timer wake-up (and their
 * acks come back together): 10,000 idle connections cost ~16 wake-ups per heartbeatMs instead of
 * one per connection (issue 19). A heartbeat is up to heartbeatMs / 16 late.
 */
const HEARTBEAT_BATCHES = 16;

/** When the heartbeat after one sent at `now` is due: now + heartbeatMs, rounded up to its slot. */
export function heartbeatDue(now: number, heartbeatMs: number): number {
  const slot = Math.max(1, Math.floor(heartbeatMs / HEARTBEAT_BATCHES));
  return Math.ceil((now + heartbeatMs) / slot) * slot;
}

/** The signaling service's lobby logic. One instance per service process. */
export class SignalingCore {
  readonly config: SignalingCoreConfig;
  readonly metrics = new SignalingMetrics();
  readonly #conns = new Map<number, Connection>();
  /** Lobbies, members, resume tokens, grace deadlines. */
  readonly #membership: Membership;
  /** New connections per source IP (connectionsPerSecondPerIp, connectionBurstPerIp, maxTrackedIps). */
  readonly #ipLimiter: IpRateLimiter;
  readonly #outbox: Outbox;
  /** Password checks waiting for or running in the adapter's hash (password-checks.ts). */
  readonly #checks: PasswordChecks<CheckWork>;
  /** Config, metrics and outbox as pairing.ts and membership.ts take them. */
  readonly #pairing: CoreContext;
  readonly #helloQ = new DeadlineQueue<Connection>();
  readonly #heartbeatQ = new DeadlineQueue<Connection>();
  #shuttingDown = false;
  /**
   * Path of the live lobby view (ui-server.ts), e.g. `/ui/lobby`, set by the adapter when it
   * serves the UI: lobby answers then carry `view`. Undefined: no view.
   */
  viewPath: string | undefined = undefined;
  /** STUN port announced in `welcome`; starts as config.stunPort, set by the adapter once bound. */
  stunPort: number | undefined;
  /**
   * Relay credentials, lobby tags and the embedded relay's membership / permission questions
   * (relay-access.ts); undefined when the service offers no relay.
   */
  readonly relay: RelayAccess | undefined;

  /**
   * @throws SignalingError ERR_INVALID_PARAMETER for a bad option (see resolveSignalingCoreOptions)
   */
  constructor(options: SignalingCoreOptions) {
    this.config = resolveSignalingCoreOptions(options);
    this.#outbox = new Outbox(this.metrics, this.config.logLevel);
    this.relay = this.config.relay === undefined ? undefined : new RelayAccess(this.config.relay, this.config.random);
    this.#pairing = { config: this.config, metrics: this.metrics, outbox: this.#outbox, relay: this.relay, changed: undefined };
    this.#membership = new Membership(this.#pairing);
    this.#ipLimiter = new IpRateLimiter(this.config.connectionsPerSecondPerIp, this.config.connectionBurstPerIp, this.config.maxTrackedIps);
    this.#checks = new PasswordChecks(this.config);
    this.stunPort = this.config.stunPort;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#conns.size;
  }

  /** Lobbies that exist. */
  get lobbyCount(): number {
    return this.#membership.lobbies.size;
  }

  /** Members in all lobbies, away ones included. */
  get memberCount(): number {
    return this.#membership.memberCount;
  }

  /** True once shutdown() was called. */
  get isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * The lobby filed under `key` (lobby.ts registryKey: its code, or name and claim), for
   * read-only views (live-view.ts); `core.lobby(l.registryKey) === l` while `l` exists.
   */
  lobby(key: string): Lobby | undefined {
    return this.#membership.lobbies.get(key);
  }

  /** Every lobby, for read-only views (live-view.ts); do not change them. */
  lobbies(): IterableIterator<Lobby> {
    return this.#membership.lobbies.values();
  }

  /**
   * A plain-data copy of every lobby (members, owner, pairs) for diagnostics and tests.
   * O(members + pairs); not for hot paths.
   */
  snapshot(): CoreSnapshot {
    const lobbies: CoreSnapshot['lobbies'] = [];
    for (const l of this.#membership.lobbies.values()) {
      lobbies.push({
        code: l.code, mode: l.mode, owner: l.owner, sealed: l.sealed, usedIds: l.usedIds.size,
        members: [...l.members.values()].map((m) => ({ id: m.id, away: m.conn === null, conn: m.conn?.id ?? null })),
        pairs: [...l.pairs.values()].map((p) => ({ pair: p.id, a: Math.min(p.a.id, p.b.id), b: Math.max(p.a.id, p.b.id), listener: p.a.id, state: p.state })),
      });
    }
    return { lobbies, tokens: this.#membership.tokenCount, connections: [...this.#conns.keys()] };
  }

  // ------------------------------------------------------------------ lobby state in a store (cluster mode, issue 14)

  /** From now on, changed lobbies are collected for takeChanged (the adapter keeps them in a store). */
  watchChanges(): void {
    this.#pairing.changed ??= new Set();
  }

  /**
   * The lobbies changed since the last call, as records (undefined: the lobby ended), and
   * forgets them. Empty unless watchChanges() was called.
   */
  takeChanged(): Array<{ code: string; record: LobbyRecord | undefined }> {
    const set = this.#pairing.changed;
    if (set === undefined || set.size === 0) return [];
    const out: Array<{ code: string; record: LobbyRecord | undefined }> = [];
    for (const l of set) out.push({ code: l.registryKey, record: this.#membership.lobbies.get(l.registryKey) === l ? lobbyToRecord(l) : undefined });
    set.clear();
    return out;
  }

  // Lobbies are named here by their registry key (lobby.ts registryKey): the code, or for a
  // claimed lobby (1.3) name + claim.

  /** The record of the lobby filed under `code`, or undefined when this core has no such lobby. */
  lobbyRecord(code: string): LobbyRecord | undefined {
    const l = this.#membership.lobbies.get(code);
    return l === undefined ? undefined : lobbyToRecord(l);
  }

  /** True when this core holds lobby `code`. */
  hasLobby(code: string): boolean {
    return this.#membership.lobbies.has(code);
  }

  /** Registry keys of every lobby this core holds. */
  lobbyCodes(): string[] {
    return [...this.#membership.lobbies.keys()];
  }

  /** The registry key of the lobby connection `conn` is a member of, or undefined. */
  lobbyOf(conn: number): string | undefined {
    return this.#conns.get(conn)?.member?.lobby.registryKey;
  }

  /**
   * Takes lobby `r` over (its home node died or restarted): every member is away for graceMs
   * from `now` and may resume with its token. False when a lobby with that code is here already.
   */
  importLobby(now: number, r: LobbyRecord): boolean {
    if (this.#membership.lobbies.has(registryKey(r.code, r.claim))) return false;
    lobbyFromRecord(this.#pairing, this.#membership, now, r);
    return true;
  }

  /**
   * Gives lobby `code` up without a word to its members (another node holds it now): each
   * member's connection is closed with `closeCode` so its client resumes there.
   */
  evictLobby(now: number, code: string, closeCode: number, reason: string): void {
    const lobby = this.#membership.lobbies.get(code);
    if (lobby === undefined) return;
    const conns: Connection[] = [];
    for (const m of lobby.members.values()) if (m.conn !== null) conns.push(m.conn);
    this.#membership.forget(lobby);
    for (const c of conns) this.#closeConn(now, c, closeCode, reason);
  }

  // ------------------------------------------------------------------ inputs

  /**
   * A WebSocket was accepted.
   * @param conn a number the adapter never reuses while the connection is known
   * @param ip the remote address, for the per-IP connection rate limit
   */
  handleOpen(now: number, conn: number, ip: string): void {
    this.metrics.connectionsOpened++;
    const c = new Connection(conn, ip, now, this.config.messageBurst);
    this.#conns.set(conn, c);
    if (this.#shuttingDown) {
      this.#outbox.error(c, null, 'SIG_SHUTTING_DOWN', 'the service is shutting down');
      this.#closeConn(now, c, CloseCode.GoingAway, 'shutting down');
    } else if (this.#conns.size > this.config.maxConnections) {
      this.#outbox.error(c, null, 'SIG_SERVER_FULL', `the service is at its limit of ${this.config.maxConnections} connections`);
      this.#closeConn(now, c, CloseCode.ServerFull, 'server full');
    } else if (!this.#ipLimiter.allow(now, ip)) {
      this.#outbox.error(c, null, 'SIG_RATE_LIMITED', `this address opens more than ${this.config.connectionsPerSecondPerIp} connections per second`);
      this.#closeConn(now, c, CloseCode.ServerFull, 'connection rate limit');
    } else {
      this.#helloQ.push(now + this.config.helloTimeoutMs, c, 0);
    }
  }

  /**
   * One frame arrived.
   * @param text the frame as UTF-8 text, or null for a binary frame
   * @param byteLength its size in bytes
   */
  handleMessage(now: number, conn: number, text: string | null, byteLength: number): void {
    const c = this.#conns.get(conn);
    if (c === undefined) return;
    this.metrics.bytesIn += byteLength;
    c.lastSeen = now;
    if (byteLength > this.config.maxMessageBytes) {
      this.metrics.messagesIn.invalid++;
      this.#outbox.error(c, null, 'SIG_BAD_MESSAGE', `message is ${byteLength} bytes; the limit is ${this.config.maxMessageBytes}`);
      this.#closeConn(now, c, CloseCode.MessageTooBig, 'message too big');
      return;
    }
    if (text === null) {
      this.metrics.messagesIn.binary++;
      if (this.#rateLimited(now, c, null)) return;
      this.#bad(now, c, null, 'SIG_BAD_MESSAGE', 'binary frames are not accepted; send JSON text');
      return;
    }
    const res = decodeClientMessage(text);
    if (!res.ok) {
      if (res.type !== null) this.metrics.messagesIn[res.type as ClientMessage['type']]++;
      else this.metrics.messagesIn.invalid++;
      if (res.field === 'probes') this.metrics.probeReportsRejected++;
      if (this.#rateLimited(now, c, res.rid)) return;
      this.#bad(now, c, res.rid, res.code, res.message);
      return;
    }
    const msg = res.message;
    this.metrics.messagesIn[msg.type]++;
    if (this.#rateLimited(now, c, msg.type === 'heartbeat.ack' ? null : msg.rid)) return;
    c.badInRow = 0;
    if (msg.type === 'heartbeat.ack') {
      if (msg.n === c.hbN && c.hbSentAt >= 0) c.sampleRtt(now, msg.local);
      return;
    }
    if (this.#shuttingDown) {
      this.#outbox.error(c, msg.rid, 'SIG_SHUTTING_DOWN', 'the service is shutting down');
      return;
    }
    if (c.phase === 'new') {
      if (msg.type === 'hello') this.#onHello(now, c, msg);
      else this.#outbox.error(c, msg.rid, 'SIG_HELLO_REQUIRED', 'the first message must be hello');
      return;
    }
    switch (msg.type) {
      case 'hello':
        this.#outbox.error(c, msg.rid, 'SIG_ALREADY_HELLO', 'hello was already accepted on this connection');
        return;
      case 'resume':
        this.#onResume(now, c, msg);
        return;
      case 'lobby.create':
        this.#onCreate(now, c, msg);
        return;
      case 'lobby.join':
        this.#onJoin(now, c, msg, 0);
        return;
      case 'lobby.restore':
        this.#onRestore(now, c, msg, undefined);
        return;
      case 'lobby.leave':
        if (c.member !== null) this.#membership.remove(now, c.member, 'left');
        this.#outbox.ok(c, msg.rid);
        return;
      case 'lobby.seal':
        this.#onSeal(c, msg.rid);
        return;
      case 'lobby.get':
        if (c.member === null) this.#notInLobby(c, msg.rid);
        else this.#outbox.send(c, { type: 'lobby.state', rid: msg.rid, lobby: c.member.lobby.view() });
        return;
      case 'pair.candidates':
        this.#onCandidates(now, c, msg);
        return;
      case 'pair.result':
        this.#onResult(now, c, msg);
        return;
      case 'relay.credentials':
        this.#onRelayCredentials(now, c, msg.rid);
        return;
    }
  }

  /**
   * The WebSocket closed (either side). A member whose client closed with 1000 leaves at once;
   * any other code keeps its place for graceMs so it can resume.
   * @param code the close code received or sent (1006 when the TCP connection just died)
   */
  handleClose(now: number, conn: number, code: number): void {
    const c = this.#conns.get(conn);
    if (c === undefined) return;
    this.#conns.delete(conn);
    this.#checks.dropConnection(conn);
    c.timerGen++;
    const m = c.member;
    if (m === null) return;
    c.member = null;
    if (code === CloseCode.Normal) this.#membership.remove(now, m, 'left');
    else this.#membership.goAway(now, m);
  }

  /**
   * The hash asked for by the `hash` output `job` is back (undefined when hashing failed). The
   * request it belongs to is finished now: joined or SIG_BAD_PASSWORD, or the lobby made. A
   * result for a connection that closed meanwhile, or for an unknown job, only frees the slot.
   */
  handleHashed(now: number, job: number, hash: Uint8Array | undefined): void {
    const j = this.#checks.finish(job);
    if (j === undefined) return;
    this.#finishCheck(now, j, hash);
    // After the outcome is charged, so waiting checks see the budgets it left.
    this.#runChecks(this.#checks.startWaiting(now));
  }

  #finishCheck(now: number, j: PasswordJob<CheckWork>, hash: Uint8Array | undefined): void {
    const c = this.#conns.get(j.conn);
    if (c === undefined || this.#shuttingDown) return;
    const w = j.work;
    if (hash === undefined) return this.#outbox.error(c, w.rid, 'SIG_BUSY', 'the password could not be checked; retry');
    if (w.kind === 'create') return this.#makeLobby(now, c, w.rid, w.spec, hash, j.salt, w.tries);
    if (w.kind === 'restore') return this.#onRestore(now, c, w.msg, { hash, salt: j.salt });
    if (c.member !== null) return this.#outbox.error(c, w.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    const lobby = w.lobby;
    if (this.#membership.lobbies.get(lobby.registryKey) !== lobby) return this.#outbox.error(c, w.rid, 'SIG_LOBBY_NOT_FOUND', 'the lobby ended while the password was checked');
    if (!constantTimeEqual(hash, lobby.passwordHash!)) {
      this.#checks.chargeFailure(now, c.ip, lobby);
      return this.#outbox.error(c, w.rid, 'SIG_BAD_PASSWORD', 'wrong password');
    }
    if (lobby.sealed) return this.#outbox.error(c, w.rid, 'SIG_LOBBY_SEALED', `lobby ${lobby.code} is sealed`);
    this.#admit(now, c, w.rid, lobby);
  }

  /**
   * The WebSocket layer rejected a frame of `conn` and closes the connection itself with
   * `closeCode` (ws: 1002 malformed frame, 1007 invalid UTF-8, 1008 too many fragments, 1009 too
   * big). The close is counted like the core's own closes (issue #13 item 9), and the connection
   * ends as a dropped one would (a member keeps its place for graceMs). A code outside
   * CLOSE_CODES is not counted, so the label set stays fixed.
   */
  handleFrameError(now: number, conn: number, closeCode: number): void {
    if (!this.#conns.has(conn)) return;
    this.#outbox.countClose(closeCode);
    this.#outbox.log('debug', 'connection.closed', { conn, code: closeCode, reason: 'frame rejected' });
    this.handleClose(now, conn, closeCode);
  }

  /** Runs every deadline due at `now`. A spurious call does nothing. */
  handleTimeout(now: number): void {
    while (this.#helloQ.popDue(now, (c) => {
      if (this.#conns.get(c.id) === c && c.phase === 'new') {
        this.#closeConn(now, c, CloseCode.HelloTimeout, `no hello within ${this.config.helloTimeoutMs} ms`);
      }
    }));
    while (this.#heartbeatQ.popDue(now, (c, gen) => {
      if (this.#conns.get(c.id) !== c || gen !== c.timerGen) return;
      if (now - c.lastSeen >= this.config.idleTimeoutMs) {
        this.#closeConn(now, c, CloseCode.IdleTimeout, `no message for ${this.config.idleTimeoutMs} ms`);
      } else {
        this.#sendHeartbeat(now, c);
      }
    }));
    this.#membership.handleTimeout(now);
  }

  /**
   * Tells every client the service is going down, then closes each with 1001. Lobbies end
   * with the process; new connections are refused.
   */
  shutdown(now: number, reason = 'the service is shutting down'): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const text = JSON.stringify({ type: 'shutdown', reason });
    for (const c of [...this.#conns.values()]) {
      this.#outbox.sendText(c, text);
      this.#closeConn(now, c, CloseCode.GoingAway, 'shutdown');
    }
    this.#membership.clear();
    this.#ipLimiter.clear();
    this.#checks.clear();
    this.#helloQ.clear();
    this.#heartbeatQ.clear();
    this.#outbox.log('info', 'shutdown', { reason });
  }

  // ------------------------------------------------------------------ outputs

  /** The next thing to do, or undefined when there is nothing. Drain after every input. */
  pollOutput(): CoreOutput | undefined {
    return this.#outbox.poll();
  }

  /** The earliest deadline (service ms), or undefined when no timer is needed. */
  pollTimeout(): number | undefined {
    let t = this.#helloQ.peekAt();
    const h = this.#heartbeatQ.peekAt();
    if (h !== undefined && (t === undefined || h < t)) t = h;
    const g = this.#membership.nextDeadline();
    if (g !== undefined && (t === undefined || g < t)) t = g;
    return t;
  }

  // ------------------------------------------------------------------ handlers

  #onHello(now: number, c: Connection, msg: HelloMessage): void {
    const version = negotiateVersion(msg.versions);
    if (version === undefined) {
      this.#outbox.error(c, msg.rid, 'SIG_UNSUPPORTED_VERSION', `no common protocol version; the service speaks ${SUPPORTED_VERSIONS.join(', ')}`, { supported: SUPPORTED_VERSIONS.join(',') });
      this.#closeConn(now, c, CloseCode.UnsupportedVersion, 'unsupported version');
      return;
    }
    c.phase = 'ready';
    c.name = msg.name;
    c.restoreCap = msg.caps?.includes('restore') === true;
    // The first heartbeat goes out before welcome: the client acks it before it can act on
    // welcome, so the first RTT sample is in before its first lobby request.
    this.#sendHeartbeat(now, c);
    const cfg = this.config;
    const relayOffered = this.relay?.isOffered === true;
    // Without a relay the capability is not offered, so a client knows not to ask (relay.md §4).
    const caps = negotiateCapabilities(msg.caps ?? [], relayOffered ? CAPABILITIES : CAPABILITIES.filter((x) => x !== 'relay'));
    const welcome: WelcomeMessage = {
      type: 'welcome', rid: msg.rid, version, caps, now,
      graceMs: cfg.graceMs, heartbeatMs: cfg.heartbeatMs,
      limits: {
        maxMessageBytes: cfg.maxMessageBytes, maxCandidatesPerPair: MAX_CANDIDATES_PER_PAIR, maxPeersCap: cfg.maxPeersCap,
        messagesPerSecond: cfg.messagesPerSecond, messageBurst: cfg.messageBurst,
      },
    };
    if (this.stunPort !== undefined) welcome.stunPort = this.stunPort;
    if (relayOffered) welcome.relay = { servers: this.relay!.servers.map((s) => ({ ...s })) };
    this.#outbox.send(c, welcome);
  }

  #onCreate(now: number, c: Connection, msg: LobbyCreateMessage): void {
    if (c.member !== null) return this.#outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    this.#createLobby(now, c, msg.rid, { name: msg.name, password: msg.password, maxPeers: msg.maxPeers, mode: msg.mode ?? 'mesh', nameField: 'name', join: undefined, claim: msg.claim }, 0);
  }

  /**
   * Creates a lobby (under `spec.name` when free, else a drawn code) with `c` as peer 1 and
   * answers lobby.joined; `nameField` is the request's field a bad name is reported against.
   * With a password the lobby is made once its hash is back (handleHashed → #makeLobby).
   */
  #createLobby(now: number, c: Connection, rid: number, spec: NewLobbySpec, tries: number): void {
    if (this.#lobbyRefusal(c, rid, spec)) return;
    if (spec.password === undefined) {
      this.#makeLobby(now, c, rid, spec, undefined, undefined, tries);
      return;
    }
    const refusal = this.#checks.refusal(now, c.id, c.ip, undefined);
    if (refusal !== undefined) return this.#refuseCheck(c, rid, refusal);
    const salt = new Uint8Array(SALT_BYTES);
    this.config.random(salt);
    this.#runChecks(this.#checks.enqueue(now, c.id, c.ip, undefined, spec.password, salt, { kind: 'create', rid, spec, tries }));
  }

  /** Answers the first reason `spec` cannot become a lobby now (true), or returns false. */
  #lobbyRefusal(c: Connection, rid: number, spec: NewLobbySpec): boolean {
    if (this.#membership.lobbies.size >= this.config.maxLobbies) {
      this.#outbox.error(c, rid, 'SIG_TOO_MANY_LOBBIES', `the service is at its limit of ${this.config.maxLobbies} lobbies`);
      return true;
    }
    const maxPeers = spec.maxPeers ?? this.config.defaultMaxPeers;
    if (maxPeers > this.config.maxPeersCap) {
      this.#outbox.error(c, rid, 'SIG_BAD_MESSAGE', `maxPeers must be 2..${this.config.maxPeersCap}, got ${maxPeers}`, { field: 'maxPeers' });
      return true;
    }
    if (spec.name !== undefined) {
      if (!isValidLobbyName(spec.name)) {
        this.#outbox.error(c, rid, 'SIG_BAD_MESSAGE', `${spec.nameField} ${lobbyRefProblem(spec.name, true)}`, { field: spec.nameField });
        return true;
      }
      if (this.#membership.lobbies.has(registryKey(spec.name, spec.claim))) {
        this.#outbox.error(c, rid, 'SIG_LOBBY_EXISTS', `a lobby named ${spec.name} already exists`);
        return true;
      }
    }
    return false;
  }

  /**
   * Makes the lobby of `spec` with `c` as peer 1 (after its password hash, if any, came back).
   * A createIfMissing join whose name was taken while its hash ran joins that lobby instead.
   */
  #makeLobby(now: number, c: Connection, rid: number, spec: NewLobbySpec, hash: Uint8Array | undefined, salt: Uint8Array | undefined, tries: number): void {
    if (spec.join !== undefined && spec.name !== undefined && this.#membership.lobbies.has(registryKey(spec.name, spec.claim)) && tries < MAX_CHECK_TRIES) {
      this.#onJoin(now, c, spec.join, tries + 1);
      return;
    }
    if (this.#lobbyRefusal(c, rid, spec)) return;
    let code = spec.name;
    if (code === undefined) {
      const bytes = new Uint8Array(LOBBY_CODE_RANDOM_BYTES);
      for (let i = 0; i < MAX_DRAWS && code === undefined; i++) {
        this.config.random(bytes);
        const candidate = encodeLobbyCode(bytes);
        if (!this.#membership.lobbies.has(candidate)) code = candidate;
      }
      if (code === undefined) return this.#outbox.error(c, rid, 'SIG_TOO_MANY_LOBBIES', 'no free lobby code could be drawn');
    }
    const maxPeers = spec.maxPeers ?? this.config.defaultMaxPeers;
    const keyBytes = new Uint8Array(LOBBY_KEY_BYTES);
    this.config.random(keyBytes);
    const lobby = new Lobby(code, spec.mode, maxPeers, hash, salt, toBase64Url(keyBytes), spec.claim);
    lobby.createdAt = now;
    this.#membership.lobbies.set(lobby.registryKey, lobby);
    this.metrics.lobbiesCreated++;
    const m = this.#membership.add(lobby, c, 1);
    this.#outbox.send(c, this.#withKey(c, { type: 'lobby.joined', rid, you: 1, token: m.token, lobby: lobby.view() }));
    // Lifecycle records are `info`: what an operator follows (issue #12 item 8). Never a token,
    // password or pair secret; the lobby's code or name is how operators refer to it.
    this.#outbox.log('info', 'lobby.created', { lobby: code, mode: lobby.mode, maxPeers, password: hash !== undefined, claimed: spec.claim !== undefined, conn: c.id });
  }

  #onJoin(now: number, c: Connection, msg: LobbyJoinMessage, tries: number): void {
    if (c.member !== null) return this.#outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    // With a claim only the lobby of that name and claim counts (a claimed lobby always has a
    // name); without one, claimed lobbies are never found.
    let lobby = this.#membership.lobbies.get(registryKey(msg.lobby, msg.claim));
    if (lobby === undefined && msg.claim === undefined) {
      const code = normalizeLobbyCode(msg.lobby);
      if (code !== undefined) lobby = this.#membership.lobbies.get(code);
    }
    if (lobby === undefined) {
      // createIfMissing: the first of several identical joins creates the lobby (one message,
      // so two of them can never both create it); it needs a name, as lobby.create does.
      if (msg.createIfMissing === true) {
        return this.#createLobby(now, c, msg.rid, { name: msg.lobby, password: msg.password, maxPeers: msg.maxPeers, mode: 'mesh', nameField: 'lobby', join: msg, claim: msg.claim }, tries);
      }
      return this.#outbox.error(c, msg.rid, 'SIG_LOBBY_NOT_FOUND', 'no lobby has that code or name');
    }
    if (lobby.sealed) return this.#outbox.error(c, msg.rid, 'SIG_LOBBY_SEALED', `lobby ${lobby.code} is sealed`);
    if (lobby.passwordHash === undefined) return this.#admit(now, c, msg.rid, lobby);
    if (msg.password === undefined) return this.#outbox.error(c, msg.rid, 'SIG_BAD_PASSWORD', `lobby ${lobby.code} needs a password`);
    // Cheap refusals first, so a full lobby costs no hash.
    if (!this.#membership.hasRoom(lobby)) return this.#outbox.error(c, msg.rid, 'SIG_LOBBY_FULL', `lobby ${lobby.code} is full (${lobby.maxPeers} peers)`);
    const refusal = this.#checks.refusal(now, c.id, c.ip, lobby);
    if (refusal !== undefined) return this.#refuseCheck(c, msg.rid, refusal);
    this.#runChecks(this.#checks.enqueue(now, c.id, c.ip, lobby, msg.password, lobby.salt!, { kind: 'join', rid: msg.rid, lobby, msg, tries }));
  }

  /** `c` may enter `lobby` (password proven or none): gives it an id and schedules its pairs. */
  #admit(now: number, c: Connection, rid: number, lobby: Lobby): void {
    if (!this.#membership.hasRoom(lobby)) return this.#outbox.error(c, rid, 'SIG_LOBBY_FULL', `lobby ${lobby.code} is full (${lobby.maxPeers} peers)`);
    const id = this.#membership.drawPeerId(lobby);
    if (id === undefined) {
      return this.#outbox.error(c, rid, 'SIG_LOBBY_EXHAUSTED', `lobby ${lobby.code} has handed out its ${this.config.maxIdsPerLobby} peer ids`);
    }
    // Only now that the newcomer is sure to get in: the member away longest gives way.
    this.#membership.makeRoom(now, lobby);
    const m = this.#membership.add(lobby, c, id);
    this.#outbox.broadcast(lobby, { type: 'peer.joined', peer: m.view() }, m);
    this.#outbox.send(c, this.#withKey(c, { type: 'lobby.joined', rid, you: id, token: m.token, lobby: lobby.view() }));
    this.#outbox.log('info', 'lobby.joined', { lobby: lobby.code, peer: id, members: lobby.members.size, conn: c.id });
    schedulePairs(this.#pairing, now, m);
  }

  /** Hands checks that may start now to the adapter (`hash` outputs); answers those refused meanwhile. */
  #runChecks(steps: CheckSteps<CheckWork>): void {
    for (const j of steps.start) this.#outbox.hash(j.id, j.secret, j.salt);
    for (const { job, refusal } of steps.refused) {
      const c = this.#conns.get(job.conn);
      if (c !== undefined) this.#refuseCheck(c, job.work.rid, refusal);
    }
  }

  #refuseCheck(c: Connection, rid: number, r: CheckRefusal): void {
    if (r.code === 'SIG_TOO_MANY_ATTEMPTS') this.#outbox.error(c, rid, r.code, r.message, { retryMs: r.retryMs });
    else this.#outbox.error(c, rid, r.code, r.message);
  }

  #onSeal(c: Connection, rid: number): void {
    const m = c.member;
    if (m === null) return this.#notInLobby(c, rid);
    if (m.lobby.owner !== m.id) return this.#outbox.error(c, rid, 'SIG_NOT_OWNER', `only the owner (peer ${m.lobby.owner}) may seal the lobby`);
    if (!m.lobby.sealed) {
      m.lobby.sealed = true;
      touch(this.#pairing, m.lobby);
      this.#outbox.broadcast(m.lobby, { type: 'lobby.sealed' }, m);
      this.#outbox.log('info', 'lobby.sealed', { lobby: m.lobby.code, peer: m.id, members: m.lobby.members.size });
    }
    this.#outbox.ok(c, rid);
  }

  #onCandidates(now: number, c: Connection, msg: PairCandidatesMessage): void {
    const m = c.member;
    if (m === null) return this.#notInLobby(c, msg.rid);
    const pair = m.lobby.pairs.get(msg.pair);
    const other = pair?.other(m);
    if (pair === undefined || other === undefined) return this.#unknownPair(c, msg.rid, msg.pair);
    const fromA = pair.a === m;
    const sent = fromA ? pair.candidatesFromA : pair.candidatesFromB;
    // Addresses that are never a peer's (multicast, broadcast, reserved, unspecified: nat
    // candidate-policy.ts, the one definition) are refused here too, so a member cannot even
    // hand them to the other side (issue 13 item 7); the receiving agent refuses them anyway.
    for (const cand of msg.candidates) {
      const never = sourceRejection(cand.address);
      if (never !== undefined) {
        return this.#outbox.error(c, msg.rid, 'SIG_BAD_CANDIDATE', `candidate ${cand.address} port ${cand.port} is a ${never} address, never a peer's`, { field: 'candidates' });
      }
    }
    if (sent + msg.candidates.length > MAX_CANDIDATES_PER_PAIR) {
      return this.#outbox.error(c, msg.rid, 'SIG_BAD_CANDIDATE', `pair ${pair.id} would get ${sent + msg.candidates.length} candidates from this side; the limit is ${MAX_CANDIDATES_PER_PAIR}`, { field: 'candidates' });
    }
    if (fromA) pair.candidatesFromA += msg.candidates.length;
    else pair.candidatesFromB += msg.candidates.length;
    // Where this member may be reached: the other side's relay allocation may permit these IPs
    // (relay.md §2(b) rule 3(c)); bounded by the 16-candidate cap above.
    for (const cand of msg.candidates) if (cand.kind !== 'relay') pair.noteAddress(fromA, cand.address);
    this.metrics.candidatesRelayed += msg.candidates.length;
    pair.record({ at: now, kind: 'candidates', from: m.id, candidates: msg.candidates, done: msg.done === true });
    m.lobby.revision++;
    this.#outbox.ok(c, msg.rid);
    const ev: ServerMessage = { type: 'pair.candidates', pair: pair.id, from: m.id, candidates: msg.candidates, done: msg.done === true };
    if (msg.nat !== undefined) ev.nat = msg.nat;
    if (msg.fingerprint !== undefined) ev.fingerprint = msg.fingerprint;
    this.#outbox.toMember(other, ev);
  }

  /** relay.credentials (1.2): TURN REST credentials for this member (relay-access.ts). */
  #onRelayCredentials(now: number, c: Connection, rid: number): void {
    const m = c.member;
    if (m === null) return this.#notInLobby(c, rid);
    if (this.relay === undefined) {
      this.metrics.relayCredentials.refused++;
      return this.#outbox.error(c, rid, 'SIG_RELAY_UNAVAILABLE', 'this service offers no relay');
    }
    const r = this.relay.mint(now, m, rid);
    if (!('type' in r)) {
      this.metrics.relayCredentials.refused++;
      return this.#outbox.error(c, rid, r.code, r.message);
    }
    this.metrics.relayCredentials.minted++;
    touch(this.#pairing, m.lobby);
    this.#outbox.send(c, r);
    this.#outbox.log('debug', 'relay.credentials', { lobby: m.lobby.code, peer: m.id });
  }

  #onResult(now: number, c: Connection, msg: PairResultMessage): void {
    const m = c.member;
    if (m === null) return this.#notInLobby(c, msg.rid);
    const pair = m.lobby.pairs.get(msg.pair);
    if (pair === undefined || pair.other(m) === undefined) return this.#unknownPair(c, msg.rid, msg.pair);
    const report: PairReport = { outcome: msg.outcome, path: msg.path, rttMs: msg.rttMs, reason: msg.reason };
    const before = pair.a === m ? pair.reportA : pair.reportB;
    // Kept only when the report is recorded on the pair's timeline (it holds ≤ MAX_PAIR_EVENTS).
    if (msg.probes !== undefined && pair.events.length < MAX_PAIR_EVENTS) {
      report.probes = msg.probes;
      this.metrics.probeReportsKept++;
      // Only a side's newest report keeps its probe record (bounded memory per pair).
      for (const e of pair.events) if (e.kind === 'result' && e.from === m.id) e.report.probes = undefined;
    }
    // A link moving between relay and direct is reported again with its new path (relay.md §3).
    if (before?.outcome === 'connected' && msg.outcome === 'connected' && before.path !== msg.path) {
      this.metrics.pathChanges[msg.path!] = (this.metrics.pathChanges[msg.path!] ?? 0) + 1;
    }
    if (pair.a === m) pair.reportA = report;
    else pair.reportB = report;
    touch(this.#pairing, m.lobby);
    pair.record({ at: now, kind: 'result', from: m.id, report });
    const key = msg.outcome === 'connected' ? `connected/${msg.path!}` : `failed/${msg.reason!}`;
    this.metrics.pairResults[key] = (this.metrics.pairResults[key] ?? 0) + 1;
    this.#outbox.ok(c, msg.rid);
    this.#outbox.broadcast(m.lobby, { type: 'link.updated', link: pair.view() }, undefined);
    const result: Record<string, string | number> = { lobby: m.lobby.code, pair: pair.id, peer: m.id, remote: pair.other(m)!.id, outcome: msg.outcome };
    if (msg.path !== undefined) result.path = msg.path;
    if (msg.rttMs !== undefined) result.rttMs = msg.rttMs;
    if (msg.reason !== undefined) result.reason = msg.reason;
    this.#outbox.log('info', 'pair.result', result);
  }

  #onResume(now: number, c: Connection, msg: ResumeMessage): void {
    if (this.#checks.isChecking(c.id)) return this.#outbox.error(c, msg.rid, 'SIG_BUSY', 'a password check of this connection is still running');
    if (c.member !== null) return this.#outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}`);
    const m = this.#membership.byToken(msg.token);
    if (m === undefined) return this.#outbox.error(c, msg.rid, 'SIG_RESUME_REJECTED', 'the resume token is unknown or its grace period is over');
    const old = m.conn;
    const wasAway = old === null;
    if (old !== null) {
      // The old socket is still open (half-open TCP not yet noticed): the new one wins.
      old.member = null;
      this.#closeConn(now, old, CloseCode.Replaced, 'replaced by a resumed connection');
    } else {
      m.graceGen++;
    }
    this.#membership.renewToken(m);
    m.conn = c;
    m.lastIp = c.ip;
    c.member = m;
    this.metrics.resumes++;
    const lobby = m.lobby;
    this.#outbox.send(c, this.#withKey(c, { type: 'resume.ok', rid: msg.rid, you: m.id, token: m.token, lobby: lobby.view() }));
    this.#outbox.log('info', 'peer.resumed', { lobby: lobby.code, peer: m.id, conn: c.id });
    if (wasAway) this.#outbox.broadcast(lobby, { type: 'peer.back', id: m.id }, m);
    if (msg.linked !== undefined) this.#markLinked(m, msg.linked);
    this.#restartUnfinishedPairs(now, m);
    schedulePairs(this.#pairing, now, m);
  }

  /**
   * Messages for a member were dropped while it was away, so every pair of it that is not linked
   * yet starts over under a new id; the other side learns which pair it replaces.
   */
  #restartUnfinishedPairs(now: number, m: Member): void {
    const lobby = m.lobby;
    for (const pair of [...lobby.pairs.values()]) {
      const other = pair.other(m);
      if (other === undefined || pair.state === 'connected') continue;
      endPair(lobby, pair);
      if (other.conn !== null) startPair(this.#pairing, now, lobby, m, other, pair.id);
    }
  }

  /**
   * `resume.linked` (1.1): the member's links that are up count as reported connected (a result
   * sent while the connection was down was lost), so the resume keeps them.
   */
  #markLinked(m: Member, linked: readonly number[]): void {
    const lobby = m.lobby;
    for (const id of linked) {
      const other = lobby.members.get(id);
      const pair = other === undefined ? undefined : lobby.pairByKey.get(pairKey(m.id, id));
      if (pair === undefined || pair.state === 'connected') continue;
      const report: PairReport = { outcome: 'connected', path: undefined, rttMs: undefined, reason: undefined };
      if (pair.a === m) pair.reportA = report;
      else pair.reportB = report;
      touch(this.#pairing, lobby);
      this.#outbox.broadcast(lobby, { type: 'link.updated', link: pair.view() }, undefined);
    }
  }

  /** lobby.restore (restore.ts): the lobby comes back under the ids its members hold. */
  #onRestore(now: number, c: Connection, msg: LobbyRestoreMessage, hashed: HashedPassword | undefined): void {
    if (c.member !== null) return this.#outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    const r = restoreMember(this.#pairing, this.#membership, c, msg, hashed);
    if (!r.ok && r.code === 'HASH_NEEDED') {
      // The re-created lobby keeps its password: hashed like lobby.create's, off the event loop
      // and within the same admission limits; the restore finishes in handleHashed.
      const refusal = this.#checks.refusal(now, c.id, c.ip, undefined);
      if (refusal !== undefined) return this.#refuseCheck(c, msg.rid, refusal);
      const salt = new Uint8Array(SALT_BYTES);
      this.config.random(salt);
      this.#runChecks(this.#checks.enqueue(now, c.id, c.ip, undefined, msg.password!, salt, { kind: 'restore', rid: msg.rid, msg }));
      return;
    }
    if (!r.ok) return this.#outbox.error(c, msg.rid, r.code, r.message);
    const m = r.member;
    m.lobby.createdAt ??= now;
    const joined: LobbyJoinedMessage = { type: 'lobby.joined', rid: msg.rid, you: m.id, token: m.token, lobby: m.lobby.view(), key: m.lobby.key };
    this.#outbox.send(c, this.#withView(m.lobby, joined));
    if (r.resumed) this.#restartUnfinishedPairs(now, m);
    restorePairs(this.#pairing, now, m);
  }

  /**
   * Adds the lobby key to a lobby answer for a client that offered the `restore` capability,
   * and the lobby's live view link when the service serves one.
   */
  #withKey(c: Connection, msg: LobbyJoinedMessage | ResumeOkMessage): ServerMessage {
    if (c.member === null) return msg;
    if (c.restoreCap && c.member.lobby.key !== '') msg.key = c.member.lobby.key;
    return this.#withView(c.member.lobby, msg);
  }

  /** Adds `view` (1.4): the lobby view's path, `<viewPath>#lobby=<code>&token=<viewToken>`. */
  #withView(lobby: Lobby, msg: LobbyJoinedMessage | ResumeOkMessage): ServerMessage {
    if (this.viewPath === undefined) return msg;
    if (lobby.viewToken === undefined) {
      const b = new Uint8Array(VIEW_TOKEN_BYTES);
      this.config.random(b);
      lobby.viewToken = toBase64Url(b);
    }
    msg.view = `${this.viewPath}#lobby=${encodeURIComponent(lobby.code)}&token=${lobby.viewToken}`;
    return msg;
  }

  // ------------------------------------------------------------------ output helpers

  #sendHeartbeat(now: number, c: Connection): void {
    c.hbN = (c.hbN + 1) >>> 0;
    c.hbSentAt = now;
    c.timerGen++;
    this.#heartbeatQ.push(heartbeatDue(now, this.config.heartbeatMs), c, c.timerGen);
    // Built as JSON.stringify would write it (numbers only): one per admission and one per
    // connection every heartbeatMs (issue 19).
    const tail = c.srtt < 0 ? '}' : `,"rttMs":${c.srtt},"offsetMs":${c.offsetMs ?? 0}}`;
    this.#outbox.sendText(c, `{"type":"heartbeat","n":${c.hbN},"now":${now}${tail}`);
  }






  #notInLobby(c: Connection, rid: number): void {
    this.#outbox.error(c, rid, 'SIG_NOT_IN_LOBBY', 'this connection is in no lobby');
  }

  #unknownPair(c: Connection, rid: number, pair: number): void {
    this.#outbox.error(c, rid, 'SIG_UNKNOWN_PAIR', `pair ${pair} is not a current pair of this peer`, { pair });
  }

  /** Answers a malformed message; closes with 4000 after maxBadMessages in a row. */
  #bad(now: number, c: Connection, rid: number | null, code: WireErrorCode, message: string): void {
    c.badInRow++;
    if (c.badInRow > this.config.maxBadMessages) {
      this.metrics.errors[code]++;
      this.#closeConn(now, c, CloseCode.ProtocolError, 'too many malformed messages');
      return;
    }
    this.#outbox.error(c, rid, code, message);
    this.#outbox.log('debug', 'message.rejected', { conn: c.id, code });
  }

  /** Token bucket per connection; a client that keeps going after the errors is closed. */
  #rateLimited(now: number, c: Connection, rid: number | null): boolean {
    if (c.bucket.take(now, this.config.messagesPerSecond, this.config.messageBurst)) {
      c.rateStrikes = 0;
      return false;
    }
    c.rateStrikes++;
    if (c.rateStrikes > this.config.messageBurst) {
      this.metrics.errors.SIG_RATE_LIMITED++;
      this.#closeConn(now, c, CloseCode.RateLimited, 'rate limit');
    } else {
      this.#outbox.error(c, rid, 'SIG_RATE_LIMITED', `more than ${this.config.messagesPerSecond} messages per second`);
    }
    return true;
  }

  #closeConn(now: number, c: Connection, code: number, reason: string): void {
    this.#outbox.close(c, code, reason);
    this.#conns.delete(c.id);
    this.#checks.dropConnection(c.id);
    c.timerGen++;
    const m = c.member;
    c.member = null;
    if (m !== null && m.conn === c && !this.#shuttingDown) this.#membership.goAway(now, m);
    if (code !== CloseCode.GoingAway) this.#outbox.log('debug', 'connection.closed', { conn: c.id, code, reason });
  }



}
