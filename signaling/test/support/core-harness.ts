// Drives a SignalingCore with a virtual clock and records what each connection receives.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { decodeServerMessage } from '@meshpunch/protocol';
import type { LobbyView, ServerMessage } from '@meshpunch/protocol';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { forwardedText } from '../../src/core/forwarded-candidates.js';
import { SignalingCore } from '../../src/core/signaling-core.js';
import type { SignalingCoreOptions } from '../../src/core/config.js';

/** A fast deterministic stand-in for scrypt (the core only needs a salted one-way function). */
export function testHash(secret: string, salt: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(salt).update(secret).digest());
}

export interface Closed { code: number; reason: string }

/** A virtual-time driver around one core. */
export class CoreHarness {
  now = 1000;
  readonly core: SignalingCore;
  readonly prng: Prng;
  readonly inbox = new Map<number, ServerMessage[]>();
  readonly closed = new Map<number, Closed>();
  readonly logs: Array<{ level: string; event: string; fields: Record<string, string | number | boolean> }> = [];
  /** Members whose relay allocations the core asked to end (`relayRevoke` outputs), in order. */
  readonly relayRevoked: string[] = [];
  /** Keep the core's `hash` requests in `pendingHashes` instead of answering them at once. */
  holdHashes = false;
  /** Hash requests held (holdHashes), oldest first. */
  readonly pendingHashes: Array<{ job: number; secret: string; salt: Uint8Array }> = [];
  /** Hash requests the core made in all (the adapter's scrypt runs). */
  hashesAsked = 0;
  /** Answer heartbeats, and welcomes standing for one (1.7), at once (RTT 0). */
  autoAck = true;
  /** Hand text frames to the core as bytes (handleTextBytes, as the adapter does) instead of as text. */
  viaBytes = false;
  /** Relayed pair.candidates spliced from their frames (CoreOutput 'candidates'). */
  forwarded = 0;
  /** Every text the core sent, in order, with its connection. */
  readonly sentTexts: Array<[number, string]> = [];
  #nextConn = 1;
  #rid = 100;

  constructor(options: Partial<SignalingCoreOptions> = {}, seed = seedFromEnv(0x5eed)) {
    this.prng = new Prng(seed);
    this.core = new SignalingCore({ random: (out) => this.prng.fill(out), connectionsPerSecondPerIp: 0, ...options });
  }

  open(ip = '10.0.0.1'): number {
    const id = this.#nextConn++;
    this.inbox.set(id, []);
    this.core.handleOpen(this.now, id, ip);
    this.drain();
    return id;
  }

  /** Sends an object (JSON-encoded) or raw text. */
  send(conn: number, msg: object | string): void {
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
    if (this.viaBytes) this.core.handleTextBytes(this.now, conn, Buffer.from(text));
    else this.core.handleMessage(this.now, conn, text, Buffer.byteLength(text));
    this.drain();
  }

  sendBinary(conn: number, bytes: number): void {
    this.core.handleMessage(this.now, conn, null, bytes);
    this.drain();
  }

  /** The peer closed its socket (1006 = dropped without a close frame). */
  drop(conn: number, code = 1006): void {
    this.core.handleClose(this.now, conn, code);
    this.drain();
  }

  /** Runs every deadline up to now + ms, in order. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (let i = 0; i < 1_000_000; i++) {
      const t = this.core.pollTimeout();
      if (t === undefined || t > target) break;
      this.now = Math.max(this.now, t);
      this.core.handleTimeout(this.now);
      this.drain();
    }
    this.now = target;
  }

  /** Answers the oldest `n` held hash requests (all by default), as the adapter would. */
  finishHashes(n = this.pendingHashes.length): void {
    for (const job of this.pendingHashes.splice(0, n)) {
      this.core.handleHashed(this.now, job.job, testHash(job.secret, job.salt));
      this.drain();
    }
  }

  drain(): void {
    const hashes: Array<{ job: number; secret: string; salt: Uint8Array }> = [];
    for (let o = this.core.pollOutput(); o !== undefined; o = this.core.pollOutput()) {
      if (o.kind === 'log') {
        this.logs.push({ level: o.level, event: o.event, fields: o.fields });
        continue;
      }
      if (o.kind === 'relayRevoke') {
        this.relayRevoked.push(o.member);
        continue;
      }
      if (o.kind === 'hash') {
        this.hashesAsked++;
        hashes.push({ job: o.job, secret: o.secret, salt: o.salt });
        continue;
      }
      if (o.kind === 'close') {
        expect(this.closed.has(o.conn), `conn ${o.conn} closed twice`).to.equal(false);
        this.closed.set(o.conn, { code: o.code, reason: o.reason });
        continue;
      }
      expect(this.closed.has(o.conn), `send to conn ${o.conn} after its close`).to.equal(false);
      // A spliced pair.candidates as the bytes the adapter writes (writeForwarded), as text.
      const text = o.kind === 'candidates' ? forwardedText(o) : o.text;
      if (o.kind === 'candidates') this.forwarded++;
      this.sentTexts.push([o.conn, text]);
      const res = decodeServerMessage(text);
      if (!res.ok) expect.fail(`service sent an invalid message: ${res.message}: ${text}`);
      const msg = res.message;
      this.inbox.get(o.conn)!.push(msg);
      const hb = msg.type === 'heartbeat' || msg.type === 'welcome' ? msg.n : undefined;
      if (hb !== undefined && this.autoAck) {
        this.core.handleMessage(this.now, o.conn, JSON.stringify({ type: 'heartbeat.ack', n: hb, local: this.now + 5000 }), 40);
      }
    }
    this.pendingHashes.push(...hashes);
    if (!this.holdHashes && hashes.length > 0) this.finishHashes();
  }

  /** Removes and returns everything conn received (heartbeats left out unless asked). */
  take(conn: number, withHeartbeats = false): ServerMessage[] {
    const all = this.inbox.get(conn)!;
    this.inbox.set(conn, []);
    return withHeartbeats ? all : all.filter((m) => m.type !== 'heartbeat');
  }

  /** Messages of one type conn received, removing them from its inbox. */
  takeType<T extends ServerMessage['type']>(conn: number, type: T): Array<Extract<ServerMessage, { type: T }>> {
    const all = this.inbox.get(conn)!;
    this.inbox.set(conn, all.filter((m) => m.type !== type));
    return all.filter((m) => m.type === type) as Array<Extract<ServerMessage, { type: T }>>;
  }

  /** Sends a request with a fresh rid and returns the answer carrying that rid. */
  request(conn: number, body: Record<string, unknown>): ServerMessage {
    const rid = this.#rid++;
    this.send(conn, { ...body, rid });
    const inbox = this.inbox.get(conn)!;
    const i = inbox.findIndex((m) => 'rid' in m && m.rid === rid);
    if (i < 0) expect.fail(`no answer to ${String(body.type)} (rid ${rid}); got ${JSON.stringify(inbox.map((m) => m.type))}`);
    const [msg] = inbox.splice(i, 1);
    return msg!;
  }

  /** Expects an error answer with `code`; returns it. */
  expectError(conn: number, body: Record<string, unknown>, code: string): Extract<ServerMessage, { type: 'error' }> {
    const msg = this.request(conn, body);
    expect(msg.type, JSON.stringify(msg)).to.equal('error');
    const err = msg as Extract<ServerMessage, { type: 'error' }>;
    expect(err.code).to.equal(code);
    return err;
  }

  /** Opens a connection and completes hello. */
  client(name?: string, ip?: string): number {
    const c = this.open(ip);
    const msg = this.request(c, name === undefined ? { type: 'hello', versions: [1] } : { type: 'hello', versions: [1], name });
    expect(msg.type).to.equal('welcome');
    this.take(c);
    return c;
  }

  create(conn: number, opts: Record<string, unknown> = {}): { you: number; token: string; lobby: LobbyView } {
    const msg = this.request(conn, { type: 'lobby.create', ...opts });
    if (msg.type !== 'lobby.joined') expect.fail(`create failed: ${JSON.stringify(msg)}`);
    return msg;
  }

  join(conn: number, lobby: string, password?: string): { you: number; token: string; lobby: LobbyView } {
    const msg = this.request(conn, password === undefined ? { type: 'lobby.join', lobby } : { type: 'lobby.join', lobby, password });
    if (msg.type !== 'lobby.joined') expect.fail(`join failed: ${JSON.stringify(msg)}`);
    return msg;
  }
}
