// The core's output queue (core): texts to send, closes and log records in the order the core
// produced them, and the counters each output moves. SignalingCore fills it; the adapter drains
// it with SignalingCore.pollOutput after every input.
import { CLOSE_CODES } from '@meshpunch/protocol';
import type { ErrorMessage, ServerMessage, WireErrorCode } from '@meshpunch/protocol';
import { LOG_LEVELS } from './config.js';
import type { LogLevel } from './config.js';
import type { Connection } from './connection.js';
import type { ForwardedCandidates } from './forwarded-candidates.js';
import type { Lobby, Member } from './lobby.js';
import type { SignalingMetrics } from './metrics.js';

/** Something the adapter must do. */
export type CoreOutput =
  /**
   * `answer`: this text answers a request the client waits on before it can go on (welcome,
   * lobby.joined, resume.ok): the adapter writes it, with whatever `conn` was sent before it and
   * after it in the same drain, at the end of that drain instead of the event-loop turn's.
   */
  | { kind: 'send'; conn: number; text: string; answer?: true }
  | { kind: 'close'; conn: number; code: number; reason: string }
  /** Hash `secret` with `salt` off the event loop, then call SignalingCore.handleHashed(now, job, hash). */
  | { kind: 'hash'; job: number; secret: string; salt: Uint8Array }
  | { kind: 'log'; level: LogLevel; event: string; fields: Record<string, string | number | boolean> }
  /** End the relay allocations of `member` (`<lobbyTag>.<peerId>`) now: it left (relay.md §2(b) rule 2). */
  | { kind: 'relayRevoke'; member: string }
  /** A pair.candidates spliced from the sender's frame: a send whose text the adapter writes from bytes (forwarded-candidates.ts). */
  | ForwardedCandidates;

const CLOSE_NAME = new Map<number, string>(CLOSE_CODES.map(([name, code]) => [code, name]));

/** Ordered outputs of one SignalingCore; unbounded only between two drains (one input's worth). */
export class Outbox {
  /**
   * The queue: outputs #head..#length-1 wait. The array is kept from drain to drain (cleared
   * slots, its capacity the largest drain's): a fresh one per drain grew from 17 slots each
   * time, a few hundred bytes of garbage per relayed message when every message is a drain of
   * its own (issue 19).
   */
  readonly #out: Array<CoreOutput | undefined> = [];
  #length = 0;
  #head = 0;
  readonly #metrics: SignalingMetrics;
  readonly #logRank: number;

  constructor(metrics: SignalingMetrics, logLevel: LogLevel) {
    this.#metrics = metrics;
    this.#logRank = LOG_LEVELS.indexOf(logLevel);
  }

  /** The next output, or undefined when drained (the queue then starts over empty). */
  poll(): CoreOutput | undefined {
    if (this.#head >= this.#length) {
      this.#head = 0;
      this.#length = 0;
      return undefined;
    }
    const o = this.#out[this.#head]!;
    this.#out[this.#head++] = undefined;
    return o;
  }

  #push(o: CoreOutput): void {
    if (this.#length < this.#out.length) this.#out[this.#length] = o;
    else this.#out.push(o);
    this.#length++;
  }

  /** Sends `msg` (JSON) on `c`. */
  send(c: Connection, msg: ServerMessage): void {
    this.sendText(c, JSON.stringify(msg));
  }

  /**
   * Answers request `rid` with `ok`. The text is built directly (rid is a validated integer):
   * one `ok` per relayed pair.candidates, so JSON.stringify of a fresh object per relayed
   * message showed in the relay phase's profile (issue 19). Same bytes as send(c, {type, rid}).
   */
  ok(c: Connection, rid: number): void {
    this.sendText(c, `{"type":"ok","rid":${rid}}`);
  }

  /** Sends already-encoded text on `c` (one encoding shared by many receivers). */
  sendText(c: Connection, text: string): void {
    this.#metrics.messagesOut++;
    this.#push({ kind: 'send', conn: c.id, text });
  }

  /**
   * Sends `msg`, the answer `c` waits on before its next step (welcome, lobby.joined,
   * resume.ok), marked for a write at the end of this drain. An admission's answer queued
   * behind a whole event-loop turn of other connections' input waited on all of it: join p50
   * 4.6 ms against the Godot demo's 1.9 ms, whose server writes each answer when it makes it
   * (issue 19). Once or twice per connection, so the extra write costs little; events and
   * `ok`s stay batched per turn.
   */
  answer(c: Connection, msg: ServerMessage): void {
    this.#metrics.messagesOut++;
    this.#push({ kind: 'send', conn: c.id, text: JSON.stringify(msg), answer: true });
  }

  /** Sends to a member, or counts the message as dropped while it is away. */
  toMember(m: Member, msg: ServerMessage): void {
    if (m.conn !== null) this.send(m.conn, msg);
    else this.#metrics.droppedWhileAway++;
  }

  /** toMember with already-encoded text. */
  toMemberText(m: Member, text: string): void {
    if (m.conn !== null) this.sendText(m.conn, text);
    else this.#metrics.droppedWhileAway++;
  }

  /**
   * Sends a member the pair.candidates event whose candidates array is bytes start..end of the
   * frame being handled (forwarded-candidates.ts), or counts it as dropped while it is away.
   */
  forwardCandidates(m: Member, pair: number, from: number, bytes: Uint8Array, start: number, end: number, done: boolean): void {
    if (m.conn === null) {
      this.#metrics.droppedWhileAway++;
      return;
    }
    this.#metrics.messagesOut++;
    this.#push({ kind: 'candidates', conn: m.conn.id, pair, from, bytes, start, end, done });
  }

  /** Sends `msg` to every member of `lobby` but `except`; away members' copies are counted as dropped. */
  broadcast(lobby: Lobby, msg: ServerMessage, except: Member | undefined): void {
    const text = JSON.stringify(msg);
    lobby.revision++;
    for (const m of lobby.members.values()) {
      if (m === except) continue;
      if (m.conn !== null) this.sendText(m.conn, text);
      else this.#metrics.droppedWhileAway++;
    }
  }

  /** Answers with an `error` message and counts its code. */
  error(c: Connection, rid: number | null, code: WireErrorCode, message: string, details?: Record<string, string | number | boolean>): void {
    this.#metrics.errors[code]++;
    const msg: ErrorMessage = details === undefined ? { type: 'error', rid, code, message } : { type: 'error', rid, code, message, details };
    this.send(c, msg);
  }

  /** Asks the adapter to close `c` with WebSocket close `code` and counts the code. */
  close(c: Connection, code: number, reason: string): void {
    this.#push({ kind: 'close', conn: c.id, code, reason });
    const name = CLOSE_NAME.get(code);
    if (name !== undefined) this.#metrics.closes[name] = (this.#metrics.closes[name] ?? 0) + 1;
  }

  /** Asks the adapter for the slow hash of a password (see password-checks.ts). */
  hash(job: number, secret: string, salt: Uint8Array): void {
    this.#push({ kind: 'hash', job, secret, salt });
  }

  /** Asks the adapter to end the relay allocations of `member` (relay-access.ts). */
  relayRevoke(member: string): void {
    this.#push({ kind: 'relayRevoke', member });
  }

  /** Counts a close the WebSocket layer made itself (no close output: it is already closing). */
  countClose(code: number): void {
    const name = CLOSE_NAME.get(code);
    if (name !== undefined) this.#metrics.closes[name] = (this.#metrics.closes[name] ?? 0) + 1;
  }

  /** A log record, kept only at or above the configured level. */
  log(level: LogLevel, event: string, fields: Record<string, string | number | boolean>): void {
    if (LOG_LEVELS.indexOf(level) <= this.#logRank) this.#push({ kind: 'log', level, event, fields });
  }
}
