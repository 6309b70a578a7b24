// The agent's own signaling address on a LAN (adapter, issue #16): a loopback TCP port that
// forwards to whichever host currently serves the lobby. The SignalingClient talks to
// ws://127.0.0.1:PORT/ for the whole session; when the host leaves, the connection drops, the
// client reconnects as after any outage (resume, else lobby.restore: ids and links kept, issue
// #12) and the forwarder by then points at the new host. So the hand-over needs nothing new in
// the signaling client or the protocol.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { isIpv6 } from '../core/endpoint.js';
import type { Endpoint } from '../core/endpoint.js';

/** Connections at once: only our own SignalingClient uses the port (one, plus one reconnecting). */
const MAX_CONNECTIONS = 4;
/** Limit of a TCP connect to a host, ms (a LAN host answers in ~1 ms). */
const CONNECT_TIMEOUT_MS = 3000;

export interface ForwarderEvents {
  /** The connection to `target` failed or closed: that host is gone or refused us. */
  upstreamLost: (target: Endpoint, why: string) => void;
}

export class SignalForwarder {
  private target: Endpoint | undefined = undefined;
  private readonly waiting = new Set<() => void>();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    /** ws://127.0.0.1:PORT/ */
    readonly url: string,
    private readonly holdMs: number,
    private readonly onLost: ForwarderEvents['upstreamLost'],
  ) {
    server.on('connection', (s) => this.onConnection(s));
  }

  /**
   * Listens on 127.0.0.1 (a free port). A connection that comes while no host is known waits up
   * to `holdMs` for one, then is closed (the client retries with backoff).
   */
  static async start(holdMs: number, onLost: ForwarderEvents['upstreamLost']): Promise<SignalForwarder> {
    const server = createServer({ noDelay: true });
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    return new SignalForwarder(server, `ws://127.0.0.1:${port}/`, holdMs, onLost);
  }

  /** The host connections go to now. */
  get current(): Endpoint | undefined {
    return this.target;
  }

  /** Points new connections at a host (undefined: hold them until one is set). */
  setTarget(target: Endpoint | undefined): void {
    this.target = target;
    if (target !== undefined) for (const w of [...this.waiting]) w();
  }

  /** Closes every forwarded connection now (the client then reconnects to the current target). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  private onConnection(down: Socket): void {
    if (this.closed) {
      down.destroy();
      return;
    }
    this.sockets.add(down);
    down.on('close', () => this.sockets.delete(down));
    down.on('error', () => undefined);
    down.pause();
    if (this.target !== undefined) {
      this.pipe(down, this.target);
      return;
    }
    const go = (): void => {
      clearTimeout(timer);
      this.waiting.delete(go);
      if (this.target !== undefined && !down.destroyed) this.pipe(down, this.target);
      else down.destroy();
    };
    const timer = setTimeout(go, this.holdMs);
    this.waiting.add(go);
    down.once('close', () => {
      clearTimeout(timer);
      this.waiting.delete(go);
    });
  }

  private pipe(down: Socket, target: Endpoint): void {
    const up = connect({ host: target.address, port: target.port, family: isIpv6(target.address) ? 6 : 4, noDelay: true });
    this.sockets.add(up);
    let established = false;
    let ours = false;
    let ended = false;
    const end = (why: string): void => {
      if (ended) return;
      ended = true;
      down.destroy();
      up.destroy();
      this.sockets.delete(up);
      // Our own close (the client left or reconnects, the session is over) is not news.
      if (!ours && !this.closed && this.target !== undefined && this.target.address === target.address && this.target.port === target.port) {
        this.onLost(target, established ? `connection to ${target.address}:${target.port} closed (${why})` : `cannot connect to ${target.address}:${target.port} (${why})`);
      }
    };
    // A host machine that vanished answers nothing: give up on it as on a refusal.
    up.setTimeout(CONNECT_TIMEOUT_MS, () => end('no answer'));
    up.once('connect', () => {
      up.setTimeout(0);
      established = true;
      down.pipe(up);
      up.pipe(down);
      down.resume();
    });
    up.on('error', (err) => end((err as NodeJS.ErrnoException).code ?? err.message));
    up.on('close', () => end('closed'));
    down.on('close', () => {
      if (!up.destroyed) ours = true;
      up.destroy();
    });
  }

  /** Stops listening and drops every connection (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiting]) w();
    this.dropConnections();
    this.server.close();
  }
}
