// ClientSession: the client side of the signaling protocol as a sans-IO core (issue #15) — hello,
// requests and their answers, the lobby copy, heartbeats, the first connect's retries and the
// resume loop after a drop. SignalingClient (adapter) drives it over `ws`; the simulator drives it
// over a virtual network. No sockets, timers or clocks here: time comes in as `now`.
//
// The WebSocket maps onto the sans-IO contract of @meshpunch/base (docs/design.md §2): a received
// text message is `handleDatagram`, each message to send comes out of `pollTransmit` (UTF-8, to the
// service in use), deadlines out of `pollTimeout`. The socket's life is driven by events: the core
// asks for a socket (`openSocket`) or gives one up (`closeSocket`), the adapter reports back with
// `handleSocketOpen` / `handleSocketClosed`. A socket the core gave up is dead to it: its close is
// not reported again (a resume attempt's socket closing never looks like a second drop).
//
// Phases:  idle ─connect→ connecting ─welcome→ open ─socket lost, in a lobby→ resuming ─resume.ok
//          / lobby.joined (restore)→ open;  connecting ─attempts used up→ closed (connectFailed);
//          resuming ─window over / rejected→ closed;  open ─lost outside a lobby, close()→ closed.
import { CloseCode, decodeServerMessage } from '@meshpunch/protocol';
import type { LobbyView, ServerMessage, WelcomeMessage } from '@meshpunch/protocol';
import type { Endpoint, MutableEndpoint, SansIoCore } from '@meshpunch/base';
import { SignalingError } from '../errors.js';
import type { SignalingErrorCode } from '../errors.js';
import { fromBase64Url } from './bytes.js';
import type { CandidatesEvent, PairStart, SignalingClientEventName, SignalingClientEvents } from './client-events.js';
import { addMember, connectedPeers, markAway, removeMember, restartLink, updateLink } from './client-lobby-copy.js';
import { RECONNECT_DEFAULTS, ReconnectSchedule } from './reconnect-schedule.js';
import type { ReconnectAttempt } from './reconnect-schedule.js';

/** One service the session may use: where datagrams go (`pollTransmit`'s `to`) and its URL (for messages and events). */
export interface ServiceAddress extends Endpoint {
  readonly url: string;
}

/** Settings of a ClientSession (the adapter resolves SignalingClientOptions into these). */
export interface ClientSessionConfig {
  /** The services in the order given (1..16). */
  readonly services: readonly ServiceAddress[];
  readonly name: string | undefined;
  readonly caps: readonly string[];
  readonly versions: readonly number[];
  /** ms to wait for an answer (hello waits at most connectTimeoutMs). */
  readonly requestTimeoutMs: number;
  /** ms for a socket to open, and at most for hello. */
  readonly connectTimeoutMs: number;
  /** ms during which the first connect is retried (0: one try per URL). */
  readonly retryConnectMs: number;
  readonly autoResume: boolean;
  /** ms after a drop during which attempts to get back start. */
  readonly reconnectWindowMs: number;
  /** Uniform in [0, 1): backoff jitter. */
  readonly random: () => number;
  /** The peers we hold a live link with (sent with resume and restore); default: our view's connected links. */
  readonly linkedPeers: (() => readonly number[]) | undefined;
}

/** What a request's answer does to the session before it is handed back. */
export type RequestKind = 'plain' | 'joined' | 'leave' | 'seal' | 'lobbyState' | 'relayCredentials';

/** Outputs of ClientSession.pollEvent: socket orders for the adapter, request outcomes, and client events. */
export type ClientSessionEvent =
  /** Open a WebSocket to `services[service]` and report with handleSocketOpen / handleSocketClosed. */
  | { type: 'openSocket'; service: number }
  /** Give up the current socket: close it with `code` when `graceful`, else drop it. Its close is not reported back. */
  | { type: 'closeSocket'; graceful: boolean; code: number; reason: string }
  /** The first connect finished hello. */
  | { type: 'connected' }
  /** The first connect failed for good. */
  | { type: 'connectFailed'; error: SignalingError }
  /** The answer to request `rid` (already applied to the session). */
  | { type: 'answer'; rid: number; message: ServerMessage }
  | { type: 'requestFailed'; rid: number; error: SignalingError }
  | { [K in SignalingClientEventName]: { type: 'emit'; event: K; payload: SignalingClientEvents[K] } }[SignalingClientEventName];

/** The session's phase (see the diagram above). */
export type ClientPhase = 'idle' | 'connecting' | 'open' | 'resuming' | 'closed';

/** The current socket's stage: none, opening, hello sent, or past hello. */
type SocketStage = 'none' | 'opening' | 'hello' | 'ready';

/** The session's own requests on a fresh socket: hello, then (resuming) resume or lobby.restore. */
type InternalStep = 'hello' | 'resume' | 'restore';

interface Pending {
  deadline: number;
  type: string;
  timeoutMs: number;
  kind: RequestKind;
  step: InternalStep | undefined;
  password: string | undefined;
  claim: string | undefined;
}

/** Heartbeats that may be missed before the socket is declared dead (the service sends one per heartbeatMs). */
const MISSED_HEARTBEATS = 2.5;
/** Most ids sent in `linked` / `members` (the service's own cap on those lists). */
const MAX_LISTED_IDS = 4096;
/** Error codes after which the first connect tries again: the service was away, or asked us to slow down. */
const RETRY_CONNECT_CODES: ReadonlySet<SignalingErrorCode> = new Set(['SIG_CLIENT_CONNECT_FAILED', 'SIG_CLIENT_TIMEOUT', 'SIG_SERVER_FULL', 'SIG_RATE_LIMITED']);

const utf8Encoder = new TextEncoder();

/** The answer to heartbeat `n` (or to a welcome standing for it, 1.7), sent at local time `now`. */
function heartbeatAck(n: number, now: number): string {
  return JSON.stringify({ type: 'heartbeat.ack', n, local: now });
}
const utf8Decoder = new TextDecoder();

/** The client side of one signaling session (see the file comment). */
export class ClientSession implements SansIoCore {
  readonly #cfg: ClientSessionConfig;
  #phase: ClientPhase = 'idle';
  #socket: SocketStage = 'none';
  /** Index of the service of the current socket (or of the last one that worked). */
  #service = 0;
  /** The service index resume attempts start rotating from. */
  #firstService = 0;
  #plan: ReconnectSchedule | undefined = undefined;
  /** The next attempt, waiting for its time. */
  #attempt: { at: number; service: number } | undefined = undefined;
  #openDeadline: number | undefined = undefined;
  #livenessDeadline: number | undefined = undefined;
  #lastHeard = 0;
  #helloSentAt = 0;
  /** An error the service sent (rid null) during hello: it explains a refusal better than the close. */
  #earlyError: SignalingError | undefined = undefined;
  readonly #pending = new Map<number, Pending>();
  #rid = 0;
  readonly #tx: string[] = [];
  #txHead = 0;
  readonly #events: ClientSessionEvent[] = [];
  #eventHead = 0;
  #welcome: WelcomeMessage | undefined = undefined;
  #offset = 0;
  #rtt: number | undefined = undefined;
  #you: number | undefined = undefined;
  #token: string | undefined = undefined;
  #lobby: LobbyView | undefined = undefined;
  /** The lobby key (restore capability) and the password we gave: what lobby.restore needs. */
  #key: string | undefined = undefined;
  #password: string | undefined = undefined;
  /** The claim our lobby was created with (1.3), sent again by lobby.restore. */
  #claim: string | undefined = undefined;

  constructor(config: ClientSessionConfig) {
    if (config.services.length < 1) throw new SignalingError('ERR_INVALID_PARAMETER', 'a ClientSession needs at least one service');
    this.#cfg = config;
  }

  // ---------------------------------------------------------------- getters

  get phase(): ClientPhase {
    return this.#phase;
  }

  /** True while connected and past hello (not resuming, not closed). */
  get isOpen(): boolean {
    return this.#phase === 'open';
  }

  /** Index of the service in use (or last used). */
  get serviceIndex(): number {
    return this.#service;
  }

  get welcome(): WelcomeMessage | undefined {
    return this.#welcome;
  }

  /** Estimated local clock − service clock, in ms. */
  get clockOffsetMs(): number {
    return this.#offset;
  }

  get rttMs(): number | undefined {
    return this.#rtt;
  }

  get peerId(): number | undefined {
    return this.#you;
  }

  get lobby(): LobbyView | undefined {
    return this.#lobby;
  }

  /** Requests waiting for an answer (the session's own included). */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  // ---------------------------------------------------------------- commands

  /** Starts the first connect: attempts over every service, retried within retryConnectMs. Once only. */
  connect(now: number): void {
    if (this.#phase !== 'idle') return;
    this.#phase = 'connecting';
    this.#plan = this.#schedule(this.#cfg.retryConnectMs);
    this.#firstService = 0;
    this.#planAttempt(now, this.#plan.begin(now, true));
  }

  /**
   * Sends a request; its outcome comes as an `answer` or `requestFailed` event with the returned
   * rid. `password` / `claim` are remembered when a `joined` request succeeds (for lobby.restore).
   */
  request(now: number, body: Record<string, unknown>, kind: RequestKind = 'plain', remember: { password?: string; claim?: string } = {}): number {
    this.#rid = (this.#rid + 1) >>> 0;
    const rid = this.#rid;
    if (this.#phase === 'closed') {
      this.#push({ type: 'requestFailed', rid, error: new SignalingError('SIG_CLIENT_CLOSED', 'the client is closed') });
    } else if (this.#phase !== 'open' || this.#socket !== 'ready') {
      this.#push({ type: 'requestFailed', rid, error: new SignalingError('SIG_CLIENT_CONNECTION_LOST', 'the connection to the service is down (resuming)') });
    } else {
      this.#send(now, rid, body, this.#cfg.requestTimeoutMs, kind, undefined, remember);
    }
    return rid;
  }

  /** Closes for good with 1000 (which leaves the lobby at once); pending requests fail with SIG_CLIENT_CLOSED. Idempotent. */
  close(): void {
    if (this.#phase === 'closed') return;
    const hadSocket = this.#socket !== 'none';
    this.#dropSocket();
    this.#finish(CloseCode.Normal, 'client closed', undefined);
    if (hadSocket) this.#push({ type: 'closeSocket', graceful: true, code: CloseCode.Normal, reason: 'client closed' });
  }

  /** Converts a service-clock time (ms) to this client's clock. */
  serviceToLocal(t: number): number {
    return t + this.#offset;
  }

  // ---------------------------------------------------------------- inputs

  /** The socket asked for by `openSocket` is open. */
  handleSocketOpen(now: number): void {
    if (this.#socket !== 'opening') return;
    this.#socket = 'hello';
    this.#openDeadline = undefined;
    this.#helloSentAt = now;
    const hello: Record<string, unknown> = { type: 'hello', versions: [...this.#cfg.versions], caps: [...this.#cfg.caps] };
    if (this.#cfg.name !== undefined) hello.name = this.#cfg.name;
    this.#rid = (this.#rid + 1) >>> 0;
    this.#send(now, this.#rid, hello, Math.min(this.#cfg.requestTimeoutMs, this.#cfg.connectTimeoutMs), 'plain', 'hello', {});
  }

  /**
   * The current socket closed (or could not open: `failure` says why). Not called for a socket
   * the core gave up with `closeSocket`.
   */
  handleSocketClosed(now: number, code: number, reason: string, failure?: Error): void {
    const stage = this.#socket;
    if (stage === 'none') return;
    this.#dropSocket();
    if (stage === 'opening') {
      const why = failure?.message ?? `closed (${code} ${reason})`;
      this.#attemptFailed(now, new SignalingError('SIG_CLIENT_CONNECT_FAILED', `cannot connect to ${this.#url()}: ${why}`, { url: this.#url() }, failure));
    } else if (stage === 'hello') {
      this.#attemptFailed(now, this.#earlyError ?? new SignalingError('SIG_CLIENT_CONNECT_FAILED', `the service closed the connection (${code} ${reason})`, { code }));
    } else if (this.#phase === 'resuming') {
      this.#attemptFailed(now, new SignalingError('SIG_CLIENT_CONNECTION_LOST', `the connection closed (${code}) before an answer came`, { code }));
    } else {
      this.#lost(now, code, reason);
    }
  }

  /** A binary frame came: the protocol is text only. */
  handleBinaryMessage(now: number): void {
    if (this.#socket === 'none' || this.#socket === 'opening') return;
    this.#heard(now);
    this.#emit('error', new SignalingError('SIG_CLIENT_PROTOCOL', 'the service sent a binary frame'));
  }

  /** A text message from the service (UTF-8 bytes); `from` is not checked: one socket at a time. */
  handleDatagram(now: number, _from: Endpoint, bytes: Uint8Array): boolean {
    if (this.#socket === 'none' || this.#socket === 'opening') return false;
    this.#heard(now);
    const res = decodeServerMessage(utf8Decoder.decode(bytes));
    if (!res.ok) {
      this.#emit('error', new SignalingError('SIG_CLIENT_PROTOCOL', `invalid message from the service: ${res.message}`));
      return true;
    }
    this.#onMessage(now, res.message);
    return true;
  }

  handleTimeout(now: number): void {
    if (this.#attempt !== undefined && this.#attempt.at <= now) {
      const service = this.#attempt.service;
      this.#attempt = undefined;
      this.#startAttempt(now, service);
    }
    if (this.#openDeadline !== undefined && this.#openDeadline <= now) {
      this.#giveUpSocket();
      this.#attemptFailed(now, new SignalingError('SIG_CLIENT_CONNECT_FAILED', `cannot connect to ${this.#url()}: Opening handshake has timed out`, { url: this.#url() }));
    }
    for (const [rid, p] of this.#pending) {
      if (p.deadline > now || !this.#pending.has(rid)) continue;
      this.#pending.delete(rid);
      const error = new SignalingError('SIG_CLIENT_TIMEOUT', `no answer to ${p.type} within ${p.timeoutMs} ms`, { rid, type: p.type });
      if (p.step === undefined) {
        this.#push({ type: 'requestFailed', rid, error });
      } else {
        this.#giveUpSocket();
        this.#attemptFailed(now, p.step === 'hello' ? this.#earlyError ?? error : error);
      }
    }
    if (this.#livenessDeadline !== undefined && this.#livenessDeadline <= now) {
      // As a dropped TCP connection would: the socket is given up and the loss handled (1006).
      this.#giveUpSocket();
      if (this.#phase === 'resuming') this.#attemptFailed(now, new SignalingError('SIG_CLIENT_CONNECTION_LOST', 'the connection closed (1006) before an answer came', { code: 1006 }));
      else this.#lost(now, 1006, '');
    }
  }

  // ---------------------------------------------------------------- outputs

  pollTransmit(_now: number, out: Uint8Array, to: MutableEndpoint): number {
    if (this.#txHead >= this.#tx.length) return 0;
    const text = this.#tx[this.#txHead]!;
    const { read, written } = utf8Encoder.encodeInto(text, out);
    if (read < text.length) throw new SignalingError('ERR_INVALID_PARAMETER', `the transmit buffer must hold the message: ${out.length} bytes is too small`);
    this.#tx[this.#txHead++] = '';
    if (this.#txHead === this.#tx.length) {
      this.#tx.length = 0;
      this.#txHead = 0;
    }
    const s = this.#cfg.services[this.#service]!;
    to.address = s.address;
    to.port = s.port;
    return written;
  }

  pollTimeout(): number | undefined {
    let t = this.#attempt?.at;
    if (this.#openDeadline !== undefined && (t === undefined || this.#openDeadline < t)) t = this.#openDeadline;
    if (this.#livenessDeadline !== undefined && (t === undefined || this.#livenessDeadline < t)) t = this.#livenessDeadline;
    for (const p of this.#pending.values()) if (t === undefined || p.deadline < t) t = p.deadline;
    return t;
  }

  pollEvent(): ClientSessionEvent | undefined {
    if (this.#eventHead >= this.#events.length) {
      this.#events.length = 0;
      this.#eventHead = 0;
      return undefined;
    }
    const e = this.#events[this.#eventHead]!;
    this.#events[this.#eventHead++] = undefined as unknown as ClientSessionEvent;
    return e;
  }

  // ---------------------------------------------------------------- attempts

  #schedule(windowMs: number): ReconnectSchedule {
    return new ReconnectSchedule({ urlCount: this.#cfg.services.length, windowMs, random: this.#cfg.random, ...RECONNECT_DEFAULTS });
  }

  #planAttempt(now: number, a: ReconnectAttempt): void {
    this.#attempt = { at: a.at, service: (this.#firstService + a.url) % this.#cfg.services.length };
    if (a.at <= now) this.handleTimeout(now);
  }

  #startAttempt(now: number, service: number): void {
    this.#service = service;
    this.#socket = 'opening';
    this.#earlyError = undefined;
    this.#openDeadline = now + this.#cfg.connectTimeoutMs;
    this.#push({ type: 'openSocket', service });
  }

  /** An attempt (first connect or resume) failed at `now`: plan the next, or give up. */
  #attemptFailed(now: number, error: SignalingError): void {
    if (this.#phase === 'connecting') {
      const next = RETRY_CONNECT_CODES.has(error.code) ? this.#plan!.next(now) : undefined;
      if (next !== undefined) {
        this.#planAttempt(now, next);
        return;
      }
      this.#phase = 'closed';
      this.#push({ type: 'connectFailed', error });
      return;
    }
    if (this.#phase !== 'resuming') return;
    // Without a lobby key nothing can bring a forgotten session back.
    const next = error.code === 'SIG_RESUME_REJECTED' ? undefined : this.#plan!.next(now);
    if (next === undefined) {
      this.#finish(CloseCode.ResumeFailed, 'resume failed', error);
      return;
    }
    const service = (this.#firstService + next.url) % this.#cfg.services.length;
    this.#emit('retrying', { attempt: next.attempt, error, url: this.#cfg.services[service]!.url, inMs: Math.max(0, next.at - now) });
    this.#planAttempt(now, next);
  }

  /** The open session lost its socket at `now` (`code` from the close). */
  #lost(now: number, code: number, reason: string): void {
    this.#failUserRequests(new SignalingError('SIG_CLIENT_CONNECTION_LOST', `the connection closed (${code}) before an answer came`, { code }));
    // 1000: we left; 4004: another connection took our session. Anything else, 1001 (the
    // service shut down: a restarted one gets the lobby back by lobby.restore) included, is an
    // outage the lobby outlives.
    const resumable = this.#cfg.autoResume && this.#token !== undefined && code !== CloseCode.Normal && code !== CloseCode.Replaced;
    this.#emit('disconnected', { code, reason, willResume: resumable });
    if (!resumable) {
      this.#finish(code, reason, undefined);
      return;
    }
    this.#phase = 'resuming';
    this.#plan = this.#schedule(this.#cfg.reconnectWindowMs);
    this.#firstService = this.#service;
    this.#planAttempt(now, this.#plan.begin(now, false));
  }

  #finish(code: number, reason: string, error: SignalingError | undefined): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#attempt = undefined;
    this.#openDeadline = undefined;
    this.#livenessDeadline = undefined;
    this.#failUserRequests(new SignalingError('SIG_CLIENT_CLOSED', 'the client closed before an answer came'));
    this.#pending.clear();
    this.#forgetLobby();
    this.#emit('closed', error === undefined ? { code, reason } : { code, reason, error });
  }

  // ---------------------------------------------------------------- socket

  #url(): string {
    return this.#cfg.services[this.#service]!.url;
  }

  /** Forgets the current socket's state: queued messages, the session's own requests, deadlines. */
  #dropSocket(): void {
    this.#socket = 'none';
    this.#openDeadline = undefined;
    this.#livenessDeadline = undefined;
    this.#tx.length = 0;
    this.#txHead = 0;
    for (const [rid, p] of this.#pending) if (p.step !== undefined) this.#pending.delete(rid);
  }

  /** Gives the current socket up (the adapter drops it without reporting its close). */
  #giveUpSocket(): void {
    if (this.#socket === 'none') return;
    this.#dropSocket();
    this.#push({ type: 'closeSocket', graceful: false, code: 1006, reason: '' });
  }

  #heard(now: number): void {
    this.#lastHeard = now;
    const hb = this.#welcome?.heartbeatMs;
    // Strictly more than MISSED_HEARTBEATS intervals of silence: the first whole ms past it.
    if (this.#socket === 'ready' && hb !== undefined) this.#livenessDeadline = this.#lastHeard + Math.floor(hb * MISSED_HEARTBEATS) + 1;
  }

  #send(now: number, rid: number, body: Record<string, unknown>, timeoutMs: number, kind: RequestKind, step: InternalStep | undefined, remember: { password?: string; claim?: string }): void {
    const type = String(body.type);
    this.#pending.set(rid, { deadline: now + timeoutMs, type, timeoutMs, kind, step, password: remember.password, claim: remember.claim });
    this.#tx.push(JSON.stringify({ ...body, rid }));
  }

  #failUserRequests(error: SignalingError): void {
    for (const [rid, p] of this.#pending) {
      if (p.step !== undefined) continue;
      this.#pending.delete(rid);
      this.#push({ type: 'requestFailed', rid, error });
    }
  }

  // ---------------------------------------------------------------- messages

  #onMessage(now: number, msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome': case 'ok': case 'lobby.joined': case 'resume.ok': case 'lobby.state': case 'relay.credentials': {
        // (1.7) The welcome stands for the first heartbeat: acked first, before any request the
        // answer lets the caller make, so the service has an RTT sample for its first pairs.
        if (msg.type === 'welcome' && msg.n !== undefined) this.#tx.push(heartbeatAck(msg.n, now));
        const p = this.#pending.get(msg.rid);
        if (p === undefined) return;
        this.#pending.delete(msg.rid);
        if (p.step !== undefined) this.#onStepAnswer(now, p.step, msg);
        else this.#onAnswer(msg.rid, p, msg);
        return;
      }
      case 'error': {
        const err = new SignalingError(msg.code, msg.message, { rid: msg.rid, ...(msg.details ?? {}) });
        const p = msg.rid === null ? undefined : this.#pending.get(msg.rid);
        if (p === undefined) {
          if (this.#socket === 'hello') this.#earlyError = err;
          this.#emit('error', err);
          return;
        }
        this.#pending.delete(msg.rid!);
        if (p.step !== undefined) this.#onStepError(now, p.step, err);
        else this.#push({ type: 'requestFailed', rid: msg.rid!, error: err });
        return;
      }
      case 'heartbeat':
        this.#tx.push(heartbeatAck(msg.n, now));
        if (msg.rttMs !== undefined) this.#rtt = msg.rttMs;
        if (msg.offsetMs !== undefined) this.#offset = msg.offsetMs;
        return;
      case 'peer.joined':
        if (this.#lobby !== undefined) addMember(this.#lobby, msg.peer);
        this.#emit('peerJoined', msg.peer);
        return;
      case 'peer.left':
        if (this.#lobby !== undefined) removeMember(this.#lobby, msg.id);
        this.#emit('peerLeft', { id: msg.id, reason: msg.reason });
        return;
      case 'peer.away':
        if (this.#lobby !== undefined) markAway(this.#lobby, msg.id, true);
        this.#emit('peerAway', { id: msg.id, graceMs: msg.graceMs });
        return;
      case 'peer.back':
        if (this.#lobby !== undefined) markAway(this.#lobby, msg.id, false);
        this.#emit('peerBack', { id: msg.id });
        return;
      case 'lobby.owner':
        if (this.#lobby !== undefined) this.#lobby.owner = msg.owner;
        this.#emit('ownerChanged', { owner: msg.owner });
        return;
      case 'lobby.sealed':
        if (this.#lobby !== undefined) this.#lobby.sealed = true;
        this.#emit('sealed', {});
        return;
      case 'pair.start': {
        if (msg.offsetMs !== null) this.#offset = msg.offsetMs;
        const p: PairStart = { pair: msg.pair, remote: msg.remote, role: msg.role, at: msg.at, startAt: msg.at + this.#offset, secret: fromBase64Url(msg.secret) };
        if (msg.replaces !== undefined) p.replaces = msg.replaces;
        if (this.#lobby !== undefined) restartLink(this.#lobby, msg.pair, this.#you ?? 0, msg.remote);
        this.#emit('pairStart', p);
        return;
      }
      case 'pair.candidates': {
        const ev: CandidatesEvent = { pair: msg.pair, from: msg.from, candidates: msg.candidates, done: msg.done };
        if (msg.nat !== undefined) ev.nat = msg.nat;
        if (msg.fingerprint !== undefined) ev.fingerprint = msg.fingerprint;
        this.#emit('candidates', ev);
        return;
      }
      case 'link.updated':
        if (this.#lobby !== undefined) updateLink(this.#lobby, msg.link);
        this.#emit('linkUpdated', msg.link);
        return;
      case 'shutdown':
        this.#emit('shutdown', { reason: msg.reason });
        return;
    }
  }

  /** A user request's answer: applied to the session, then handed back (or refused as unexpected). */
  #onAnswer(rid: number, p: Pending, msg: ServerMessage): void {
    switch (p.kind) {
      case 'joined':
        if (msg.type !== 'lobby.joined') return this.#unexpected(rid, msg);
        this.#you = msg.you;
        this.#token = msg.token;
        this.#lobby = msg.lobby;
        this.#key = msg.key;
        this.#password = p.password;
        this.#claim = p.claim;
        break;
      case 'leave':
        this.#forgetLobby();
        break;
      case 'seal':
        if (this.#lobby !== undefined) this.#lobby.sealed = true;
        break;
      case 'lobbyState':
        if (msg.type !== 'lobby.state') return this.#unexpected(rid, msg);
        this.#lobby = msg.lobby;
        break;
      case 'relayCredentials':
        if (msg.type !== 'relay.credentials') return this.#unexpected(rid, msg);
        break;
      case 'plain':
        break;
    }
    this.#push({ type: 'answer', rid, message: msg });
  }

  #unexpected(rid: number, msg: ServerMessage): void {
    this.#push({ type: 'requestFailed', rid, error: new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`) });
  }

  /** The answer to one of the session's own requests on a fresh socket. */
  #onStepAnswer(now: number, step: InternalStep, msg: ServerMessage): void {
    if (step === 'hello') {
      if (msg.type !== 'welcome') return this.#stepFailed(now, new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`));
      this.#welcome = msg;
      // First estimate, until the service's heartbeat-based one arrives: assume symmetric delay.
      this.#offset = Math.round((this.#helloSentAt + now) / 2 - msg.now);
      this.#rtt ??= now - this.#helloSentAt;
      this.#socket = 'ready';
      this.#heard(now);
      if (this.#phase === 'connecting') {
        this.#phase = 'open';
        this.#push({ type: 'connected' });
        return;
      }
      const linked = this.#linked();
      this.#rid = (this.#rid + 1) >>> 0;
      this.#send(now, this.#rid, { type: 'resume', token: this.#token, linked }, this.#cfg.requestTimeoutMs, 'plain', 'resume', {});
      return;
    }
    if (msg.type !== 'resume.ok' && msg.type !== 'lobby.joined') return this.#stepFailed(now, new SignalingError('SIG_CLIENT_PROTOCOL', `unexpected answer ${msg.type}`));
    this.#you = msg.you;
    this.#token = msg.token;
    this.#lobby = msg.lobby;
    if (msg.key !== undefined) this.#key = msg.key;
    this.#phase = 'open';
    this.#emit('resumed', { you: msg.you, lobby: msg.lobby, restored: step === 'restore', url: this.#url() });
  }

  #onStepError(now: number, step: InternalStep, err: SignalingError): void {
    if (step === 'hello') return this.#stepFailed(now, this.#earlyError ?? err);
    if (step === 'resume' && err.code === 'SIG_RESUME_REJECTED' && this.#key !== undefined && this.#lobby !== undefined && this.#welcome!.caps.includes('restore')) {
      // The service no longer knows the session (it restarted): re-register the lobby under our id.
      this.#rid = (this.#rid + 1) >>> 0;
      this.#send(now, this.#rid, this.#restoreBody(this.#linked()), this.#cfg.requestTimeoutMs, 'plain', 'restore', {});
      return;
    }
    this.#stepFailed(now, err);
  }

  /** A step on a fresh socket failed: the socket is given up, the attempt counted as failed. */
  #stepFailed(now: number, err: SignalingError): void {
    this.#giveUpSocket();
    this.#attemptFailed(now, err);
  }

  /** The ids we have a live link with: the caller's answer, else our view's connected links. */
  #linked(): number[] {
    const you = this.#you;
    if (this.#cfg.linkedPeers !== undefined) return this.#cfg.linkedPeers().filter((id) => id !== you).slice(0, MAX_LISTED_IDS);
    return connectedPeers(this.#lobby, you);
  }

  #restoreBody(linked: number[]): Record<string, unknown> {
    const v = this.#lobby!;
    const body: Record<string, unknown> = {
      type: 'lobby.restore', lobby: v.code, key: this.#key, you: this.#you,
      members: v.members.map((m) => m.id).filter((id) => id !== this.#you).slice(0, MAX_LISTED_IDS), linked,
      mode: v.mode, maxPeers: v.maxPeers, sealed: v.sealed,
    };
    if (this.#password !== undefined) body.password = this.#password;
    if (this.#claim !== undefined) body.claim = this.#claim;
    return body;
  }

  #forgetLobby(): void {
    this.#you = undefined;
    this.#token = undefined;
    this.#lobby = undefined;
    this.#key = undefined;
    this.#password = undefined;
    this.#claim = undefined;
  }

  #emit<K extends SignalingClientEventName>(event: K, payload: SignalingClientEvents[K]): void {
    this.#push({ type: 'emit', event, payload } as ClientSessionEvent);
  }

  #push(e: ClientSessionEvent): void {
    this.#events.push(e);
  }
}
