// A WebSocket service and its clients on the simulator's network (docs/design.md §6): the signaling
// service's core and the signaling client's sans-IO session as SansIoCores, so SimDriver runs them
// in virtual time with seeds next to the ENet, STUN and punch cores. The cores are described by
// their shapes only (the simulator depends on no package it tests). A WebSocket is a reliable
// ordered stream: links carrying it should have no loss and no jitter. Each datagram is one frame
// of a small stream framing tagged with the client's connection number:
//
//   byte 0: OPEN=1 OPEN_OK=2 TEXT=3 CLOSE=4 · bytes 1..4: connection tag (uint32 BE, the client's)
//   TEXT: UTF-8 text · CLOSE: code (uint16 BE) then UTF-8 reason
import { createHash } from 'node:crypto';
import type { Endpoint, MutableEndpoint, SansIoCore } from './endpoint.js';

/** What the signaling service's core looks like to the simulator (SignalingCore's shape). */
export interface StreamServiceCore {
  handleOpen(now: number, conn: number, ip: string): void;
  handleMessage(now: number, conn: number, text: string | null, byteLength: number): void;
  handleClose(now: number, conn: number, code: number): void;
  handleHashed(now: number, job: number, hash: Uint8Array | undefined): void;
  handleTimeout(now: number): void;
  pollTimeout(): number | undefined;
  pollOutput(): StreamServiceOutput | undefined;
  readonly connectionCount: number;
}

/** The outputs the simulator acts on; others (logs, relay revocations) are dropped. */
export type StreamServiceOutput =
  | { kind: 'send'; conn: number; text: string }
  | { kind: 'close'; conn: number; code: number; reason: string }
  | { kind: 'hash'; job: number; secret: string; salt: Uint8Array }
  | { kind: string };

/** What the signaling client's session looks like to the simulator (ClientSession's shape). */
export interface StreamClientCore extends SansIoCore {
  readonly serviceIndex: number;
  connect(now: number): void;
  close(): void;
  request(now: number, body: Record<string, unknown>): number;
  handleSocketOpen(now: number): void;
  handleSocketClosed(now: number, code: number, reason: string): void;
  pollEvent(): StreamClientEvent | undefined;
}

/** The session events the simulator acts on or records. */
export type StreamClientEvent =
  | { type: 'openSocket'; service: number }
  | { type: 'closeSocket'; graceful: boolean; code: number; reason: string }
  | { type: 'answer'; rid: number; message: unknown }
  | { type: 'requestFailed'; rid: number; error: unknown }
  | { type: string };

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

/** A service core behind the framing; password hashes are answered at once with a fast stand-in (SHA-256). */
export class SimStreamService<C extends StreamServiceCore = StreamServiceCore> implements SansIoCore {
  core: C;
  readonly #make: () => C;
  readonly #conns = new Map<string, number>();
  readonly #byConn = new Map<number, { from: Endpoint; tag: number }>();
  readonly #out = new FrameQueue();
  #nextConn = 1;
  /** Answers a client message instead of the core when it returns a message (a misbehaving service). */
  intercept: ((msg: Record<string, unknown>) => Record<string, unknown> | undefined) | undefined = undefined;

  /** @param make builds the core (again on `restart()`). */
  constructor(make: () => C) {
    this.#make = make;
    this.core = make();
  }

  /** Connections the core holds. */
  get connections(): number {
    return this.core.connectionCount;
  }

  /** The service restarts: every connection is gone (nothing sent), the state forgotten. */
  restart(): void {
    this.core = this.#make();
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
      if (isHash(o)) {
        this.core.handleHashed(now, o.job, new Uint8Array(createHash('sha256').update(o.salt).update(o.secret).digest()));
        continue;
      }
      if (!isSend(o) && !isClose(o)) continue;
      const c = this.#byConn.get(o.conn);
      if (c === undefined) continue;
      if (isSend(o)) {
        this.#out.push(c.from, frame(TEXT, c.tag, enc.encode(o.text)));
      } else {
        this.#out.push(c.from, closeFrame(c.tag, o.code, o.reason));
        this.#byConn.delete(o.conn);
        this.#conns.delete(`${c.from.address}:${c.from.port}/${c.tag}`);
      }
    }
  }
}

/** A client session behind the framing; its socket orders are carried out on the simulated network. */
export class SimStreamClient<S extends StreamClientCore = StreamClientCore> implements SansIoCore {
  readonly session: S;
  readonly #services: readonly Endpoint[];
  readonly #out = new FrameQueue();
  #tag = 0;
  /** The tag of the socket the session uses, if any. */
  #current: number | undefined = undefined;
  readonly #local: Endpoint;
  /** Everything else the session reported, in order (request outcomes are in `answers`). */
  readonly records: StreamClientEvent[] = [];
  readonly answers = new Map<number, { message?: unknown; error?: unknown }>();
  /** Called with every recorded event as it happens (e.g. to act on a pair start). */
  onEvent: ((e: StreamClientEvent) => void) | undefined = undefined;
  /** Sockets opened in all. */
  socketsOpened = 0;

  /** @param session the client core, made for `services` (their order is its service indexes) */
  constructor(local: Endpoint, services: readonly Endpoint[], session: S) {
    this.#local = local;
    this.#services = services;
    this.session = session;
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
  request(now: number, body: Record<string, unknown>, kind?: string): number {
    const rid = (this.session.request as (now: number, body: Record<string, unknown>, kind?: string) => number)(now, body, kind);
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
    return this.records.filter((r) => r.type === 'emit' && (r as { event?: string }).event === event).map((r) => (r as unknown as { payload: T }).payload);
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
    for (let e = this.session.pollEvent(); e !== undefined; e = this.session.pollEvent()) {
      if (e.type === 'openSocket') {
        this.#current = ++this.#tag;
        this.socketsOpened++;
        this.#out.push(this.#services[(e as { service: number }).service]!, frame(OPEN, this.#current));
      } else if (e.type === 'closeSocket') {
        const c = e as { code: number; reason: string };
        if (this.#current !== undefined) this.#out.push(this.#services[this.session.serviceIndex]!, closeFrame(this.#current, c.code, c.reason));
        this.#current = undefined;
      } else if (e.type === 'answer' || e.type === 'requestFailed') {
        const a = e as { type: string; rid: number; message?: unknown; error?: unknown };
        this.answers.set(a.rid, a.type === 'answer' ? { message: a.message } : { error: a.error });
      } else {
        this.records.push(e);
        this.onEvent?.(e);
      }
    }
  }
}

function isHash(o: StreamServiceOutput): o is { kind: 'hash'; job: number; secret: string; salt: Uint8Array } {
  return o.kind === 'hash';
}

function isSend(o: StreamServiceOutput): o is { kind: 'send'; conn: number; text: string } {
  return o.kind === 'send';
}

function isClose(o: StreamServiceOutput): o is { kind: 'close'; conn: number; code: number; reason: string } {
  return o.kind === 'close';
}
