// The --workers primary's listener (issue 14): it accepts every TCP connection itself, reads
// the HTTP request line, and hands the socket — with the bytes read so far — to the worker
// worker-directory.ts picks, over node:cluster's IPC (the kernel passes the descriptor). The
// worker's HTTP server then takes the connection as if it had accepted it (SignalingServer.adopt).
// Node's own cluster scheduling passes every connection's handle the same way, round robin;
// reading one line first is what lets a lobby's members meet on its home worker.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Worker } from 'node:cluster';
import { PendingConnections } from '../core/pending-connections.js';
import { routeHint, WorkerDirectory } from './worker-directory.js';

/** IPC message kinds between the primary and its workers (the `mp` field). */
export const HANDOFF = { conn: 'meshpunch:conn', ready: 'meshpunch:ready', homes: 'meshpunch:homes' } as const;

/** Bytes of a request read before its line must be complete; past it, it goes to any worker (which answers 414/400). */
const MAX_LINE_BYTES = 8192;

export interface RouterLimits {
  readonly headersTimeoutMs: number;
  readonly maxPendingHttp: number;
  readonly maxPendingHttpPerIp: number;
}

interface Reading {
  chunks: Buffer[];
  bytes: number;
}

/** The primary's listener and the directory of its workers. */
export class ConnectionRouter {
  readonly directory: WorkerDirectory;
  readonly #workers: Array<Worker | undefined>;
  readonly #server: Server;
  readonly #pending: PendingConnections<Socket>;
  readonly #sweep: NodeJS.Timeout;
  /** Connections read while no worker was ready (at start, or all restarting): they go at the next ready report. */
  readonly #waiting: Array<{ socket: Socket; head: Buffer; line: string }> = [];
  readonly #maxWaiting: number;
  /** Connections refused because no worker was ready, or whose hand-off failed. */
  dropped = 0;

  constructor(workers: number, limits: RouterLimits) {
    this.directory = new WorkerDirectory(workers);
    this.#workers = Array.from({ length: workers }, () => undefined);
    this.#maxWaiting = limits.maxPendingHttp;
    this.#pending = new PendingConnections<Socket>(limits.maxPendingHttpPerIp, limits.maxPendingHttp, limits.headersTimeoutMs);
    this.#server = createServer({ noDelay: true }, (s) => this.#onConnection(s));
    this.#sweep = setInterval(() => {
      for (const s of this.#pending.expire(performance.now())) s.destroy();
    }, Math.min(1000, limits.headersTimeoutMs));
    this.#sweep.unref();
  }

  /** Listens; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as { port: number }).port);
      });
    });
  }

  /** A message from worker `index` (its ready report and its homes); other messages are ignored. */
  onWorkerMessage(index: number, worker: Worker, msg: unknown): void {
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { mp?: unknown; add?: unknown; drop?: unknown };
    if (m.mp === HANDOFF.ready) {
      this.#workers[index] = worker;
      this.directory.ready(index);
      for (const w of this.#waiting.splice(0)) this.#handOff(w.socket, w.head, w.line);
    } else if (m.mp === HANDOFF.homes && this.#workers[index] === worker) {
      this.directory.homes(index, strings(m.add), strings(m.drop));
    }
  }

  /** Worker `index` exited: no connections for it until its replacement is ready. */
  workerGone(index: number, worker: Worker): void {
    if (this.#workers[index] !== worker) return;
    this.#workers[index] = undefined;
    this.directory.gone(index);
  }

  /**
   * Stops accepting. Connections already handed over are the workers' to close: not waited for
   * (node counts them as the listener's until the worker's copy closes).
   */
  close(): void {
    clearInterval(this.#sweep);
    for (const s of this.#pending.expire(Number.POSITIVE_INFINITY)) s.destroy();
    for (const w of this.#waiting.splice(0)) w.socket.destroy();
    this.#server.close();
  }

  #onConnection(socket: Socket): void {
    let ip = socket.remoteAddress ?? '';
    if (ip.startsWith('::ffff:')) ip = ip.slice(7);
    for (const old of this.#pending.add(performance.now(), socket, ip)) old.destroy();
    const reading: Reading = { chunks: [], bytes: 0 };
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.#pending.settle(socket));
    const onData = (chunk: Buffer): void => {
      reading.chunks.push(chunk);
      reading.bytes += chunk.length;
      const head = reading.chunks.length === 1 ? chunk : Buffer.concat(reading.chunks);
      const eol = head.indexOf('\r\n');
      if (eol < 0 && head.length < MAX_LINE_BYTES) return;
      socket.off('data', onData);
      this.#handOff(socket, head, eol < 0 ? '' : head.toString('latin1', 0, eol));
    };
    socket.on('data', onData);
  }

  #handOff(socket: Socket, head: Buffer, line: string): void {
    this.#pending.settle(socket);
    // Not one more byte read here: whatever came after `head` stays in the kernel's buffer for
    // the worker (bytes this process read after the handle left would be lost).
    (socket as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
    socket.pause();
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
    worker.send({ mp: HANDOFF.conn, head: head.toString('latin1') }, socket, (err: Error | null) => {
      if (err !== null) {
        this.dropped++;
        socket.destroy();
      }
    });
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
