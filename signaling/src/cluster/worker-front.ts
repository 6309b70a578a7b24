// The listener of a --workers process (issue 14). Every worker accepts on the one listening
// socket the primary shares with all of them (node:cluster with SCHED_NONE: the kernel gives
// each connection to one worker), reads the upgrade request's line and serves the connection
// itself when its lobby is homed here (or is no other worker's: no hint, an unknown lobby whose
// name hashes here). Only a connection whose lobby another worker homes is sent on, with the
// bytes read so far, through the primary (connection-router.ts) to that worker. Before, the
// primary accepted and handed over every connection, and its one process capped the rate.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { PendingConnections } from '../core/pending-connections.js';
import { routeHint, WorkerDirectory } from './worker-directory.js';

/** Bytes of a request read before its line must be complete; past it, it is served here (the HTTP server answers 414/400). */
const MAX_LINE_BYTES = 8192;

export interface FrontLimits {
  readonly headersTimeoutMs: number;
  readonly maxPendingHttp: number;
  readonly maxPendingHttpPerIp: number;
}

export interface WorkerFrontOptions {
  /** This worker's index and how many there are. */
  readonly index: number;
  readonly workers: number;
  readonly limits: FrontLimits;
  /** Serves a connection here (SignalingServer.adopt), with the bytes already read from it. */
  readonly adopt: (socket: Socket, head: Buffer) => void;
  /** Sends a connection on to worker `to` (through the primary), with the bytes already read. */
  readonly forward: (socket: Socket, head: Buffer, to: number) => void;
}

/** Stops a socket's reads at once, in the kernel's terms: nothing more is read into this process. */
export function stopReading(socket: Socket): void {
  // Not socket.pause() alone: that stops 'data' events, not libuv's reads, and whatever this
  // process reads after the descriptor has gone to another one is lost.
  const handle = (socket as unknown as { _handle?: { readStop?: () => void; reading?: boolean } })._handle;
  if (handle?.readStop !== undefined) {
    handle.readStop();
    // So that a later resume() (a socket served here after all) starts reading again.
    handle.reading = false;
  }
  socket.pause();
}

export class WorkerFront {
  /** Which worker homes which lobby: this one's from its node, the others' from the primary. */
  readonly directory: WorkerDirectory;
  /** Connections served here and sent on. */
  readonly routed = { here: 0, forwarded: 0 };
  readonly #o: WorkerFrontOptions;
  readonly #server: Server;
  readonly #pending: PendingConnections<Socket>;
  readonly #sweep: NodeJS.Timeout;

  constructor(o: WorkerFrontOptions) {
    this.#o = o;
    this.directory = new WorkerDirectory(o.workers);
    // Until the primary says otherwise, every worker is taken to be up.
    for (let i = 0; i < o.workers; i++) this.directory.ready(i);
    this.#pending = new PendingConnections<Socket>(o.limits.maxPendingHttpPerIp, o.limits.maxPendingHttp, o.limits.headersTimeoutMs);
    this.#server = createServer({ noDelay: true }, (s) => this.#onConnection(s));
    this.#sweep = setInterval(() => {
      for (const s of this.#pending.expire(performance.now())) s.destroy();
    }, Math.min(1000, o.limits.headersTimeoutMs));
    this.#sweep.unref();
  }

  /** Listens (under node:cluster the primary shares one socket with every worker); resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as { port: number }).port);
      });
    });
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const s of this.#pending.expire(Number.POSITIVE_INFINITY)) s.destroy();
    this.#server.close();
  }

  #onConnection(socket: Socket): void {
    let ip = socket.remoteAddress ?? '';
    if (ip.startsWith('::ffff:')) ip = ip.slice(7);
    for (const old of this.#pending.add(performance.now(), socket, ip)) old.destroy();
    const chunks: Buffer[] = [];
    const onError = (): void => {
      socket.destroy();
    };
    const onClose = (): void => this.#pending.settle(socket);
    socket.on('error', onError);
    socket.once('close', onClose);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      const eol = head.indexOf('\r\n');
      if (eol < 0 && head.length < MAX_LINE_BYTES) return;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      this.#pending.settle(socket);
      const to = this.#target(eol < 0 ? '' : head.toString('latin1', 0, eol));
      if (to === this.#o.index) {
        // Served here: the HTTP server takes the socket within this call (it attaches its
        // listeners before the next read), so it keeps reading.
        this.routed.here++;
        this.#o.adopt(socket, head);
      } else {
        stopReading(socket);
        if (socket.destroyed) return;
        this.routed.forwarded++;
        this.#o.forward(socket, head, to);
      }
    };
    socket.on('data', onData);
  }

  /** The worker a request line's connection belongs to. */
  #target(line: string): number {
    const hint = routeHint(line);
    if (hint.lobby === undefined && hint.worker === undefined) return this.#o.index;
    return this.directory.pick(hint) ?? this.#o.index;
  }
}
