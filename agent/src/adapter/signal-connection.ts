// The agent's WebSocket connection to the signaling service (adapter): hello/welcome, request ids,
// answers matched to requests, heartbeats answered, every other message surfaced as an event.

import { EventEmitter } from 'node:events';
import {
  decodeServerMessage,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  type ClientMessage,
  type ServerMessage,
  type WelcomeMessage,
} from '@meshpunch/protocol';
import WebSocket from 'ws';
import { AgentError } from '../errors.js';

/** Requests wait this long for their answer: a healthy service answers in milliseconds. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Largest frame accepted from the service (its own limit is 4 KiB; lobby views of 32 fit in 64 KiB). */
const MAX_FRAME_BYTES = 64 * 1024;

/** A request without its rid; the connection assigns it. */
export type ClientRequest = ClientMessage extends infer M ? M extends { rid: number } ? Omit<M, 'rid'> : never : never;

/** Events of a SignalConnection. */
export interface SignalConnectionEvents {
  /** A service message that is not an answer to one of our requests (peer.joined, pair.start, …). */
  message: [msg: ServerMessage];
  /** The WebSocket closed (code per RFC 6455 / protocol CloseCode, reason text). */
  closed: [code: number, reason: string];
}

interface Pending {
  resolve(msg: ServerMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One open, greeted connection. Create with `SignalConnection.open(url)`. */
export class SignalConnection extends EventEmitter<SignalConnectionEvents> {
  readonly welcome: WelcomeMessage;
  /** Latest service estimate of (our clock − service clock), ms, or undefined. */
  offsetMs: number | undefined;
  /** Messages from the service that failed validation (dropped, counted). */
  badMessages = 0;
  private readonly ws: WebSocket;
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  private closedFlag = false;
  /** Messages that arrived before anyone listened (e.g. pair.start right after lobby.joined). */
  private readonly backlog: ServerMessage[] = [];

  private constructor(ws: WebSocket, welcome: WelcomeMessage, offsetMs: number) {
    super();
    this.ws = ws;
    this.welcome = welcome;
    this.offsetMs = offsetMs;
  }

  /** Our clock for the protocol: integer monotonic ms. */
  static now(): number {
    return Math.floor(performance.now());
  }

  /**
   * Connects and says hello.
   * @throws AgentError AGENT_SIGNAL_FAILED when the service is unreachable, refuses the version,
   *   or does not answer within REQUEST_TIMEOUT_MS.
   */
  static open(url: string, name?: string): Promise<SignalConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: REQUEST_TIMEOUT_MS });
      let done = false;
      const sentAt = SignalConnection.now();
      const fail = (why: string, cause?: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new AgentError('AGENT_SIGNAL_FAILED', `signaling service ${url}: ${why}`, { url }, cause));
      };
      const timer = setTimeout(() => fail(`no welcome within ${REQUEST_TIMEOUT_MS} ms`), REQUEST_TIMEOUT_MS);
      ws.on('error', (err) => fail(err.message, err));
      ws.on('close', (code, reason) => fail(`closed before welcome (${code} ${reason.toString()})`));
      ws.on('open', () => {
        const hello: Record<string, unknown> = { type: 'hello', rid: 0, versions: [...SUPPORTED_VERSIONS], caps: ['stun', 'link-view'] };
        if (name !== undefined) hello.name = name;
        ws.send(JSON.stringify(hello));
      });
      ws.on('message', (data) => {
        const r = decodeServerMessage(data.toString());
        if (!r.ok) return fail(`bad first message: ${r.message}`);
        const msg = r.message;
        if (msg.type === 'error') return fail(`${msg.code}: ${msg.message}`);
        if (msg.type !== 'welcome') return fail(`expected welcome, got ${msg.type}`);
        if (msg.version !== PROTOCOL_VERSION) return fail(`service speaks protocol ${msg.version}, we speak ${PROTOCOL_VERSION}`);
        done = true;
        clearTimeout(timer);
        ws.removeAllListeners();
        const rtt = SignalConnection.now() - sentAt;
        // Our clock minus the service clock, assuming the welcome was stamped half way.
        const conn = new SignalConnection(ws, msg, sentAt + rtt / 2 - msg.now);
        conn.attach();
        resolve(conn);
      });
    });
  }

  /** True once the WebSocket is closed. */
  get isClosed(): boolean {
    return this.closedFlag;
  }

  /**
   * Sends a request and resolves with its answer (any message with our rid).
   * @throws AgentError with the service's wire code in `details.wireCode` when it answers `error`;
   *   AGENT_SIGNAL_FAILED on timeout or a closed connection.
   */
  request(msg: ClientRequest): Promise<ServerMessage> {
    if (this.closedFlag) return Promise.reject(new AgentError('AGENT_SIGNAL_FAILED', 'the signaling connection is closed'));
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new AgentError('AGENT_SIGNAL_FAILED', `${msg.type} got no answer within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(rid, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...msg, rid }));
    });
  }

  /** Sends a request whose answer we do not wait for (e.g. pair.result); errors are ignored. */
  fire(msg: ClientRequest): void {
    this.request(msg).catch(() => {});
  }

  /** Closes with 1000 (the service then drops us from the lobby at once, no grace). */
  close(): void {
    if (this.closedFlag) return;
    this.ws.close(1000, 'bye');
    this.shutdown(1000, 'closed by us');
  }

  private attach(): void {
    this.ws.on('message', (data) => this.onFrame(data.toString()));
    this.ws.on('close', (code, reason) => this.shutdown(code, reason.toString()));
    this.ws.on('error', () => {
      // 'close' follows; the error itself carries nothing the close does not.
    });
  }

  private onFrame(text: string): void {
    const r = decodeServerMessage(text);
    if (!r.ok) {
      this.badMessages++;
      return;
    }
    const msg = r.message;
    if (msg.type === 'heartbeat') {
      if (msg.offsetMs !== undefined) this.offsetMs = msg.offsetMs;
      this.ws.send(JSON.stringify({ type: 'heartbeat.ack', n: msg.n, local: SignalConnection.now() }));
      return;
    }
    const rid = 'rid' in msg ? msg.rid : null;
    if (typeof rid === 'number' && this.pending.has(rid)) {
      const p = this.pending.get(rid)!;
      this.pending.delete(rid);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(new AgentError('AGENT_SIGNAL_FAILED', `${msg.code}: ${msg.message}`, { wireCode: msg.code }));
      else p.resolve(msg);
      return;
    }
    if (this.listenerCount('message') === 0) {
      // Bounded: a service that floods before we listen is broken; the oldest are dropped.
      if (this.backlog.length >= 1024) this.backlog.shift();
      this.backlog.push(msg);
    } else this.emit('message', msg);
  }

  /** Attaches the message listener and delivers what arrived before it, in order. */
  deliverTo(listener: (msg: ServerMessage) => void): void {
    this.on('message', listener);
    while (this.backlog.length > 0) listener(this.backlog.shift()!);
  }

  private shutdown(code: number, reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AgentError('AGENT_SIGNAL_FAILED', `the signaling connection closed (${code} ${reason})`));
    }
    this.pending.clear();
    this.emit('closed', code, reason);
  }
}
