// SignalingClient: the typed, promise-based client of the signaling service over `ws`, with
// request ids, typed errors, clock-offset conversion and automatic resume (adapter).
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import {
  CAPABILITIES, CloseCode, decodeServerMessage, SUPPORTED_VERSIONS,
} from '@meshpunch/protocol';
import type {
  Candidate, FailureReason, LeaveReason, LinkView, LobbyMode, LobbyView, MemberView, PairRole, PathKind,
  NatHint, ProbeReport, RelayInfo, RelayServer, ServerMessage, WelcomeMessage,
} from '@meshpunch/protocol';
import { RECONNECT_DEFAULTS, ReconnectSchedule } from '../core/reconnect-schedule.js';
import type { ReconnectAttempt } from '../core/reconnect-schedule.js';
import { SignalingError } from '../errors.js';
import { lobbyClaim } from './lobby-claim.js';

// ws is CommonJS: require() loads it in ~15 ms, where an ESM import spends ~50 ms more having
// Node lex its files for named exports; meshpunch join pays that per launch (issue #7).
type WebSocket = import('ws').WebSocket;
const { WebSocket } = createRequire(import.meta.url)('ws') as typeof import('ws');

/** Options of SignalingClient.connect. All optional. */
export interface SignalingClientOptions {
  /** Display name other members see (1..32 characters). */
  name?: string;
  /** ms to wait for any answer before rejecting with SIG_CLIENT_TIMEOUT. Default 10 000. */
  requestTimeoutMs?: number;
  /** ms to open the socket and finish hello, per attempt. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * ms during which `connect` keeps retrying (backoff with jitter, over every URL) when the
   * service cannot be reached: a client may start before its service. Default 0: one try per URL.
   */
  retryConnectMs?: number;
  /**
   * Get the lobby back automatically after losing the connection while in one: reconnect (every
   * URL in turn, backoff with jitter), `resume`, and when the service no longer knows the session
   * (it restarted) `lobby.restore` with the lobby key. Default true.
   */
  autoResume?: boolean;
  /** ms after a loss during which the client keeps trying to get its lobby back. Default 600 000 (10 min). */
  reconnectWindowMs?: number;
  /**
   * The peer ids we have a live link with (sent with `resume` and `lobby.restore`, so those links
   * stay). Default: the connected links of our lobby view.
   */
  linkedPeers?: () => readonly number[];
  /** Uniform in [0, 1), the backoff jitter. Default Math.random. */
  random?: () => number;
  /** Capabilities to offer. Default: all this version knows. */
  caps?: string[];
  /** Local monotonic clock in ms; `PairStart.startAt` is on this clock. Default performance.now(). */
  now?: () => number;
  /** Extra HTTP headers for the upgrade request (e.g. Origin). */
  headers?: Record<string, string>;
}

/** What `lobby.create` may ask for. */
export interface CreateLobbyOptions {
  /** Requested lobby name (lower-case a-z 0-9 . _ -); default: a service-generated code. */
  name?: string;
  password?: string;
  /** 2..the service's maxPeersCap; default the service's default (16). */
  maxPeers?: number;
  /** Default 'mesh'. */
  mode?: LobbyMode;
  /**
   * The group's claim secret (needs `name` and the service's `claim` capability): the lobby is
   * created among those of that secret, so only its holders find it (lobby-claim.ts).
   */
  claimSecret?: string;
}

/** What `lobby.join` may ask for. */
export interface JoinLobbyOptions {
  password?: string;
  /**
   * Create the lobby (named as given, mode mesh; we become peer 1) when it does not exist yet,
   * so every member may run the same command in any order. Needs the service's
   * `create-if-missing` capability. Default false.
   */
  createIfMissing?: boolean;
  /** With createIfMissing: the member limit of a lobby this join creates (2..maxPeersCap). */
  maxPeers?: number;
  /**
   * The group's claim secret: only the lobby of that name created with the same secret is found
   * (or, with createIfMissing, created), so someone who made a lobby of that name first cannot
   * take the group in (name squatting). Needs the service's `claim` capability.
   */
  claimSecret?: string;
}

/** Result of creating, joining or resuming a lobby. */
export interface JoinedLobby {
  /** Our peer id: 1 for the creator, else 2..2³¹−1. */
  you: number;
  lobby: LobbyView;
  /** The lobby's live view (`http(s)://…/ui/lobby#…`) when the service serves one (`--ui`). */
  viewUrl?: string;
}

/**
 * The absolute lobby view URL for the service's `view` path (protocol 1.3): the signaling URL's
 * host with ws → http, wss → https; undefined without a view.
 */
export function lobbyViewUrl(signalingUrl: string, view: string | undefined): string | undefined {
  if (view === undefined) return undefined;
  const u = new URL(signalingUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}${view}`;
}

/** A pair to punch, with its start time on both clocks. */
export interface PairStart {
  pair: number;
  remote: number;
  role: PairRole;
  /** Punch time on the service clock (ms). */
  at: number;
  /** Punch time on this client's clock (`options.now`, ms). */
  startAt: number;
  /** 16 bytes shared with the remote only, for authenticating punch probes. */
  secret: Uint8Array;
  /** The pair this one replaces (after a resume), if any. */
  replaces?: number;
}

/** (1.2) What `relayCredentials()` resolves to: TURN REST credentials for this member. */
export interface RelayCredentials {
  /** `<expiry unix s>:<lobbyTag>.<peerId>`. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  password: string;
  /** Seconds the credential is valid for at Allocate. */
  ttlS: number;
  realm: string;
  /** Where they are valid (a server without `host` is on the signaling URL's host). */
  servers: RelayServer[];
}

/** What a client reports about a pair. */
export type PairResult =
  | { outcome: 'connected'; path: PathKind; rttMs?: number }
  | { outcome: 'failed'; reason: FailureReason; probes?: ProbeReport };

/** Candidates the other side of a pair sent (the `candidates` event). */
export interface CandidatesEvent { pair: number; from: number; candidates: Candidate[]; done: boolean; nat?: NatHint; fingerprint?: string }

/** Events of SignalingClient and their payloads. */
export interface SignalingClientEvents {
  peerJoined: MemberView;
  peerLeft: { id: number; reason: LeaveReason };
  peerAway: { id: number; graceMs: number };
  peerBack: { id: number };
  ownerChanged: { owner: number };
  sealed: Record<string, never>;
  pairStart: PairStart;
  /** `nat` (1.2): the other side's NAT hint, `fingerprint` (1.5) its DTLS certificate's, when it sent them. */
  candidates: CandidatesEvent;
  linkUpdated: LinkView;
  /** The WebSocket dropped; `willResume` says whether the client is trying to resume. */
  disconnected: { code: number; reason: string; willResume: boolean };
  /**
   * Back after a drop: same id, the lobby as it is now, the URL now used; `restored` when the
   * service had lost the lobby and it was re-registered with `lobby.restore`.
   */
  resumed: JoinedLobby & { restored: boolean; url: string };
  /** An attempt to get back failed; the next one starts in `inMs` (at `url`). */
  retrying: { attempt: number; error: SignalingError; url: string; inMs: number };
  /** The service announced shutdown. */
  shutdown: { reason: string };
  /** The client is finished (close(), a failed resume, or a drop outside a lobby). */
  closed: { code: number; reason: string; error?: SignalingError };
  /** An unsolicited error from the service, or a message that failed validation. */
  error: SignalingError;
}

type EventName = keyof SignalingClientEvents;

interface Pending {
  resolve: (msg: ServerMessage) => void;
  reject: (err: SignalingError) => void;
  timer: NodeJS.Timeout;
}

/** Most service URLs one client rotates over. */
const MAX_URLS = 16;
/** Heartbeats that may be missed before the socket is declared dead (the service sends one per heartbeatMs). */
const MISSED_HEARTBEATS = 2.5;

function fromBase64Url(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/**
 * A connection to the signaling service. Create with `SignalingClient.connect(url)`.
 *
 * ```ts
 * const c = await SignalingClient.connect('ws://127.0.0.1:8787/', { name: 'alice' });
 * const { you, lobby } = await c.createLobby();
 * c.on('pairStart', (p) => { ... punch at p.startAt ... });
 * ```
 */
export class SignalingClient {
  /** Every service URL given, in order. */
  readonly urls: readonly string[];
  #urlIndex = 0;
  readonly #opts: Required<Omit<SignalingClientOptions, 'name' | 'headers' | 'linkedPeers'>> & Pick<SignalingClientOptions, 'name' | 'headers' | 'linkedPeers'>;
  readonly #events = new EventEmitter();
  readonly #pending = new Map<number, Pending>();
  #ws: WebSocket | undefined;
  #rid = 0;
  #welcome: WelcomeMessage | undefined;
  #offset = 0;
  #rtt: number | undefined;
  #you: number | undefined;
  #token: string | undefined;
  #lobby: LobbyView | undefined;
  /** The lobby key (restore capability) and the password we gave: what lobby.restore needs. */
  #key: string | undefined;
  #password: string | undefined;
  /** The claim our lobby was created with (1.3), sent again by lobby.restore. */
  #claim: string | undefined;
  #state: 'connecting' | 'open' | 'resuming' | 'closed' = 'connecting';
  #lastHeard = 0;
  #liveness: NodeJS.Timeout | undefined;

  private constructor(urls: readonly string[], options: SignalingClientOptions) {
    this.urls = Object.freeze([...urls]);
    this.#opts = {
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      retryConnectMs: options.retryConnectMs ?? 0,
      autoResume: options.autoResume ?? true,
      reconnectWindowMs: options.reconnectWindowMs ?? 600_000,
      linkedPeers: options.linkedPeers,
      random: options.random ?? Math.random,
      caps: options.caps ?? [...CAPABILITIES],
      now: options.now ?? (() => performance.now()),
      name: options.name,
      headers: options.headers,
    };
    this.#events.on('error', () => undefined);
  }

  /**
   * Opens a connection and completes hello.
   * @throws SignalingError SIG_CLIENT_CONNECT_FAILED (socket), SIG_CLIENT_TIMEOUT, SIG_UNSUPPORTED_VERSION,
   *   SIG_SERVER_FULL, SIG_RATE_LIMITED (rejects)
   * @throws SignalingError ERR_INVALID_PARAMETER for a bad url or option (rejects)
   */
  static async connect(url: string | readonly string[], options: SignalingClientOptions = {}): Promise<SignalingClient> {
    const urls = typeof url === 'string' ? [url] : [...url];
    if (urls.length < 1 || urls.length > MAX_URLS) throw new SignalingError('ERR_INVALID_PARAMETER', `give 1..${MAX_URLS} service URLs, got ${urls.length}`);
    for (const u of urls) {
      if (typeof u !== 'string' || !/^wss?:\/\//.test(u)) throw new SignalingError('ERR_INVALID_PARAMETER', `url must start with ws:// or wss://, got ${JSON.stringify(u)}`);
    }
    if (options.name !== undefined && (options.name.length < 1 || options.name.length > 32)) {
      throw new SignalingError('ERR_INVALID_PARAMETER', `name must be 1..32 characters, got ${options.name.length}`);
    }
    for (const k of ['retryConnectMs', 'reconnectWindowMs'] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new SignalingError('ERR_INVALID_PARAMETER', `${k} must be a finite number of ms ≥ 0, got ${v}`);
    }
    const c = new SignalingClient(urls, options);
    const plan = c.#schedule(c.#opts.retryConnectMs);
    let a: ReconnectAttempt | undefined = plan.begin(c.#opts.now(), true);
    for (;;) {
      await c.#sleepUntil(a.at);
      try {
        await c.#open(urls[a.url]!);
        c.#urlIndex = a.url;
        break;
      } catch (err) {
        // A service that answered and refused (version, full, rate limit) is not retried at once.
        const e = err as SignalingError;
        a = e.code === 'SIG_CLIENT_CONNECT_FAILED' || e.code === 'SIG_CLIENT_TIMEOUT' || e.code === 'SIG_SERVER_FULL' || e.code === 'SIG_RATE_LIMITED' ? plan.next(c.#opts.now()) : undefined;
        if (a === undefined) throw err;
      }
    }
    c.#state = 'open';
    return c;
  }

  /** The service URL in use (or last used). */
  get url(): string {
    return this.urls[this.#urlIndex]!;
  }

  #schedule(windowMs: number): ReconnectSchedule {
    return new ReconnectSchedule({ urlCount: this.urls.length, windowMs, random: this.#opts.random, ...RECONNECT_DEFAULTS });
  }

  #sleepUntil(at: number): Promise<void> {
    const ms = at - this.#opts.now();
    return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
  }

  // ---------------------------------------------------------------- state

  /** The negotiated protocol version. */
  get version(): number {
    return this.#welcome!.version;
  }

  /** Capabilities both sides offered. */
  get caps(): readonly string[] {
    return this.#welcome!.caps;
  }

  /** The service's welcome (limits, grace, heartbeat interval, STUN port). */
  get welcome(): WelcomeMessage {
    return this.#welcome!;
  }

  /** UDP port of the service's embedded STUN responder, if it has one. */
  get stunPort(): number | undefined {
    return this.#welcome?.stunPort;
  }

  /**
   * (1.2) The relay servers the service offers credentials for (`welcome.relay`), or undefined
   * when it offers none. A server without `host` is on the signaling URL's host.
   */
  get relay(): RelayInfo | undefined {
    return this.#welcome?.relay;
  }

  /**
   * (1.2) Asks for TURN REST credentials for this member, valid at Allocate for `ttlS` seconds on
   * every server listed (relay.md §1). Needs lobby membership; at most 6 per minute.
   * @throws SignalingError SIG_RELAY_UNAVAILABLE (no relay, or full), SIG_RATE_LIMITED,
   *   SIG_NOT_IN_LOBBY (rejects)
   */
  async relayCredentials(): Promise<RelayCredentials> {
    const msg = await this.#request({ type: 'relay.credentials' });
    if (msg.type !== 'relay.credentials') throw this.#unexpected(msg);
    return { username: msg.username, password: msg.password, ttlS: msg.ttlS, realm: msg.realm, servers: msg.servers };
  }

  /** Our peer id in the current lobby, or undefined outside one. */
  get peerId(): number | undefined {
    return this.#you;
  }

  /** Our view of the lobby, kept current from events; undefined outside one. */
  get lobby(): LobbyView | undefined {
    return this.#lobby;
  }

  /** Estimated local clock − service clock, in ms. */
  get clockOffsetMs(): number {
    return this.#offset;
  }

  /** Latest signaling RTT in ms (as the service measured it), if known. */
  get rttMs(): number | undefined {
    return this.#rtt;
  }

  /** True while connected (not resuming, not closed). */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Converts a service-clock time (ms) to this client's clock. */
  serviceToLocal(t: number): number {
    return t + this.#offset;
  }

  /** Converts a local-clock time (ms) to the service clock. */
  localToService(t: number): number {
    return t - this.#offset;
  }

  // ---------------------------------------------------------------- events

  /** Adds a listener for a typed event (see SignalingClientEvents). */
  on<K extends EventName>(event: K, listener: (e: SignalingClientEvents[K]) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  /** Removes a listener added with `on`. */
  off<K extends EventName>(event: K, listener: (e: SignalingClientEvents[K]) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Resolves with the next `event` whose payload passes `filter`.
   * @throws SignalingError SIG_CLIENT_TIMEOUT after timeoutMs (default requestTimeoutMs); SIG_CLIENT_CLOSED when the client closes first
   */
  next<K extends EventName>(event: K, options: { timeoutMs?: number; filter?: (e: SignalingClientEvents[K]) => boolean } = {}): Promise<SignalingClientEvents[K]> {
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.#opts.requestTimeoutMs;
      const done = (): void => {
        clearTimeout(timer);
        this.#events.off(event, onEvent);
        this.#events.off('closed', onClosed);
      };
      const onEvent = (e: SignalingClientEvents[K]): void => {
        if (options.filter !== undefined && !options.filter(e)) return;
        done();
        resolve(e);
      };
      const onClosed = (): void => {
        done();
        reject(new SignalingError('SIG_CLIENT_CLOSED', `the client closed while waiting for ${event}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new SignalingError('SIG_CLIENT_TIMEOUT', `no ${event} event within ${timeoutMs} ms`, { event, timeoutMs }));
      }, timeoutMs);
      this.#events.on(event, onEvent);
      if (event !== 'closed') this.#events.on('closed', onClosed);
    });
  }

  // ---------------------------------------------------------------- requests

  /**
   * Creates a lobby and joins it as peer 1.
   * @throws SignalingError SIG_ALREADY_IN_LOBBY, SIG_LOBBY_EXISTS, SIG_TOO_MANY_LOBBIES, SIG_BAD_MESSAGE, … (rejects);
   *   ERR_INVALID_PARAMETER for a claimSecret without a name; SIG_CLIENT_PROTOCOL when the service lacks `claim`
   */
  async createLobby(options: CreateLobbyOptions = {}): Promise<JoinedLobby> {
    const { claimSecret, ...fields } = options;
    const req: Record<string, unknown> = { type: 'lobby.create', ...fields };
    if (claimSecret !== undefined) {
      if (options.name === undefined) throw new SignalingError('ERR_INVALID_PARAMETER', 'claimSecret needs a lobby name', { field: 'claimSecret' });
      req.claim = this.#claimFor(claimSecret, options.name);
    }
    const msg = await this.#request(req);
    this.#password = options.password;
    this.#claim = req.claim as string | undefined;
    return this.#joined(msg);
  }

  /** The wire claim for `name`; refuses a service that would ignore it (and let the name be squatted). */
  #claimFor(secret: string, name: string): string {
    const claim = lobbyClaim(secret, name);
    if (!this.caps.includes('claim')) {
      throw new SignalingError('SIG_CLIENT_PROTOCOL', 'the signaling service does not offer claim (lobbies scoped by a claim secret)');
    }
    return claim;
  }

  /**
   * Joins a lobby by code (any case, hyphens optional) or name; with `createIfMissing`, creates
   * it first when it does not exist (then `you` is 1).
   * @throws SignalingError SIG_LOBBY_NOT_FOUND, SIG_LOBBY_FULL, SIG_LOBBY_SEALED, SIG_BAD_PASSWORD, SIG_ALREADY_IN_LOBBY, … (rejects);
   *   SIG_CLIENT_PROTOCOL when createIfMissing is asked of a service without the `create-if-missing` capability,
   *   or claimSecret of one without `claim`; ERR_INVALID_PARAMETER for a claimSecret not 1..128 characters
   */
  async joinLobby(lobby: string, options: JoinLobbyOptions = {}): Promise<JoinedLobby> {
    const req: Record<string, unknown> = { type: 'lobby.join', lobby };
    if (options.password !== undefined) req.password = options.password;
    if (options.claimSecret !== undefined) req.claim = this.#claimFor(options.claimSecret, lobby);
    if (options.createIfMissing === true) {
      // An older service would ignore the field and answer SIG_LOBBY_NOT_FOUND: say why instead.
      if (!this.caps.includes('create-if-missing')) {
        throw new SignalingError('SIG_CLIENT_PROTOCOL', 'the signaling service does not offer create-if-missing (joining a lobby that may not exist yet)');
      }
      req.createIfMissing = true;
      if (options.maxPeers !== undefined) req.maxPeers = options.maxPeers;
    }
    const msg = await this.#request(req);
    this.#password = options.password;
    this.#claim = req.claim as string | undefined;
    return this.#joined(msg);
  }

  /** Leaves the current lobby; resolves also when in none. */
  async leave(): Promise<void> {
    await this.#request({ type: 'lobby.leave' });
    this.#forgetLobby();
  }

  #forgetLobby(): void {
    this.#you = undefined;
    this.#token = undefined;
    this.#lobby = undefined;
    this.#key = undefined;
    this.#password = undefined;
    this.#claim = undefined;
  }

  /**
   * Seals the lobby (owner only): nobody new may join.
   * @throws SignalingError SIG_NOT_OWNER, SIG_NOT_IN_LOBBY (rejects)
   */
  async seal(): Promise<void> {
    await this.#request({ type: 'lobby.seal' });
    if (this.#lobby !== undefined) this.#lobby.sealed = true;
  }

  /** Fetches the lobby view (members and links) from the service. */
  async getLobby(): Promise<LobbyView> {
    const msg = await this.#request({ type: 'lobby.get' });
    if (msg.type !== 'lobby.state') throw this.#unexpected(msg);
    this.#lobby = msg.lobby;
    return msg.lobby;
  }

  /**
   * Sends candidates for `pair` to its other side (trickle: call again, `done` on the last).
   * @throws SignalingError SIG_UNKNOWN_PAIR, SIG_BAD_CANDIDATE (rejects)
   */
  async sendCandidates(pair: number, candidates: Candidate[], options: { done?: boolean; nat?: NatHint; fingerprint?: string } = {}): Promise<void> {
    const body: Record<string, unknown> = { type: 'pair.candidates', pair, candidates };
    if (options.done !== undefined) body.done = options.done;
    if (options.nat !== undefined) body.nat = options.nat;
    if (options.fingerprint !== undefined) body.fingerprint = options.fingerprint;
    await this.#request(body);
  }

  /**
   * Reports how `pair` ended; every member then gets `linkUpdated`.
   * @throws SignalingError SIG_UNKNOWN_PAIR (rejects)
   */
  async reportPairResult(pair: number, result: PairResult): Promise<void> {
    await this.#request({ type: 'pair.result', pair, ...result });
  }

  /**
   * Closes the connection with 1000, which also leaves the lobby at once (no grace period).
   * Pending requests reject with SIG_CLIENT_CLOSED. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const ws = this.#ws;
    this.#finish(CloseCode.Normal, 'client closed', undefined);
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(CloseCode.Normal, 'client closed');
      });
    }
  }

  /**
   * Drops the WebSocket abruptly, as a network failure would (for tests and drills): the
   * service keeps our place for graceMs and, with autoResume, the client resumes.
   */
  simulateConnectionLoss(): void {
    this.#ws?.terminate();
  }

  // ---------------------------------------------------------------- internals

  #joined(msg: ServerMessage): JoinedLobby {
    if (msg.type !== 'lobby.joined') throw this.#unexpected(msg);
    this.#you = msg.you;
    this.#token = msg.token;
    this.#lobby = msg.lobby;
    this.#key = msg.key;
    const viewUrl = lobbyViewUrl(this.url, msg.view);
    return viewUrl === undefined ? { you: msg.you, lobby: msg.lobby } : { you: msg.you, lobby: msg.lobby, viewUrl };
  }

  #unexpected(msg: ServerMessage): SignalingError {
    return new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`);
  }

  #request(body: Record<string, unknown>, ws = this.#ws, force = false, timeoutMs = this.#opts.requestTimeoutMs): Promise<ServerMessage> {
    if (this.#state === 'closed') return Promise.reject(new SignalingError('SIG_CLIENT_CLOSED', 'the client is closed'));
    if ((this.#state === 'resuming' && !force) || ws === undefined || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new SignalingError('SIG_CLIENT_CONNECTION_LOST', 'the connection to the service is down (resuming)'));
    }
    this.#rid = (this.#rid + 1) >>> 0;
    const rid = this.#rid;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new SignalingError('SIG_CLIENT_TIMEOUT', `no answer to ${String(body.type)} within ${timeoutMs} ms`, { rid, type: body.type }));
      }, timeoutMs);
      this.#pending.set(rid, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...body, rid }));
    });
  }

  /** Opens a socket to `url` and says hello; used by connect and by each resume attempt. */
  async #open(url: string): Promise<void> {
    // Errors the service sends right before closing (server full, rate limit) reject hello.
    let earlyError: SignalingError | undefined;
    const onEarly = (e: SignalingError): void => {
      earlyError = e;
    };
    this.#events.on('error', onEarly);
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const sock = new WebSocket(url, { handshakeTimeout: this.#opts.connectTimeoutMs, headers: this.#opts.headers, perMessageDeflate: false });
      // Listen before 'open': frames that came in the same TCP segment as the upgrade response
      // are parsed right after 'open' is emitted, before any continuation of this promise runs.
      this.#ws = sock;
      sock.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(sock, data, isBinary));
      const fail = (err: Error): void => {
        sock.removeAllListeners();
        sock.on('error', () => undefined);
        sock.terminate();
        this.#events.off('error', onEarly);
        reject(new SignalingError('SIG_CLIENT_CONNECT_FAILED', `cannot connect to ${url}: ${err.message}`, { url }, err));
      };
      sock.once('error', fail);
      sock.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      sock.once('open', () => {
        sock.off('error', fail);
        resolve(sock);
      });
    });
    ws.on('error', () => undefined);
    const closedEarly = new Promise<never>((_, reject) => {
      ws.once('close', (code: number, reason: Buffer) => {
        reject(earlyError ?? new SignalingError('SIG_CLIENT_CONNECT_FAILED', `the service closed the connection (${code} ${reason.toString()})`, { code }));
      });
    });
    closedEarly.catch(() => undefined);
    try {
      const sentAt = this.#opts.now();
      const hello: Record<string, unknown> = { type: 'hello', versions: [...SUPPORTED_VERSIONS], caps: this.#opts.caps };
      if (this.#opts.name !== undefined) hello.name = this.#opts.name;
      // The whole attempt (socket + hello) stays within connectTimeoutMs.
      const msg = await Promise.race([this.#request(hello, ws, true, Math.min(this.#opts.requestTimeoutMs, this.#opts.connectTimeoutMs)), closedEarly]);
      if (msg.type !== 'welcome') throw this.#unexpected(msg);
      const recvAt = this.#opts.now();
      this.#welcome = msg;
      // First estimate, until the service's heartbeat-based one arrives: assume symmetric delay.
      this.#offset = Math.round((sentAt + recvAt) / 2 - msg.now);
      this.#rtt ??= recvAt - sentAt;
    } catch (err) {
      ws.terminate();
      // The service may refuse (server full, rate limit) before hello is even sent: its typed
      // error then explains the failure better than the lost connection does.
      throw earlyError ?? err;
    } finally {
      this.#events.off('error', onEarly);
    }
    ws.on('close', (code: number, reason: Buffer) => this.#onClose(ws, code, reason.toString()));
    this.#lastHeard = this.#opts.now();
    this.#startLiveness();
  }

  #startLiveness(): void {
    if (this.#liveness !== undefined) clearInterval(this.#liveness);
    const hb = this.#welcome!.heartbeatMs;
    this.#liveness = setInterval(() => {
      if (this.#opts.now() - this.#lastHeard > hb * MISSED_HEARTBEATS) this.#ws?.terminate();
    }, hb);
    this.#liveness.unref();
  }

  #onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.#ws) return;
    this.#lastHeard = this.#opts.now();
    if (isBinary) return this.#emitError(new SignalingError('SIG_CLIENT_PROTOCOL', 'the service sent a binary frame'));
    const res = decodeServerMessage(data.toString('utf8'));
    if (!res.ok) return this.#emitError(new SignalingError('SIG_CLIENT_PROTOCOL', `invalid message from the service: ${res.message}`));
    const msg = res.message;
    switch (msg.type) {
      case 'welcome': case 'ok': case 'lobby.joined': case 'resume.ok': case 'lobby.state': case 'relay.credentials': {
        const p = this.#pending.get(msg.rid);
        if (p === undefined) return;
        this.#pending.delete(msg.rid);
        clearTimeout(p.timer);
        p.resolve(msg);
        return;
      }
      case 'error': {
        const err = new SignalingError(msg.code, msg.message, { rid: msg.rid, ...(msg.details ?? {}) });
        const p = msg.rid === null ? undefined : this.#pending.get(msg.rid);
        if (p === undefined) return this.#emitError(err);
        this.#pending.delete(msg.rid!);
        clearTimeout(p.timer);
        p.reject(err);
        return;
      }
      case 'heartbeat':
        ws.send(JSON.stringify({ type: 'heartbeat.ack', n: msg.n, local: this.#opts.now() }));
        if (msg.rttMs !== undefined) this.#rtt = msg.rttMs;
        if (msg.offsetMs !== undefined) this.#offset = msg.offsetMs;
        return;
      case 'peer.joined':
        if (this.#lobby !== undefined && !this.#lobby.members.some((m) => m.id === msg.peer.id)) {
          this.#lobby.members.push(msg.peer);
          this.#lobby.members.sort((a, b) => a.id - b.id);
        }
        this.#events.emit('peerJoined', msg.peer);
        return;
      case 'peer.left':
        if (this.#lobby !== undefined) {
          this.#lobby.members = this.#lobby.members.filter((m) => m.id !== msg.id);
          this.#lobby.links = this.#lobby.links.filter((l) => l.a !== msg.id && l.b !== msg.id);
        }
        this.#events.emit('peerLeft', { id: msg.id, reason: msg.reason });
        return;
      case 'peer.away':
      case 'peer.back': {
        const m = this.#lobby?.members.find((x) => x.id === msg.id);
        if (m !== undefined) m.away = msg.type === 'peer.away';
        if (msg.type === 'peer.away') this.#events.emit('peerAway', { id: msg.id, graceMs: msg.graceMs });
        else this.#events.emit('peerBack', { id: msg.id });
        return;
      }
      case 'lobby.owner':
        if (this.#lobby !== undefined) this.#lobby.owner = msg.owner;
        this.#events.emit('ownerChanged', { owner: msg.owner });
        return;
      case 'lobby.sealed':
        if (this.#lobby !== undefined) this.#lobby.sealed = true;
        this.#events.emit('sealed', {});
        return;
      case 'pair.start': {
        if (msg.offsetMs !== null) this.#offset = msg.offsetMs;
        const p: PairStart = { pair: msg.pair, remote: msg.remote, role: msg.role, at: msg.at, startAt: msg.at + this.#offset, secret: fromBase64Url(msg.secret) };
        if (msg.replaces !== undefined) p.replaces = msg.replaces;
        if (this.#lobby !== undefined) {
          const a = Math.min(msg.remote, this.#you ?? 0);
          const b = Math.max(msg.remote, this.#you ?? 0);
          this.#lobby.links = this.#lobby.links.filter((l) => !(l.a === a && l.b === b));
          this.#lobby.links.push({ pair: msg.pair, a, b, state: 'pending' });
        }
        this.#events.emit('pairStart', p);
        return;
      }
      case 'pair.candidates':
      {
        const ev: CandidatesEvent = { pair: msg.pair, from: msg.from, candidates: msg.candidates, done: msg.done };
        if (msg.nat !== undefined) ev.nat = msg.nat;
        if (msg.fingerprint !== undefined) ev.fingerprint = msg.fingerprint;
        this.#events.emit('candidates', ev);
        return;
      }
      case 'link.updated':
        if (this.#lobby !== undefined) {
          const i = this.#lobby.links.findIndex((l) => l.pair === msg.link.pair);
          if (i >= 0) this.#lobby.links[i] = msg.link;
          else this.#lobby.links.push(msg.link);
        }
        this.#events.emit('linkUpdated', msg.link);
        return;
      case 'shutdown':
        this.#events.emit('shutdown', { reason: msg.reason });
        return;
    }
  }

  #emitError(err: SignalingError): void {
    this.#events.emit('error', err);
  }

  #rejectPending(err: SignalingError): void {
    for (const [rid, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.#pending.delete(rid);
    }
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws || this.#state === 'closed') return;
    this.#rejectPending(new SignalingError('SIG_CLIENT_CONNECTION_LOST', `the connection closed (${code}) before an answer came`, { code }));
    // The socket of a resume attempt: that attempt's request has just failed and its loop tries
    // again. A second loop here would race the first for the same token (a cluster gateway
    // closes an attempt with 1001 when the lobby's home node turns out dead): each loop's
    // resume.ok invalidated the other's token and each failure terminated the other's socket,
    // so the client never settled (the flaky `--workers` kill -9 test).
    if (this.#state === 'resuming' && code !== CloseCode.Normal && code !== CloseCode.Replaced) return;
    // 1000: we left; 4004: another connection took our session. Anything else, 1001 (the
    // service shut down: a restarted one gets the lobby back by lobby.restore) included, is an
    // outage the lobby outlives.
    const resumable = this.#opts.autoResume && this.#token !== undefined && code !== CloseCode.Normal && code !== CloseCode.Replaced;
    this.#events.emit('disconnected', { code, reason, willResume: resumable });
    if (!resumable) {
      this.#finish(code, reason, undefined);
      return;
    }
    this.#state = 'resuming';
    void this.#resumeLoop();
  }

  /**
   * Gets the lobby back (issue #12): every URL in turn, starting with the one just lost, with
   * backoff and jitter (ReconnectSchedule) for at most reconnectWindowMs. On each: hello, then
   * `resume` with our token; a service that does not know it (it restarted) gets
   * `lobby.restore` with the lobby key, under the id we hold.
   */
  async #resumeLoop(): Promise<void> {
    const plan = this.#schedule(this.#opts.reconnectWindowMs);
    const first = this.#urlIndex;
    let a: ReconnectAttempt | undefined = plan.begin(this.#opts.now(), false);
    let lastError: SignalingError | undefined;
    while (a !== undefined && this.#state === 'resuming') {
      await this.#sleepUntil(a.at);
      if (this.#state !== 'resuming') return;
      const index = (first + a.url) % this.urls.length;
      const url = this.urls[index]!;
      try {
        await this.#open(url);
        const linked = this.#linked();
        let msg: ServerMessage;
        let restored = false;
        try {
          msg = await this.#request({ type: 'resume', token: this.#token, linked }, this.#ws, true);
        } catch (err) {
          if ((err as SignalingError).code !== 'SIG_RESUME_REJECTED' || this.#key === undefined || this.#lobby === undefined || !this.caps.includes('restore')) throw err;
          msg = await this.#request(this.#restoreBody(linked), this.#ws, true);
          restored = true;
        }
        if (msg.type !== 'resume.ok' && msg.type !== 'lobby.joined') throw this.#unexpected(msg);
        this.#you = msg.you;
        this.#token = msg.token;
        this.#lobby = msg.lobby;
        if (msg.key !== undefined) this.#key = msg.key;
        this.#urlIndex = index;
        this.#state = 'open';
        this.#events.emit('resumed', { you: msg.you, lobby: msg.lobby, restored, url });
        return;
      } catch (err) {
        lastError = err instanceof SignalingError ? err : new SignalingError('SIG_CLIENT_CONNECT_FAILED', String(err));
        // A socket opened for this attempt must not outlive it (the next attempt opens its own).
        this.#ws?.terminate();
        if (this.#liveness !== undefined) clearInterval(this.#liveness);
        // Without a lobby key nothing can bring a forgotten session back.
        if (lastError.code === 'SIG_RESUME_REJECTED') break;
      }
      a = plan.next(this.#opts.now());
      if (a !== undefined && this.#state === 'resuming') {
        this.#events.emit('retrying', { attempt: a.attempt, error: lastError, url: this.urls[(first + a.url) % this.urls.length]!, inMs: Math.max(0, a.at - this.#opts.now()) });
      }
    }
    if (this.#state === 'resuming') {
      const error = lastError ?? new SignalingError('SIG_RESUME_REJECTED', `could not get the lobby back within ${this.#opts.reconnectWindowMs} ms`);
      this.#finish(CloseCode.ResumeFailed, 'resume failed', error);
    }
  }

  /** The ids we have a live link with: the caller's answer, else our view's connected links. */
  #linked(): number[] {
    const you = this.#you;
    if (this.#opts.linkedPeers !== undefined) return this.#opts.linkedPeers().filter((id) => id !== you).slice(0, 4096);
    const out: number[] = [];
    for (const l of this.#lobby?.links ?? []) if (l.state === 'connected' && (l.a === you || l.b === you)) out.push(l.a === you ? l.b : l.a);
    return out;
  }

  #restoreBody(linked: number[]): Record<string, unknown> {
    const v = this.#lobby!;
    const body: Record<string, unknown> = {
      type: 'lobby.restore', lobby: v.code, key: this.#key, you: this.#you,
      members: v.members.map((m) => m.id).filter((id) => id !== this.#you).slice(0, 4096), linked,
      mode: v.mode, maxPeers: v.maxPeers, sealed: v.sealed,
    };
    if (this.#password !== undefined) body.password = this.#password;
    if (this.#claim !== undefined) body.claim = this.#claim;
    return body;
  }

  #finish(code: number, reason: string, error: SignalingError | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#liveness !== undefined) clearInterval(this.#liveness);
    this.#rejectPending(new SignalingError('SIG_CLIENT_CLOSED', 'the client closed before an answer came'));
    this.#forgetLobby();
    this.#events.emit('closed', error === undefined ? { code, reason } : { code, reason, error });
  }
}
