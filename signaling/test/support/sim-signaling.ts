// The signaling service (SignalingCore) and client (ClientSession) as SansIoCores on the simulator's
// network, so SimDriver runs them in virtual time with seeds (docs/design.md §6). A WebSocket is
// a reliable ordered stream: the links used here have no loss and no jitter, and each datagram is
// one frame of a small stream framing (open, open-ok, text, close) tagged with the connection.
//
//   byte 0: OPEN=1 OPEN_OK=2 TEXT=3 CLOSE=4 · bytes 1..4: connection tag (uint32 BE, the client's)
//   TEXT: UTF-8 text · CLOSE: code (uint16 BE) then UTF-8 reason
import { createHash } from 'node:crypto';
import type { Endpoint, MutableEndpoint, SansIoCore } from '@meshpunch/base';
import { SUPPORTED_VERSIONS, CAPABILITIES } from '@meshpunch/protocol';
import type { ServerMessage } from '@meshpunch/protocol';
import type { Prng } from '@meshpunch/sim';
import { SignalingCore } from '../../src/core/signaling-core.js';
import type { SignalingCoreOptions } from '../../src/core/config.js';
import { ClientSession } from '../../src/core/client-session.js';
import type { ClientSessionConfig, ClientSessionEvent, RequestKind } from '../../src/core/client-session.js';
import type { SignalingError } from '../../src/errors.js';

const OPEN = 1;
const OPEN_OK = 2;
const TEXT = 3;
const CLOSE = 4;
const HEADER = 5;

const enc = new TextEncoder();
const dec = new TextDecoder();

function frame(kind: number, tag: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEADER + body.length);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, tag);
  out.set(body, HEADER);
  return out;
}

function closeFrame(tag: number, code: number, reason: string): Uint8Array {
  const r = enc.encode(reason);
  const body = new Uint8Array(2 + r.length);
  new DataView(body.buffer).setUint16(0, code);
  body.set(r, 2);
  return frame(CLOSE, tag, body);
}

interface Queued { to: Endpoint; bytes: Uint8Array }

/** A queue of framed datagrams a wrapper sends before anything else. */
class FrameQueue {
  readonly #q: Queued[] = [];
  push(to: Endpoint, bytes: Uint8Array): void {
    this.#q.push({ to: { address: to.address, port: to.port }, bytes });
  }
  poll(out: Uint8Array, to: MutableEndpoint): number {
    const f = this.#q.shift();
    if (f === undefined) return 0;
    out.set(f.bytes);
    to.address = f.to.address;
    to.port = f.to.port;
    return f.bytes.length;
  }
}

/** SignalingCore behind the framing; password hashes are answered at once with a fast stand-in. */
export class SimSignalingService implements SansIoCore {
  core: SignalingCore;
  readonly #options: SignalingCoreOptions;
  readonly #conns = new Map<string, number>();
  readonly #byConn = new Map<number, { from: Endpoint; tag: number }>();
  readonly #out = new FrameQueue();
  #nextConn = 1;
  /** Answers a client message instead of the core when it returns a message (a misbehaving service). */
  intercept: ((msg: Record<string, unknown>) => Record<string, unknown> | undefined) | undefined = undefined;

  constructor(options: Partial<SignalingCoreOptions>, prng: Prng) {
    this.#options = { random: (out) => prng.fill(out), connectionsPerSecondPerIp: 0, ...options };
    this.core = new SignalingCore(this.#options);
  }

  /** Connections the core holds. */
  get connections(): number {
    return this.core.connectionCount;
  }

  /** The service restarts: every connection is gone (nothing sent), the state forgotten. */
  restart(): void {
    this.core = new SignalingCore(this.#options);
    this.#conns.clear();
    this.#byConn.clear();
  }

  /** The TCP connection of `from`/`tag` breaks on the service's side (no close frame). */
  dropConnection(now: number, from: Endpoint, tag: number): void {
    const key = `${from.address}:${from.port}/${tag}`;
    const conn = this.#conns.get(key);
    if (conn === undefined) return;
    this.#conns.delete(key);
    this.#byConn.delete(conn);
    this.core.handleClose(now, conn, 1006);
    this.#drain(now);
  }

  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): boolean {
    const kind = bytes[0];
    const tag = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
    const key = `${from.address}:${from.port}/${tag}`;
    if (kind === OPEN) {
      const conn = this.#nextConn++;
      this.#conns.set(key, conn);
      this.#byConn.set(conn, { from: { address: from.address, port: from.port }, tag });
      this.#out.push(from, frame(OPEN_OK, tag));
      this.core.handleOpen(now, conn, from.address);
    } else {
      const conn = this.#conns.get(key);
      if (conn === undefined) return true;
      if (kind === TEXT) {
        const text = dec.decode(bytes.subarray(HEADER));
        const answer = this.intercept?.(JSON.parse(text) as Record<string, unknown>);
        if (answer !== undefined) this.#out.push(from, frame(TEXT, tag, enc.encode(JSON.stringify(answer))));
        else this.core.handleMessage(now, conn, text, bytes.length - HEADER);
      } else if (kind === CLOSE) {
        this.#conns.delete(key);
        this.#byConn.delete(conn);
        this.core.handleClose(now, conn, new DataView(bytes.buffer, bytes.byteOffset).getUint16(HEADER));
      }
    }
    this.#drain(now);
    return true;
  }

  handleTimeout(now: number): void {
    this.core.handleTimeout(now);
    this.#drain(now);
  }

  pollTransmit(_now: number, out: Uint8Array, to: MutableEndpoint): number {
    return this.#out.poll(out, to);
  }

  pollTimeout(): number | undefined {
    return this.core.pollTimeout();
  }

  #drain(now: number): void {
    for (let o = this.core.pollOutput(); o !== undefined; o = this.core.pollOutput()) {
      if (o.kind === 'hash') {
        this.core.handleHashed(now, o.job, new Uint8Array(createHash('sha256').update(o.salt).update(o.secret).digest()));
        continue;
      }
      if (o.kind !== 'send' && o.kind !== 'close') continue;
      const c = this.#byConn.get(o.conn);
      if (c === undefined) continue;
      if (o.kind === 'send') {
        this.#out.push(c.from, frame(TEXT, c.tag, enc.encode(o.text)));
      } else {
        this.#out.push(c.from, closeFrame(c.tag, o.code, o.reason));
        this.#byConn.delete(o.conn);
        this.#conns.delete(`${c.from.address}:${c.from.port}/${c.tag}`);
      }
    }
  }
}

/** What a SimSignalingClient got: the session's client events and its request outcomes. */
export type ClientRecord =
  | { type: 'emit'; event: string; payload: unknown }
  | { type: 'connected' }
  | { type: 'connectFailed'; error: SignalingError };

/** ClientSession behind the framing; its socket orders are carried out on the simulated network. */
export class SimSignalingClient implements SansIoCore {
  readonly session: ClientSession;
  readonly #services: readonly Endpoint[];
  readonly #out = new FrameQueue();
  #tag = 0;
  /** The tag of the socket the session uses, if any. */
  #current: number | undefined = undefined;
  readonly #local: Endpoint;
  /** Everything the session reported, in order (request outcomes are in `answers`). */
  readonly records: ClientRecord[] = [];
  readonly answers = new Map<number, { message?: ServerMessage; error?: SignalingError }>();
  /** Sockets opened in all. */
  socketsOpened = 0;

  constructor(local: Endpoint, services: readonly Endpoint[], config: Partial<ClientSessionConfig>, prng: Prng) {
    this.#local = local;
    this.#services = services;
    this.session = new ClientSession({
      services: services.map((s) => ({ ...s, url: `ws://${s.address}:${s.port}/` })),
      name: undefined, caps: [...CAPABILITIES], versions: SUPPORTED_VERSIONS,
      requestTimeoutMs: 10_000, connectTimeoutMs: 10_000, retryConnectMs: 0, autoResume: true, reconnectWindowMs: 600_000,
      random: () => prng.float(), linkedPeers: undefined,
      ...config,
    });
  }

  /** The connection tag in use (for SimSignalingService.dropConnection). */
  get tag(): number | undefined {
    return this.#current;
  }

  get local(): Endpoint {
    return this.#local;
  }

  connect(now: number): void {
    this.session.connect(now);
    this.#events();
  }

  /** Sends a request; its outcome appears in `answers` under the returned rid. */
  request(now: number, body: Record<string, unknown>, kind: RequestKind = 'plain'): number {
    const rid = this.session.request(now, body, kind);
    this.#events();
    return rid;
  }

  close(): void {
    this.session.close();
    this.#events();
  }

  /** The TCP connection breaks on this side (no close frame): the session sees 1006. */
  dropConnection(now: number): void {
    if (this.#current === undefined) return;
    this.#current = undefined;
    this.session.handleSocketClosed(now, 1006, '');
    this.#events();
  }

  /** Client events of one name, in order. */
  emitted<T = unknown>(event: string): T[] {
    return this.records.filter((r) => r.type === 'emit' && r.event === event).map((r) => (r as { payload: T }).payload);
  }

  handleDatagram(now: number, _from: Endpoint, bytes: Uint8Array): boolean {
    const tag = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
    if (tag !== this.#current) return true;
    switch (bytes[0]) {
      case OPEN_OK:
        this.session.handleSocketOpen(now);
        break;
      case TEXT:
        this.session.handleDatagram(now, _from, bytes.subarray(HEADER));
        break;
      case CLOSE: {
        this.#current = undefined;
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.session.handleSocketClosed(now, v.getUint16(HEADER), dec.decode(bytes.subarray(HEADER + 2)));
        break;
      }
    }
    this.#events();
    return true;
  }

  handleTimeout(now: number): void {
    this.session.handleTimeout(now);
    this.#events();
  }

  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number {
    const n = this.#out.poll(out, to);
    if (n > 0) return n;
    if (this.#current === undefined) return 0;
    const m = this.session.pollTransmit(now, out.subarray(HEADER), to);
    if (m === 0) return 0;
    out[0] = TEXT;
    new DataView(out.buffer, out.byteOffset).setUint32(1, this.#current);
    return HEADER + m;
  }

  pollTimeout(): number | undefined {
    return this.session.pollTimeout();
  }

  #events(): void {
    for (let e: ClientSessionEvent | undefined = this.session.pollEvent(); e !== undefined; e = this.session.pollEvent()) {
      switch (e.type) {
        case 'openSocket':
          this.#current = ++this.#tag;
          this.socketsOpened++;
          this.#out.push(this.#services[e.service]!, frame(OPEN, this.#current));
          break;
        case 'closeSocket':
          if (this.#current !== undefined) this.#out.push(this.#services[this.session.serviceIndex]!, closeFrame(this.#current, e.code, e.reason));
          this.#current = undefined;
          break;
        case 'answer':
          this.answers.set(e.rid, { message: e.message });
          break;
        case 'requestFailed':
          this.answers.set(e.rid, { error: e.error });
          break;
        default:
          this.records.push(e);
      }
    }
  }
}
