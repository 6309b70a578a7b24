// The --workers primary's part in routing connections (issue 14). The workers accept every
// connection themselves (worker-front.ts, node:cluster with SCHED_NONE) and serve it where it
// lands unless another worker homes the lobby its URL names; such a socket comes here with the
// bytes its worker read, and goes on to the worker worker-directory.ts picks, over node:cluster's
// IPC (the kernel passes the descriptor; the worker's HTTP server takes it as if it had accepted
// it: SignalingServer.adopt). The primary also keeps the directory of homes and passes each
// worker's reports to the others, so each worker can tell where a lobby lives.
import type { Socket } from 'node:net';
import type { Worker } from 'node:cluster';
import { routeHint, WorkerDirectory } from './worker-directory.js';
import { stopReading } from './worker-front.js';
import type { MovedConnection } from './cluster-node.js';

/** The `to` and `move` fields of an IPC message (a moved connection's), checked; undefined when absent or malformed. */
export function movedOf(m: { to?: unknown; move?: unknown }): HeldSocket['move'] {
  const v = m.move as { ip?: unknown; hello?: unknown; frames?: unknown } | undefined;
  if (typeof m.to !== 'number' || typeof v !== 'object' || v === null) return undefined;
  if (typeof v.ip !== 'string' || typeof v.hello !== 'string' || !Array.isArray(v.frames)) return undefined;
  return { to: m.to, state: { ip: v.ip, hello: v.hello, frames: v.frames.filter((f): f is string => typeof f === 'string') } };
}

/**
 * IPC message kinds between the primary and its workers (the `mp` field): conn (primary →
 * worker: a socket to serve), forward (worker → primary: a socket for another worker), ready
 * (worker → primary, and primary → workers with its index), gone (primary → workers), homes
 * (worker → primary, and primary → the other workers with the reporting worker's index).
 */
export const HANDOFF = { conn: 'meshpunch:conn', forward: 'meshpunch:forward', released: 'meshpunch:released', ready: 'meshpunch:ready', gone: 'meshpunch:gone', homes: 'meshpunch:homes' } as const;

/**
 * Sends `socket` over a node:cluster IPC channel, then a `released` message with the same id.
 * Node keeps the sender's copy of a passed descriptor open until the receiver acknowledges it,
 * and holds every message sent after a handle until that acknowledgement has closed the copy:
 * so `released` arrives only once the sender's copy is gone, and the receiver must not answer
 * the client before that. Answering earlier lost the client's first frames after the 101 now
 * and then (1 to 8 connections in 3 000 passed worker → primary → worker; none in 12 000 when
 * the answer waited 50 ms): read, with the socket still open in two processes, where they were
 * not wanted.
 */
export function sendSocket(send: (msg: unknown, handle?: Socket, cb?: (err: Error | null) => void) => void, kind: string, id: number, head: Buffer, socket: Socket, extra: Record<string, unknown> = {}): void {
  send({ mp: kind, id, head: head.toString('latin1'), ...extra }, socket, (err) => {
    if (err !== null) socket.destroy();
  });
  send({ mp: HANDOFF.released, id });
}

function destroyOnError(this: Socket): void {
  this.destroy();
}

/** A socket received and not yet released: the bytes read from it, and where a moved one goes (and its state). */
export interface HeldSocket {
  socket: Socket;
  head: Buffer;
  /** A connection moved after its upgrade (SiblingProcesses in signaling-server.ts): its worker and what it carries. */
  move?: { to: number; state: MovedConnection } | undefined;
}

/** Sockets received and not yet released by their sender, by id; bounded, oldest dropped. */
export class HeldSockets {
  readonly #held = new Map<number, HeldSocket>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  hold(id: number, socket: Socket, head: Buffer, move?: HeldSocket['move']): void {
    // A reset while held must not be an unhandled 'error'.
    socket.on('error', destroyOnError);
    this.#held.set(id, { socket, head, move });
    if (this.#held.size > this.#max) {
      const [oldest, h] = this.#held.entries().next().value as [number, { socket: Socket }];
      this.#held.delete(oldest);
      h.socket.destroy();
    }
  }

  /** The socket `id`, now that its sender's copy is closed (undefined: unknown). */
  release(id: number): HeldSocket | undefined {
    const h = this.#held.get(id);
    this.#held.delete(id);
    h?.socket.off('error', destroyOnError);
    if (h?.socket.destroyed === true) return undefined;
    return h;
  }

  clear(): void {
    for (const h of this.#held.values()) h.socket.destroy();
    this.#held.clear();
  }
}

/** The primary's directory of its workers and the sockets it passes between them. */
export class ConnectionRouter {
  readonly directory: WorkerDirectory;
  readonly #workers: Array<Worker | undefined>;
  /** Sockets forwarded while no worker was ready (all restarting): they go at the next ready report. */
  readonly #waiting: Array<{ socket: Socket; head: Buffer; line: string }> = [];
  readonly #maxWaiting: number;
  /** Per worker: sockets it sent here whose release has not come yet. */
  readonly #held: HeldSockets[];
  #nextId = 1;
  /** Per worker: the cluster node it runs (its ready report), so workers can move connections to each other by node. */
  readonly #nodes: Array<string | undefined>;
  /** Sockets passed on, and those refused because no worker was ready or whose hand-off failed. */
  forwarded = 0;
  dropped = 0;

  constructor(workers: number, maxWaiting: number) {
    this.directory = new WorkerDirectory(workers);
    this.#workers = Array.from({ length: workers }, () => undefined);
    this.#nodes = Array.from({ length: workers }, () => undefined);
    this.#maxWaiting = maxWaiting;
    this.#held = Array.from({ length: workers }, () => new HeldSockets(maxWaiting));
  }

  /** A message (and handle) from worker `index`; other messages are ignored. */
  onWorkerMessage(index: number, worker: Worker, msg: unknown, handle?: unknown): void {
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { mp?: unknown; add?: unknown; drop?: unknown; head?: unknown; id?: unknown; to?: unknown; move?: unknown; node?: unknown };
    if (m.mp === HANDOFF.forward) {
      const socket = handle as Socket | undefined;
      if (socket === undefined || typeof socket.destroy !== 'function' || typeof m.id !== 'number') return;
      // At once, in this call: node started reading the received socket when it made it, and
      // whatever this process reads is lost to the worker it goes to (without this, 7 % of
      // the forwarded connections lost their first frames).
      stopReading(socket);
      this.#held[index]!.hold(m.id, socket, Buffer.from(typeof m.head === 'string' ? m.head : '', 'latin1'), movedOf(m));
    } else if (m.mp === HANDOFF.released && typeof m.id === 'number') {
      // The sending worker's copy is closed: pass the socket on.
      const h = this.#held[index]!.release(m.id);
      if (h === undefined) return;
      if (h.move !== undefined) return this.#move(h.socket, h.head, h.move.to, h.move.state);
      const eol = h.head.indexOf('\r\n');
      this.#handOff(h.socket, h.head, eol < 0 ? '' : h.head.toString('latin1', 0, eol));
    } else if (m.mp === HANDOFF.ready) {
      this.#workers[index] = worker;
      this.directory.ready(index);
      this.#nodes[index] = typeof m.node === 'string' ? m.node : undefined;
      this.#broadcast(index, { mp: HANDOFF.ready, index, node: this.#nodes[index] });
      // The new worker learns the others' nodes (their ready reports came before it was there).
      this.#nodes.forEach((node, i) => {
        if (i !== index && node !== undefined && this.#workers[i]?.isConnected() === true) worker.send({ mp: HANDOFF.ready, index: i, node });
      });
      for (const w of this.#waiting.splice(0)) this.#handOff(w.socket, w.head, w.line);
    } else if (m.mp === HANDOFF.homes && this.#workers[index] === worker) {
      const add = strings(m.add);
      const drop = strings(m.drop);
      this.directory.homes(index, add, drop);
      this.#broadcast(index, { mp: HANDOFF.homes, index, add, drop });
    }
  }

  /** Worker `index` exited: no connections for it until its replacement is ready. */
  workerGone(index: number, worker: Worker): void {
    if (this.#workers[index] !== worker) return;
    this.#workers[index] = undefined;
    this.#nodes[index] = undefined;
    this.#held[index]!.clear();
    this.directory.gone(index);
    this.#broadcast(index, { mp: HANDOFF.gone, index });
  }

  /** Drops the sockets waiting for a worker. */
  close(): void {
    for (const w of this.#waiting.splice(0)) w.socket.destroy();
    for (const h of this.#held) h.clear();
  }

  /** Sends `msg` to every connected worker but `except`. */
  #broadcast(except: number, msg: Record<string, unknown>): void {
    this.#workers.forEach((w, i) => {
      if (i !== except && w?.isConnected() === true) w.send(msg);
    });
  }

  /** A connection moved after its upgrade goes to the worker its sender named, or nowhere (its client reconnects). */
  #move(socket: Socket, rest: Buffer, to: number, state: MovedConnection): void {
    const worker = this.#workers[to];
    if (socket.destroyed) return;
    if (worker === undefined || !worker.isConnected()) {
      this.dropped++;
      socket.destroy();
      return;
    }
    this.forwarded++;
    sendSocket((msg, h, cb) => (h === undefined ? worker.send(msg as object) : worker.send(msg as object, h, cb)), HANDOFF.conn, this.#nextId++, rest, socket, { to, move: state });
  }

  #handOff(socket: Socket, head: Buffer, line: string): void {
    if (socket.destroyed) return;
    const index = this.directory.pick(routeHint(line));
    const worker = index === undefined ? undefined : this.#workers[index];
    if (worker === undefined || !worker.isConnected()) {
      if (this.#waiting.length < this.#maxWaiting) {
        this.#waiting.push({ socket, head, line });
        return;
      }
      this.dropped++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.forwarded++;
    sendSocket((msg, h, cb) => (h === undefined ? worker.send(msg as object) : worker.send(msg as object, h, cb)), HANDOFF.conn, this.#nextId++, head, socket);
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
