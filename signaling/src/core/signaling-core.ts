// The lobby service as a sans-IO state machine (core). Inputs: connection opened / message /
// closed / timeout, each with `now` (ms, monotonic). Outputs: texts to send, closes and log
// records (pollOutput), and the next deadline (pollTimeout). Randomness comes from config.random.
//
// Connection: new --hello--> ready --(close/idle)--> gone
// Member:     see membership.ts (present / away for graceMs / removed)
import {
  CAPABILITIES, CloseCode, decodeClientMessage, decodePairCandidatesBytes, MAX_CANDIDATES_PER_PAIR, negotiateCapabilities, negotiateVersion, SUPPORTED_VERSIONS,
} from '@meshpunch/protocol';
import type { ClientMessage, DecodeResult, HelloMessage, ResumeMessage, WelcomeMessage, WireErrorCode } from '@meshpunch/protocol';
import { resolveSignalingCoreOptions } from './config.js';
import type { SignalingCoreConfig, SignalingCoreOptions } from './config.js';
import { Connection } from './connection.js';
import type { CoreContext } from './core-context.js';
import { DeadlineQueue } from './deadline-queue.js';
import { heartbeatDue, heartbeatText, nextHeartbeat } from './heartbeat.js';
import { IpRateLimiter } from './ip-rate-limiter.js';
import { registryKey } from './lobby.js';
import type { Lobby } from './lobby.js';
import { LobbyAdmission } from './lobby-admission.js';
import { lobbyFromRecord, lobbyToRecord } from './lobby-record.js';
import type { LobbyRecord } from './lobby-record.js';
import { markLinked, mintRelayCredentials, notInLobby, recordResult, relayCandidates, restartUnfinishedPairs, sealLobby } from './member-requests.js';
import { Membership } from './membership.js';
import { SignalingMetrics } from './metrics.js';
import { Outbox } from './outbox.js';
import type { CoreOutput } from './outbox.js';
import { schedulePairs } from './pairing.js';
import { RelayAccess } from './relay-access.js';

export type { CoreOutput } from './outbox.js';

/**
 * Text of frames that are not decoded from their bytes. The BOM is kept (ignoreBOM), as
 * Buffer's toString keeps it, so a frame starting with one stays invalid JSON.
 */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

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
  /** lobby.create / join / restore and their password checks (lobby-admission.ts). */
  readonly #admission: LobbyAdmission;
  /** Config, metrics and outbox as pairing.ts and membership.ts take them. */
  readonly #pairing: CoreContext;
  readonly #helloQ = new DeadlineQueue<Connection>();
  readonly #heartbeatQ = new DeadlineQueue<Connection>();
  #shuttingDown = false;
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
    this.#pairing = { config: this.config, metrics: this.metrics, outbox: this.#outbox, relay: this.relay, changed: undefined, candidatesFrame: null, candidatesSpan: { start: -1, end: -1 } };
    this.#membership = new Membership(this.#pairing);
    this.#ipLimiter = new IpRateLimiter(this.config.connectionsPerSecondPerIp, this.config.connectionBurstPerIp, this.config.maxTrackedIps);
    this.#admission = new LobbyAdmission(this.#pairing, this.#membership, this.#conns, () => this.#shuttingDown);
    this.stunPort = this.config.stunPort;
  }

  /**
   * Path of the live lobby view (ui-server.ts), e.g. `/ui/lobby`, set by the adapter when it
   * serves the UI: lobby answers then carry `view`. Undefined: no view.
   */
  get viewPath(): string | undefined {
    return this.#admission.viewPath;
  }

  set viewPath(path: string | undefined) {
    this.#admission.viewPath = path;
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

  /** True when a member of a lobby this core holds has resume token `token`. */
  hasToken(token: string): boolean {
    return this.#membership.byToken(token) !== undefined;
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
    const c = this.#received(now, conn, byteLength);
    if (c === undefined) return;
    if (text === null) {
      this.metrics.messagesIn.binary++;
      if (this.#rateLimited(now, c, null)) return;
      this.#bad(now, c, null, 'SIG_BAD_MESSAGE', 'binary frames are not accepted; send JSON text');
      return;
    }
    this.#decoded(now, c, decodeClientMessage(text));
  }

  /**
   * One text frame as its bytes (the adapter checked they are UTF-8): handleMessage without the
   * text. A plain pair.candidates, most of a forming lobby's traffic, is decoded straight from
   * the bytes (decodePairCandidatesBytes: no JSON.parse, no copy of the frame as a string;
   * issue 19); anything else is decoded as text, as handleMessage does. `bytes` must stay
   * unchanged until the outputs of this input are drained (a relayed pair.candidates may refer to them).
   */
  handleTextBytes(now: number, conn: number, bytes: Uint8Array): void {
    const c = this.#received(now, conn, bytes.length);
    if (c === undefined) return;
    const ctx = this.#pairing;
    const fast = decodePairCandidatesBytes(bytes, ctx.candidatesSpan);
    if (fast === undefined) {
      this.#decoded(now, c, decodeClientMessage(UTF8.decode(bytes)));
      return;
    }
    // Its candidates array, when canonical, is forwarded as these bytes (an output that refers
    // to them: the adapter writes it before the next input).
    ctx.candidatesFrame = ctx.candidatesSpan.start >= 0 ? bytes : null;
    this.#dispatch(now, c, fast);
    ctx.candidatesFrame = null;
  }

  /** The connection a frame of `byteLength` bytes came on, counted; undefined when gone or closed for its size. */
  #received(now: number, conn: number, byteLength: number): Connection | undefined {
    const c = this.#conns.get(conn);
    if (c === undefined) return undefined;
    this.metrics.bytesIn += byteLength;
    c.lastSeen = now;
    if (byteLength > this.config.maxMessageBytes) {
      this.metrics.messagesIn.invalid++;
      this.#outbox.error(c, null, 'SIG_BAD_MESSAGE', `message is ${byteLength} bytes; the limit is ${this.config.maxMessageBytes}`);
      this.#closeConn(now, c, CloseCode.MessageTooBig, 'message too big');
      return undefined;
    }
    return c;
  }

  /** A decoded text frame: refused with the decoder's error, or carried out. */
  #decoded(now: number, c: Connection, res: DecodeResult<ClientMessage>): void {
    if (!res.ok) {
      if (res.type !== null) this.metrics.messagesIn[res.type as ClientMessage['type']]++;
      else this.metrics.messagesIn.invalid++;
      if (res.field === 'probes') this.metrics.probeReportsRejected++;
      if (this.#rateLimited(now, c, res.rid)) return;
      this.#bad(now, c, res.rid, res.code, res.message);
      return;
    }
    this.#dispatch(now, c, res.message);
  }

  /** A valid client message: counted, rate-limited, then carried out. */
  #dispatch(now: number, c: Connection, msg: ClientMessage): void {
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
        this.#admission.create(now, c, msg);
        return;
      case 'lobby.join':
        this.#admission.join(now, c, msg, 0);
        return;
      case 'lobby.restore':
        this.#admission.restore(now, c, msg, undefined);
        return;
      case 'lobby.leave':
        if (c.member !== null) this.#membership.remove(now, c.member, 'left');
        this.#outbox.ok(c, msg.rid);
        return;
      case 'lobby.seal':
        sealLobby(this.#pairing, c, msg.rid);
        return;
      case 'lobby.get':
        if (c.member === null) notInLobby(this.#pairing, c, msg.rid);
        else this.#outbox.send(c, { type: 'lobby.state', rid: msg.rid, lobby: c.member.lobby.view(c.linkView) });
        return;
      case 'pair.candidates':
        relayCandidates(this.#pairing, now, c, msg);
        return;
      case 'pair.result':
        recordResult(this.#pairing, now, c, msg);
        return;
      case 'relay.credentials':
        mintRelayCredentials(this.#pairing, now, c, msg.rid);
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
    this.#admission.checks.dropConnection(conn);
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
    const j = this.#admission.checks.finish(job);
    if (j === undefined) return;
    this.#admission.finishCheck(now, j, hash);
    // After the outcome is charged, so waiting checks see the budgets it left.
    this.#admission.runChecks(this.#admission.checks.startWaiting(now));
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
    this.#admission.checks.clear();
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
    c.linkView = msg.caps?.includes('link-view') === true;
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
    // The welcome is the first heartbeat (1.7): a client acks it before it can act on it, so the
    // first RTT sample is in before its first lobby request, without a heartbeat message of its
    // own (one fewer per connection: issue 19). The next heartbeat is due heartbeatMs on.
    welcome.n = nextHeartbeat(c, now);
    this.#scheduleHeartbeat(now, c);
    this.#outbox.answer(c, welcome);
  }

  #onResume(now: number, c: Connection, msg: ResumeMessage): void {
    if (this.#admission.checks.isChecking(c.id)) return this.#outbox.error(c, msg.rid, 'SIG_BUSY', 'a password check of this connection is still running');
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
    this.#outbox.answer(c, this.#admission.withKey(c, { type: 'resume.ok', rid: msg.rid, you: m.id, token: m.token, lobby: lobby.view(c.linkView) }));
    this.#outbox.log('info', 'peer.resumed', { lobby: lobby.code, peer: m.id, conn: c.id });
    if (wasAway) this.#outbox.broadcast(lobby, { type: 'peer.back', id: m.id }, m);
    if (msg.linked !== undefined) markLinked(this.#pairing, m, msg.linked);
    restartUnfinishedPairs(this.#pairing, now, m);
    schedulePairs(this.#pairing, now, m);
  }

  // ------------------------------------------------------------------ output helpers

  #sendHeartbeat(now: number, c: Connection): void {
    const text = heartbeatText(c, now);
    this.#scheduleHeartbeat(now, c);
    this.#outbox.sendText(c, text);
  }

  /** The heartbeat after one sent to `c` at `now` (the pending deadline, if any, is cancelled). */
  #scheduleHeartbeat(now: number, c: Connection): void {
    c.timerGen++;
    this.#heartbeatQ.push(heartbeatDue(now, this.config.heartbeatMs), c, c.timerGen);
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
    this.#admission.checks.dropConnection(c.id);
    c.timerGen++;
    const m = c.member;
    c.member = null;
    if (m !== null && m.conn === c && !this.#shuttingDown) this.#membership.goAway(now, m);
    if (code !== CloseCode.GoingAway) this.#outbox.log('debug', 'connection.closed', { conn: c.id, code, reason });
  }

}
