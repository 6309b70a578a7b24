// SignalingClient: the typed, promise-based client of the signaling service over `ws` (adapter).
// The protocol — requests, the lobby copy, heartbeats, connect retries and resume — is the sans-IO
// ClientSession (core/client-session.ts); this file opens and closes its sockets, runs it on the
// shared CoreRunner and turns its outcomes into promises and events.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { CoreRunner } from '@meshpunch/base';
import { CAPABILITIES, SUPPORTED_VERSIONS } from '@meshpunch/protocol';
import type { Candidate, LobbyMode, LobbyView, NatHint, RelayInfo, ServerMessage, WelcomeMessage } from '@meshpunch/protocol';
import { ClientSession } from '../core/client-session.js';
import type { RequestKind, ServiceAddress } from '../core/client-session.js';
import type { JoinedLobby, PairResult, RelayCredentials, SignalingClientEventName, SignalingClientEvents } from '../core/client-events.js';
import { SignalingError } from '../errors.js';
import { lobbyClaim } from './lobby-claim.js';

// ws is CommonJS: require() loads it in ~15 ms, where an ESM import spends ~50 ms more having
// Node lex its files for named exports; meshpunch join pays that per launch (issue #7).
type WebSocket = import('ws').WebSocket;
const { WebSocket } = createRequire(import.meta.url)('ws') as typeof import('ws');

export type {
  CandidatesEvent, JoinedLobby, PairResult, PairStart, RelayCredentials, SignalingClientEvents,
} from '../core/client-events.js';

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
  /**
   * Capabilities to offer. Default: all this version knows. Without `link-view` the service sends
   * lobby views with `links: []` (1.8), so `lobby.links` holds only the pairs later `pair.start`s
   * and `link.updated`s name.
   */
  caps?: string[];
  /** Local monotonic clock in ms; `PairStart.startAt` is on this clock. Default performance.now(). */
  now?: () => number;
  /** Extra HTTP headers for the upgrade request (e.g. Origin). */
  headers?: Record<string, string>;
  /**
   * The lobby (name or code) this client is going to create or join, named in the WebSocket URL
   * (`?lobby=`, protocol.md "Routing hint") so a service of several processes hands the
   * connection to the one that runs the lobby. Once in a lobby, reconnects name that lobby.
   * Advice only: any service serves the client without it.
   */
  lobby?: string;
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

/**
 * The absolute lobby view URL for the service's `view` path (protocol 1.3): the signaling URL's
 * host with ws → http, wss → https; undefined without a view.
 */
export function lobbyViewUrl(signalingUrl: string, view: string | undefined): string | undefined {
  if (view === undefined) return undefined;
  const u = new URL(signalingUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}${view}`;
}

/** Most service URLs one client rotates over. */
const MAX_URLS = 16;
/** A transmit buffer for the longest message a client sends (candidates, restore's id lists): 1 MiB. */
const TX_BUFFER_BYTES = 1 << 20;
/** ms close() waits for the service's close frame before dropping the socket. */
const CLOSE_WAIT_MS = 2000;

/** First wait before an admission refused SIG_UNAVAILABLE is sent again, ms (doubling, jittered). */
const UNAVAILABLE_RETRY_FIRST_MS = 100;
/** Longest wait between two such tries, ms. */
const UNAVAILABLE_RETRY_MAX_MS = 2000;
/** Most tries of one admission (the time bound, requestTimeoutMs, usually ends it first). */
const UNAVAILABLE_RETRY_MAX_ATTEMPTS = 50;

/** What a join remembers for lobby.restore (only what was given). */
function rememberFor(password: string | undefined, claim: string | undefined): { password?: string; claim?: string } {
  const out: { password?: string; claim?: string } = {};
  if (password !== undefined) out.password = password;
  if (claim !== undefined) out.claim = claim;
  return out;
}

interface Waiter {
  resolve: (msg: ServerMessage) => void;
  reject: (err: SignalingError) => void;
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
  readonly #opts: Required<Omit<SignalingClientOptions, 'name' | 'headers' | 'linkedPeers' | 'lobby'>> & Pick<SignalingClientOptions, 'name' | 'headers' | 'linkedPeers' | 'lobby'>;
  readonly #events = new EventEmitter();
  /** The protocol: requests, lobby copy, heartbeats, retries and resume (sans-IO). */
  readonly #session: ClientSession;
  readonly #runner: CoreRunner;
  readonly #waiters = new Map<number, Waiter>();
  /** The socket the session uses, if any; a socket it gave up is no longer here. */
  #ws: WebSocket | undefined;
  /** Resolves when the first connect ends (set by connect()). */
  #connected: { resolve: () => void; reject: (err: SignalingError) => void } | undefined;
  /** Resolves when the socket close() gave up has closed. */
  #socketClosed: Promise<void> | undefined;

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
      lobby: options.lobby,
    };
    this.#events.on('error', () => undefined);
    this.#session = new ClientSession({
      services: urls.map((url) => serviceAddress(url)),
      name: this.#opts.name,
      caps: this.#opts.caps,
      versions: SUPPORTED_VERSIONS,
      requestTimeoutMs: this.#opts.requestTimeoutMs,
      connectTimeoutMs: this.#opts.connectTimeoutMs,
      retryConnectMs: this.#opts.retryConnectMs,
      autoResume: this.#opts.autoResume,
      reconnectWindowMs: this.#opts.reconnectWindowMs,
      random: this.#opts.random,
      linkedPeers: this.#opts.linkedPeers,
    });
    this.#runner = new CoreRunner(this.#session, {
      // One socket at a time: `to` is always the service of the current socket.
      send: (bytes) => this.#ws?.send(Buffer.from(bytes), { binary: false }),
      afterInput: () => this.#drainEvents(),
      now: this.#opts.now,
      scratchBytes: TX_BUFFER_BYTES,
      unref: false,
    });
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
    await new Promise<void>((resolve, reject) => {
      c.#connected = { resolve, reject };
      c.#session.connect(c.#opts.now());
      c.#runner.start();
      c.#runner.kick();
    });
    return c;
  }

  /** The service URL in use (or last used). */
  get url(): string {
    return this.urls[this.#session.serviceIndex]!;
  }

  // ---------------------------------------------------------------- state

  /** The negotiated protocol version. */
  get version(): number {
    return this.#session.welcome!.version;
  }

  /** Capabilities both sides offered. */
  get caps(): readonly string[] {
    return this.#session.welcome!.caps;
  }

  /** The service's welcome (limits, grace, heartbeat interval, STUN port). */
  get welcome(): WelcomeMessage {
    return this.#session.welcome!;
  }

  /** UDP port of the service's embedded STUN responder, if it has one. */
  get stunPort(): number | undefined {
    return this.#session.welcome?.stunPort;
  }

  /**
   * (1.2) The relay servers the service offers credentials for (`welcome.relay`), or undefined
   * when it offers none. A server without `host` is on the signaling URL's host.
   */
  get relay(): RelayInfo | undefined {
    return this.#session.welcome?.relay;
  }

  /**
   * (1.2) Asks for TURN REST credentials for this member, valid at Allocate for `ttlS` seconds on
   * every server listed (relay.md §1). Needs lobby membership; at most 6 per minute.
   * @throws SignalingError SIG_RELAY_UNAVAILABLE (no relay, or full), SIG_RATE_LIMITED,
   *   SIG_NOT_IN_LOBBY (rejects)
   */
  async relayCredentials(): Promise<RelayCredentials> {
    const msg = await this.#request({ type: 'relay.credentials' }, 'relayCredentials');
    if (msg.type !== 'relay.credentials') throw new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`);
    return { username: msg.username, password: msg.password, ttlS: msg.ttlS, realm: msg.realm, servers: msg.servers };
  }

  /** Our peer id in the current lobby, or undefined outside one. */
  get peerId(): number | undefined {
    return this.#session.peerId;
  }

  /** Our view of the lobby, kept current from events; undefined outside one. */
  get lobby(): LobbyView | undefined {
    return this.#session.lobby;
  }

  /** Estimated local clock − service clock, in ms. */
  get clockOffsetMs(): number {
    return this.#session.clockOffsetMs;
  }

  /** Latest signaling RTT in ms (as the service measured it), if known. */
  get rttMs(): number | undefined {
    return this.#session.rttMs;
  }

  /** True while connected (not resuming, not closed). */
  get isOpen(): boolean {
    return this.#session.isOpen;
  }

  /** Converts a service-clock time (ms) to this client's clock. */
  serviceToLocal(t: number): number {
    return t + this.#session.clockOffsetMs;
  }

  /** Converts a local-clock time (ms) to the service clock. */
  localToService(t: number): number {
    return t - this.#session.clockOffsetMs;
  }

  // ---------------------------------------------------------------- events

  /** Adds a listener for a typed event (see SignalingClientEvents). */
  on<K extends SignalingClientEventName>(event: K, listener: (e: SignalingClientEvents[K]) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  /** Removes a listener added with `on`. */
  off<K extends SignalingClientEventName>(event: K, listener: (e: SignalingClientEvents[K]) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Resolves with the next `event` whose payload passes `filter`.
   * @throws SignalingError SIG_CLIENT_TIMEOUT after timeoutMs (default requestTimeoutMs); SIG_CLIENT_CLOSED when the client closes first
   */
  next<K extends SignalingClientEventName>(event: K, options: { timeoutMs?: number; filter?: (e: SignalingClientEvents[K]) => boolean } = {}): Promise<SignalingClientEvents[K]> {
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
    const msg = await this.#admission(req, rememberFor(options.password, req.claim as string | undefined));
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
    const msg = await this.#admission(req, rememberFor(options.password, req.claim as string | undefined));
    return this.#joined(msg);
  }

  /** Leaves the current lobby; resolves also when in none. */
  async leave(): Promise<void> {
    await this.#request({ type: 'lobby.leave' }, 'leave');
  }

  /**
   * Seals the lobby (owner only): nobody new may join.
   * @throws SignalingError SIG_NOT_OWNER, SIG_NOT_IN_LOBBY (rejects)
   */
  async seal(): Promise<void> {
    await this.#request({ type: 'lobby.seal' }, 'seal');
  }

  /** Fetches the lobby view (members and links) from the service. */
  async getLobby(): Promise<LobbyView> {
    const msg = await this.#request({ type: 'lobby.get' }, 'lobbyState');
    if (msg.type !== 'lobby.state') throw new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`);
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
    this.#session.close();
    this.#runner.kick();
    await this.#socketClosed;
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
    if (msg.type !== 'lobby.joined') throw new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`);
    const viewUrl = lobbyViewUrl(this.url, msg.view);
    return viewUrl === undefined ? { you: msg.you, lobby: msg.lobby } : { you: msg.you, lobby: msg.lobby, viewUrl };
  }

  /**
   * lobby.create / lobby.join, sent again while the service answers SIG_UNAVAILABLE (a cluster
   * node that cannot reach its lobby store right now refuses admissions before it handles them,
   * and says to retry later: docs/errors.md), with backoff and jitter, for at most
   * requestTimeoutMs from the first try; then that error is what the caller gets.
   */
  async #admission(body: Record<string, unknown>, remember: { password?: string; claim?: string }): Promise<ServerMessage> {
    const end = this.#opts.now() + this.#opts.requestTimeoutMs;
    let waitMs = UNAVAILABLE_RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#request(body, 'joined', remember);
      } catch (err) {
        const jittered = waitMs / 2 + this.#opts.random() * (waitMs / 2);
        const retry = err instanceof SignalingError && err.code === 'SIG_UNAVAILABLE' && attempt < UNAVAILABLE_RETRY_MAX_ATTEMPTS && this.#opts.now() + jittered < end;
        if (!retry) throw err;
        await new Promise((r) => setTimeout(r, jittered));
        waitMs = Math.min(UNAVAILABLE_RETRY_MAX_MS, waitMs * 2);
      }
    }
  }

  #request(body: Record<string, unknown>, kind: RequestKind = 'plain', remember: { password?: string; claim?: string } = {}): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const rid = this.#session.request(this.#opts.now(), body, kind, remember);
      this.#waiters.set(rid, { resolve, reject });
      this.#runner.kick();
    });
  }

  /** Carries out what the session asks for and hands its outcomes on (the runner calls this after every input). */
  #drainEvents(): void {
    for (let e = this.#session.pollEvent(); e !== undefined; e = this.#session.pollEvent()) {
      switch (e.type) {
        case 'openSocket':
          this.#openSocket(this.urls[e.service]!);
          break;
        case 'closeSocket':
          this.#giveUpSocket(e.graceful, e.code, e.reason);
          break;
        case 'connected':
          this.#connected?.resolve();
          this.#connected = undefined;
          break;
        case 'connectFailed':
          this.#connected?.reject(e.error);
          this.#connected = undefined;
          break;
        case 'answer': {
          const w = this.#waiters.get(e.rid);
          this.#waiters.delete(e.rid);
          w?.resolve(e.message);
          break;
        }
        case 'requestFailed': {
          const w = this.#waiters.get(e.rid);
          this.#waiters.delete(e.rid);
          w?.reject(e.error);
          break;
        }
        case 'emit':
          this.#events.emit(e.event, e.payload);
          break;
      }
    }
  }

  /** Opens the socket the session asked for; its open, messages and close go to the session. */
  #openSocket(url: string): void {
    const sock = new WebSocket(withLobbyHint(url, this.#session.lobby?.code ?? this.#opts.lobby), { headers: this.#opts.headers, perMessageDeflate: false });
    this.#ws = sock;
    // Listen before 'open': frames that came in the same TCP segment as the upgrade response
    // are parsed right after 'open' is emitted.
    sock.on('message', (data: Buffer, isBinary: boolean) => {
      if (sock !== this.#ws) return;
      if (isBinary) this.#session.handleBinaryMessage(this.#opts.now());
      else this.#session.handleDatagram(this.#opts.now(), NO_SOURCE, data);
      this.#runner.kick();
    });
    let failure: Error | undefined;
    sock.on('error', (err: Error) => {
      failure ??= err;
    });
    sock.once('unexpected-response', (_req, res) => {
      failure ??= new Error(`HTTP ${res.statusCode}`);
      sock.terminate();
    });
    sock.once('open', () => {
      if (sock !== this.#ws) return;
      this.#session.handleSocketOpen(this.#opts.now());
      this.#runner.kick();
    });
    sock.once('close', (code: number, reason: Buffer) => {
      if (sock !== this.#ws) return;
      this.#ws = undefined;
      this.#session.handleSocketClosed(this.#opts.now(), code, reason.toString(), failure);
      this.#runner.kick();
    });
  }

  /** The session gave the socket up: close it (graceful) or drop it; its close is not reported. */
  #giveUpSocket(graceful: boolean, code: number, reason: string): void {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws === undefined) return;
    if (!graceful || ws.readyState !== WebSocket.OPEN) {
      ws.terminate();
      return;
    }
    this.#socketClosed = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, CLOSE_WAIT_MS);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      ws.close(code, reason);
    });
  }
}

/** Where the session's datagrams go: the URL's host and port (the adapter has one socket, so this only labels it). */
function serviceAddress(url: string): ServiceAddress {
  const u = new URL(url);
  return { address: u.hostname, port: u.port === '' ? (u.protocol === 'wss:' ? 443 : 80) : Number(u.port), url };
}

/** The session does not look at `from` (one socket at a time). */
const NO_SOURCE = Object.freeze({ address: '', port: 0 });

/** `url` with the routing hint `?lobby=` (protocol.md "Routing hint"), unless it names one already. */
function withLobbyHint(url: string, lobby: string | undefined): string {
  if (lobby === undefined) return url;
  const u = new URL(url);
  if (u.searchParams.has('lobby')) return url;
  u.searchParams.set('lobby', lobby);
  return u.toString();
}
