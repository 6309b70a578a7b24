// The signaling service process: HTTP (healthz, metrics), WebSocket upgrade, timers, driving
// the sans-IO SignalingCore (adapter).
import { scrypt } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RelayServer } from '@meshpunch/protocol';
import { nodeHmacSha1 } from '@meshpunch/nat';
import type { TurnRelayServer } from '@meshpunch/nat';
import type { RelayCredentialOptions } from '../core/relay-access.js';
import type { RelayLimits } from '../core/relay-limits.js';
import { SignalingCore } from '../core/signaling-core.js';
import type { LogLevel, SignalingCoreOptions } from '../core/config.js';
import { PendingConnections } from '../core/pending-connections.js';
import { renderPrometheus } from '../core/prometheus.js';
import { SignalingError } from '../errors.js';
import { createJsonLog } from './json-log.js';
import type { LogSink } from './json-log.js';
import { defaultRelayPorts, startEmbeddedRelay } from './embedded-relay.js';
import { createPooledRandom } from './pooled-random.js';
import { startStunResponder, type StunHandle, type StunServiceOptions } from './stun-responder.js';
import { queueAscii } from './text-frame.js';
import { TurnOutput } from './turn-output.js';
import { forwardedText } from '../core/forwarded-candidates.js';
import { acceptUpgrade } from './ws-server.js';
import { CLOSE_GRACE_MS, destroySocket, onPeerEnd, WS_CONN, WsConn } from './ws-conn.js';
import type { WsSocket } from './ws-conn.js';
import type { FrameSink } from './ws-server.js';
import { LOBBY_VIEW_PATH, UiServer } from './ui-server.js';
import type { UiOptions } from './ui-server.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import type { ClusterNodeOptions, MovedConnection } from '../cluster/cluster-node.js';
import { stopReading } from '../cluster/worker-front.js';
import type { ClusterBus, ClusterStore } from '../cluster/store.js';
import { DeadlineTimer, monotonicNow as monotonicMs } from '@meshpunch/base';

/** Starts a STUN responder; injected so this file does not depend on the STUN codec. */
export type StunStarter = (options: Required<Pick<StunServiceOptions, 'port' | 'host'>> & StunServiceOptions, log: LogSink) => Promise<StunHandle>;

/** Options of a signaling service instance. Limits are those of SignalingCoreOptions. */
/**
 * The relay the service offers (relay.md §2, §4): the embedded TURN relay on the STUN socket
 * and/or coturn servers sharing `secret`. Default: on, embedded, random secret per process.
 */
export interface RelayServiceOptions {
  /** The TURN REST secret (`--relay-secret`, coturn's `static-auth-secret`). Default: 32 random bytes per process. */
  secret?: string | Uint8Array;
  /** Run the embedded relay on the STUN socket (default true; needs STUN). `--no-relay-embedded` sets false. */
  embedded?: boolean;
  /** coturn (or any REST-secret TURN server) to advertise (`--turn-server host:port`, repeatable). */
  turnServers?: Array<{ host: string; port: number }>;
  /** Host announced for the embedded relay (`--relay-public-host`); default: the signaling URL's host. */
  publicHost?: string;
  /** Credential lifetime, s (default 600). */
  ttlS?: number;
  /** relay.credentials per minute per member (default 6). */
  credentialsPerMinute?: number;
  /** REALM (default 'meshpunch'). */
  realm?: string;
  /** Relayed ports of the embedded relay, inclusive (`--relay-ports`, default 49152-65535); must exclude the STUN port. */
  relayPorts?: { min: number; max: number };
  /** Permit private (RFC 1918, 100.64/10) and loopback peers (`--relay-allow-private`; default false). */
  allowPrivate?: boolean;
  /** Permit loopback peers only (tests on one machine); `allowPrivate` implies it. */
  allowLoopback?: boolean;
  /** Limits of the embedded relay (relay-limits.ts; `--relay-…` flags). */
  limits?: Partial<RelayLimits>;
}

export interface SignalingServerOptions extends Omit<SignalingCoreOptions, 'random' | 'stunPort' | 'relay'> {
  /** The relay (relay.md §4); false: none (`--no-relay`). Default: on. */
  relay?: RelayServiceOptions | false;
  /** Address to listen on. Default '127.0.0.1'. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 8787. */
  port?: number;
  /** Embedded STUN: options, or false for none. Default: on, same port number as HTTP. */
  stun?: StunServiceOptions | false;
  /** Starts STUN; default: the embedded responder (stun-responder.ts). */
  startStun?: StunStarter;
  /** Accepted Origin header values; empty or absent: any (non-browser clients send none). */
  allowedOrigins?: string[];
  /** Where log records go. Default: JSON lines on stderr at `logLevel`. */
  log?: LogSink;
  /** Override the CSPRNG (tests). */
  random?: (out: Uint8Array) => void;
  /**
   * Override the password hash (tests). Default: scrypt N=2¹², r=8, p=1, 32 bytes, run by
   * node:crypto's async scrypt on the libuv thread pool, never on the event loop.
   */
  hashSecret?: (secret: string, salt: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  /** Override the monotonic clock (ms). */
  now?: () => number;
  /** A client whose unsent output exceeds this many bytes is cut off (it does not read). Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * A second HTTP listener for /healthz and /metrics only, with caps of its own: health checks
   * and scrapes then never share the clients' connection caps (issue #13 item 4). Port 0 picks
   * a free one. Default: none (both endpoints are also served on the main port).
   */
  admin?: { host?: string; port: number };
  /** The live web view under /ui/ on the main port (ui-server.ts, `--ui`); default: off. */
  ui?: UiOptions | false;
  /**
   * Run as one node of a cluster (issue 14): lobbies live in `store` (Redis: redis-store.ts),
   * nodes talk over `bus`; `leaseMs` (default 6000) is how long a silent node keeps its lobbies
   * before another takes them over. The server closes store and bus when it closes.
   */
  cluster?: { store: ClusterStore; bus: ClusterBus; leaseMs?: number; onHomes?: ClusterNodeOptions['onHomes']; siblings?: SiblingProcesses };
  /**
   * false: the main port is not bound here; `port` is the --workers primary's, which accepts
   * every connection and hands it over (adopt; cluster/connection-router.ts). Default true.
   */
  listen?: boolean;
}

/**
 * The other processes of this machine's cluster (--workers) that an upgraded connection can be
 * handed to, by node id: a member whose lobby one of them homes moves there with its socket
 * instead of having every frame relayed over the bus (cli/main.ts).
 */
export interface SiblingProcesses {
  /** True when node `id` runs in a process this one can hand a socket to now. */
  has(id: string): boolean;
  /** Hands `socket` (its reads stopped, no listeners of ours) to node `id`'s process with the bytes read and not yet parsed. */
  send(id: string, socket: Socket, rest: Buffer, move: MovedConnection): void;
}

/** scrypt cost for lobby passwords: ~5 ms on the 2-core machine; lobbies are short-lived. */
const SCRYPT = { N: 4096, r: 8, p: 1, maxmem: 16 * 1024 * 1024 } as const;
/** Starts with port 0 that may pick again when STUN cannot have the HTTP port's number (UDP taken). */
const MAX_PORT_PICKS = 8;
/** TCP connections allowed beyond maxConnections + maxPendingHttp: room for typed refusals. */
const TCP_SLACK = 256;
/**
 * TCP connections the admin listener (health and metrics only) accepts at once: a few probes
 * and scrapers, never the clients' traffic.
 */
const ADMIN_MAX_CONNECTIONS = 64;

/** scrypt on libuv's thread pool (issue #13 item 1: scryptSync blocked the event loop ≈ 7 ms a check). */
function defaultHash(secret: string, salt: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, 32, SCRYPT, (err, key) => (err === null ? resolve(new Uint8Array(key)) : reject(err)));
  });
}

/**
 * The core's relay credential options for `relay` (undefined: the service offers no relay).
 * The servers list starts with the coturn servers; the embedded relay is added once bound.
 */
function relayCredentialOptions(relay: RelayServiceOptions | false | undefined, random: (out: Uint8Array) => void, now: () => number): RelayCredentialOptions | undefined {
  if (relay === false) return undefined;
  const r = relay ?? {};
  let secret = r.secret;
  if (secret === undefined) {
    secret = new Uint8Array(32);
    random(secret);
  }
  const servers: RelayServer[] = (r.turnServers ?? []).map((t) => ({ host: t.host, port: t.port, transport: 'udp' }));
  const o: RelayCredentialOptions = { secret, hmacSha1: nodeHmacSha1, unixMsAtZero: Date.now() - now(), servers };
  if (r.ttlS !== undefined) o.ttlS = r.ttlS;
  if (r.credentialsPerMinute !== undefined) o.credentialsPerMinute = r.credentialsPerMinute;
  if (r.realm !== undefined) o.realm = r.realm;
  return o;
}


/** A running signaling service. Create with `SignalingServer.start(options)`. */
export class SignalingServer {
  readonly core: SignalingCore;
  readonly #http: Server;
  /** Connections whose HTTP request is not in yet (slowloris guard), and its one timer. */
  readonly #pending: PendingConnections<Socket>;
  #pendingTimer: NodeJS.Timeout | undefined;
  #pendingTimerAt: number | undefined;
  #admin: Server | undefined;
  #adminPort: number | undefined;
  readonly #maxPayload: number;
  readonly #sockets = new Map<number, WsConn>();
  readonly #now: () => number;
  readonly #log: LogSink;
  readonly #origins: ReadonlySet<string>;
  /** Each socket's frames of this event-loop turn, written at its end. */
  readonly #turn: TurnOutput;
  /** Connections sent an answer (CoreOutput `answer`) in the current drain: written at its end. */
  readonly #answered: number[] = [];
  readonly #hash: (secret: string, salt: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  #nextConn = 1;
  /** The core's deadline: the shared one-timer-per-core of @meshpunch/base. */
  readonly #timer: DeadlineTimer;
  #stun: StunHandle | undefined;
  /** The embedded TURN relay on the STUN socket, when on. */
  #relay: TurnRelayServer | undefined;
  #closing: Promise<void> | undefined;
  /** The live web view, when on. */
  #ui: UiServer | undefined;
  #port = 0;
  #host: string;
  /** Set when the service is one node of a cluster (options.cluster), with its lease timer. */
  #cluster: ClusterNode | undefined;
  #clusterTimer: NodeJS.Timeout | undefined;

  private constructor(options: SignalingServerOptions, stunPort: number | undefined) {
    const logLevel: LogLevel = options.logLevel ?? 'info';
    this.#log = options.log ?? createJsonLog(logLevel);
    this.#now = options.now ?? monotonicMs;
    this.#timer = new DeadlineTimer((now) => {
      this.core.handleTimeout(now);
      this.#drain();
    }, { now: this.#now });
    this.#host = options.host ?? '127.0.0.1';
    this.#origins = new Set(options.allowedOrigins ?? []);
    this.#turn = new TurnOutput(options.maxBufferedBytes ?? 1024 * 1024, this.#log);
    this.#hash = options.hashSecret ?? defaultHash;
    const { host: _h, port: _p, stun: _s, startStun: _ss, allowedOrigins: _a, log: _l, now: _n, maxBufferedBytes: _m, hashSecret: _hs, relay: _r, ui: _ui, cluster: _c, listen: _li, ...limits } = options;
    const random = options.random ?? createPooledRandom();
    this.core = new SignalingCore({
      ...limits,
      random,
      stunPort,
      relay: relayCredentialOptions(options.relay, random, this.#now),
    });
    this.#maxPayload = this.core.config.maxMessageBytes;
    // Slowloris (issue #13 item 4): a TCP connection must finish its HTTP request within
    // headersTimeoutMs, and connections still waiting for theirs are capped per address and in
    // all (PendingConnections drops the oldest), apart from the WebSocket cap. Node's own
    // headersTimeout is checked only every connectionsCheckingInterval (30 s by default), so
    // the first request is timed by the sweep below; Node's check covers later keep-alive ones.
    const cfg = this.core.config;
    this.#pending = new PendingConnections<Socket>(cfg.maxPendingHttpPerIp, cfg.maxPendingHttp, cfg.headersTimeoutMs);
    this.#http = createServer({
      headersTimeout: cfg.headersTimeoutMs, requestTimeout: cfg.headersTimeoutMs + 1000, keepAliveTimeout: 5000,
      connectionsCheckingInterval: Math.min(1000, cfg.headersTimeoutMs),
    }, (req, res) => this.#onRequest(req, res, true));
    this.#http.maxConnections = cfg.maxConnections + cfg.maxPendingHttp + TCP_SLACK;
    this.#http.on('connection', (socket: Socket) => this.#onTcp(socket));
    this.#http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#http.on('clientError', (_err, socket) => socket.destroy());
  }

  /**
   * Starts listening (HTTP + WebSocket, and STUN unless disabled).
   * @throws SignalingError SIG_LISTEN_FAILED when a port cannot be bound (rejects)
   * @throws SignalingError ERR_INVALID_PARAMETER for a bad option
   */
  static async start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
    const port = options.port ?? 8787;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SignalingError('ERR_INVALID_PARAMETER', `port must be an integer 0..65535, got ${String(port)}`);
    const useStun = options.stun !== false;
    const startStun = options.startStun ?? startStunResponder;
    // The STUN port defaults to the HTTP port's number, known only once HTTP is bound (port 0).
    const server = new SignalingServer(options, undefined);
    if (options.ui !== undefined && options.ui !== false) {
      server.#ui = UiServer.create(server.core, server.#now, server.#log, options.ui, () => (server.#relay === undefined ? {} : { relayAllocations: server.#relay.allocations }));
      server.core.viewPath = LOBBY_VIEW_PATH;
    }
    // With port 0 and no STUN port of its own, STUN takes the number the kernel gave HTTP (TCP):
    // that UDP port may be taken by some other socket, so such a start picks again, a bounded
    // number of times (before: one EADDRINUSE failed the start, seen with tests running side by side).
    const s = options.stun === false ? {} : (options.stun ?? {});
    const repick = port === 0 && useStun && s.port === undefined;
    for (let attempt = 1; ; attempt++) {
      if (options.listen === false) server.#port = port;
      else {
        await new Promise<void>((resolve, reject) => {
          server.#http.once('error', (err) => reject(new SignalingError('SIG_LISTEN_FAILED', `cannot listen on ${server.#host}:${port}: ${err.message}`, { host: server.#host, port }, err)));
          server.#http.listen(port, server.#host, () => resolve());
        });
        server.#port = (server.#http.address() as AddressInfo).port;
      }
      if (!useStun) break;
      try {
        server.#stun = await startStun({
          trace: options.logLevel === 'debug',
          answersPerSecondPerIp: server.core.config.stunAnswersPerSecondPerIp,
          answerBurstPerIp: server.core.config.stunAnswerBurstPerIp,
          ...s, port: s.port ?? server.#port, host: s.host ?? server.#host,
          // The embedded relay, once started below, takes its datagrams first (relay.md §2(b)).
          intercept: (msg, from) => server.#relay?.handleControlDatagram(msg, from) ?? false,
        }, server.#log);
        break;
      } catch (err) {
        await new Promise<void>((r) => server.#http.close(() => r()));
        if (repick && attempt < MAX_PORT_PICKS && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        if (err instanceof SignalingError) throw err;
        throw new SignalingError('SIG_LISTEN_FAILED', `cannot start STUN on port ${s.port ?? server.#port}: ${(err as Error).message}`, {}, err);
      }
    }
    if (options.admin !== undefined) {
      try {
        await server.#startAdmin(options.admin);
      } catch (err) {
        await server.#stun?.close();
        await new Promise<void>((r) => server.#http.close(() => r()));
        throw err;
      }
    }
    if (server.#stun !== undefined) {
      server.core.stunPort = server.#stun.port;
      try {
        server.#startRelay(options.relay, s.host ?? server.#host);
      } catch (err) {
        await server.#stun.close();
        await new Promise<void>((r) => server.#http.close(() => r()));
        throw err;
      }
    }
    if (options.cluster !== undefined) await server.#startCluster(options.cluster);
    server.#log('info', 'listening', { host: server.#host, port: server.#port, stunPort: server.#stun?.port ?? 0 });
    return server;
  }

  /**
   * A connection another process accepted (the --workers primary), with the bytes it already
   * read from it: served as if this server's listener had accepted it.
   */
  adopt(socket: Socket, head: Buffer): void {
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    this.#http.emit('connection', socket);
    if (head.length > 0) socket.emit('data', head);
  }

  /**
   * An upgraded connection another process of this machine moved here (SiblingProcesses.send
   * there), with the bytes it had read and not parsed: served as if its frames had come here
   * from the start; its hello is replayed without a second welcome.
   */
  adoptMoved(socket: Socket, rest: Buffer, move: MovedConnection): void {
    const cluster = this.#cluster;
    if (this.#closing !== undefined || cluster === undefined || !socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.setTimeout(0);
    socket.setNoDelay(true);
    const id = this.#nextConn++;
    const conn = new WsConn(id, socket, this.#maxPayload);
    (socket as WsSocket)[WS_CONN] = conn;
    this.#sockets.set(id, conn);
    socket.on('error', destroySocket);
    socket.on('end', onPeerEnd);
    socket.on('close', this.#onSocketClose);
    const now = this.#now();
    cluster.handleOpen(id, move.ip);
    this.core.handleOpen(now, id, move.ip);
    cluster.adoptMoved(now, id, move);
    // The bytes the other process read and did not parse come before anything read here:
    // this process's reads wait in the socket's buffer until the 'data' listener below.
    if (rest.length > 0 && this.#sockets.get(id) === conn) conn.push(rest, this.#frames);
    socket.on('data', this.#onData);
    this.#drain();
  }

  /**
   * ClusterNodeOptions.moveTo: hands client `conn` to its lobby's home process when that is a
   * sibling and the connection can move whole — nothing of ours still to write, no
   * fragmented message half read, no close under way; otherwise its frames go over the bus.
   */
  #moveTo(siblings: SiblingProcesses, conn: number, home: string, move: MovedConnection): boolean {
    const ws = this.#sockets.get(conn);
    if (ws === undefined || !siblings.has(home)) return false;
    const s = ws.socket;
    // This turn's texts (and the 101 with the welcome, if the turn has not ended) go now, from here.
    ws.flushOut();
    if (ws.closeSent || ws.done || ws.midMessage || ws.outBuf !== null || s.writableLength > 0 || !s.readable || !s.writable) return false;
    // At once: whatever this process read after this point would be lost to the home.
    stopReading(s);
    s.off('data', this.#onData);
    s.off('end', onPeerEnd);
    s.off('close', this.#onSocketClose);
    s.off('error', destroySocket);
    const rest = [ws.takeRest()];
    // Read and not yet delivered (none while the socket flowed; taken in case).
    for (let b = s.read() as Buffer | null; b !== null; b = s.read() as Buffer | null) rest.push(b);
    this.#sockets.delete(conn);
    delete (s as Partial<WsSocket>)[WS_CONN];
    // The HTTP server that upgraded it set itself as the socket's `server`: node would then
    // count the socket as lent to the process it goes to, and that server's close would wait
    // for a report of its end that never comes (the worker hung at stop until killed).
    (s as unknown as { server: unknown }).server = null;
    siblings.send(home, s, rest.length === 1 ? rest[0]! : Buffer.concat(rest), move);
    return true;
  }

  /** The bound TCP port. */
  get port(): number {
    return this.#port;
  }

  /** The bound admin (health and metrics) port, or undefined without an admin listener. */
  get adminPort(): number | undefined {
    return this.#adminPort;
  }

  /** The bound STUN port, or undefined without STUN. */
  get stunPort(): number | undefined {
    return this.#stun?.port;
  }

  /** The embedded TURN relay, when it runs (counters, allocations, bound ports). */
  get relay(): TurnRelayServer | undefined {
    return this.#relay;
  }

  /** `ws://host:port/` for clients. */
  get url(): string {
    const h = this.#host.includes(':') ? `[${this.#host}]` : this.#host;
    return `ws://${h === '0.0.0.0' ? '127.0.0.1' : h}:${this.#port}/`;
  }

  /** The /metrics body. */
  metricsText(): string {
    const mem = process.memoryUsage();
    return renderPrometheus(this.core.metrics, {
      connections: this.core.connectionCount, lobbies: this.core.lobbyCount, members: this.core.memberCount,
      residentBytes: mem.rss, heapUsedBytes: mem.heapUsed,
    }, this.#stun?.counters, { pending: this.#pending.size, dropped: this.#pending.dropped },
    this.#relay === undefined ? undefined : { counters: this.#relay.counters, allocations: this.#relay.allocations, portsFree: this.#relay.portsFree })
      + (this.#cluster === undefined ? '' : this.#cluster.metrics.render(this.#cluster.healthy));
  }

  /** The cluster node (options.cluster), or undefined for a service on its own. */
  get cluster(): ClusterNode | undefined {
    return this.#cluster;
  }

  /** Joins the cluster: bus subscription, first lease, then a renewal every leaseMs / 3. */
  async #startCluster(o: NonNullable<SignalingServerOptions['cluster']>): Promise<void> {
    const node = new ClusterNode({
      core: this.core, store: o.store, bus: o.bus, ...(o.leaseMs === undefined ? {} : { leaseMs: o.leaseMs }), ...(o.onHomes === undefined ? {} : { onHomes: o.onHomes }),
      ...(o.siblings === undefined ? {} : { moveTo: (conn: number, home: string, move: MovedConnection) => this.#moveTo(o.siblings!, conn, home, move) }),
      log: (level, event, fields) => this.#log(level, event, fields),
      transport: {
        now: this.#now,
        send: (conn, text) => this.#sendText(conn, text),
        close: (conn, code, reason) => this.#closeSocket(conn, code, reason),
        drain: () => this.#drain(),
      },
    });
    this.#cluster = node;
    await node.start();
    this.#clusterTimer = setInterval(() => void node.tick(), Math.max(50, Math.floor(node.leaseMs / 3)));
    this.#log('info', 'cluster.joined', { node: node.nodeId, ready: node.healthy, leaseMs: node.leaseMs });
  }

  /**
   * Graceful shutdown: every client gets `shutdown` and a 1001 close, then sockets are closed.
   * Resolves when everything is released. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    this.#ui?.close();
    if (this.#clusterTimer !== undefined) clearInterval(this.#clusterTimer);
    // Homes and lease given up first, so other nodes take this node's lobbies at once.
    await this.#cluster?.stop();
    this.core.shutdown(this.#now());
    this.#drain();
    const httpClosed = new Promise<void>((r) => this.#http.close(() => r()));
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.#sockets.values()) c.socket.destroy();
    this.#sockets.clear();
    this.#http.closeAllConnections();
    await httpClosed;
    if (this.#admin !== undefined) {
      const admin = this.#admin;
      const adminClosed = new Promise<void>((r) => admin.close(() => r()));
      admin.closeAllConnections();
      await adminClosed;
    }
    this.#timer.cancel();
    if (this.#pendingTimer !== undefined) clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    await this.#relay?.close();
    await this.#stun?.close();
    this.#log('info', 'closed', {});
  }

  /**
   * Starts the embedded relay on the STUN socket unless the relay is off or coturn-only.
   * @throws SignalingError ERR_INVALID_PARAMETER for bad relay options
   */
  #startRelay(relay: RelayServiceOptions | false | undefined, stunHost: string): void {
    const access = this.core.relay;
    const stun = this.#stun;
    if (relay === false || access === undefined || stun?.send === undefined) return;
    const r = relay ?? {};
    if (r.embedded === false) return;
    if (stunHost.includes(':') && stunHost !== '::') {
      this.#log('warn', 'relay.off', { reason: 'the embedded relay is IPv4-only; STUN listens on an IPv6 address' });
      return;
    }
    this.#relay = startEmbeddedRelay({
      access, host: stunHost, controlPort: stun.port, send: stun.send, publicHost: r.publicHost,
      relayPorts: r.relayPorts ?? defaultRelayPorts(stun.port),
      allowPrivate: r.allowPrivate === true, allowLoopback: r.allowPrivate === true || r.allowLoopback === true,
      limits: r.limits ?? {}, turnServers: access.config.servers, log: this.#log,
    });
  }

  /**
   * Starts the admin listener: /healthz and /metrics only, its own small connection cap and
   * header timeout, none of the clients' caps.
   * @throws SignalingError SIG_LISTEN_FAILED when its port cannot be bound (rejects)
   */
  async #startAdmin(opts: { host?: string; port: number }): Promise<void> {
    const host = opts.host ?? this.#host;
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new SignalingError('ERR_INVALID_PARAMETER', `admin.port must be an integer 0..65535, got ${String(opts.port)}`);
    }
    const t = this.core.config.headersTimeoutMs;
    const admin = createServer({ headersTimeout: t, requestTimeout: t + 1000, keepAliveTimeout: 5000, connectionsCheckingInterval: Math.min(1000, t) }, (req, res) => this.#onRequest(req, res, false));
    admin.maxConnections = ADMIN_MAX_CONNECTIONS;
    admin.on('clientError', (_err, socket) => socket.destroy());
    // No WebSocket here: an upgrade request gets no answer but a closed socket.
    admin.on('upgrade', (_req, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      admin.once('error', (err) => reject(new SignalingError('SIG_LISTEN_FAILED', `cannot listen on ${host}:${opts.port} (admin): ${err.message}`, { host, port: opts.port }, err)));
      admin.listen(opts.port, host, () => resolve());
    });
    this.#admin = admin;
    this.#adminPort = (admin.address() as AddressInfo).port;
  }

  /** Every accepted TCP connection of the main listener: pending until its request is in. */
  #onTcp(socket: Socket): void {
    let ip = socket.remoteAddress ?? '';
    if (ip.startsWith('::ffff:')) ip = ip.slice(7);
    for (const old of this.#pending.add(this.#now(), socket, ip)) old.destroy();
    // `on`, not `once`: a once-wrapper (its state object and bound function, ~0.2 KiB) stayed on
    // every upgraded socket for its whole life (heap snapshot, issue 19). #onUpgrade removes it.
    socket.on('close', this.#settleOnClose);
    this.#armPending();
  }

  /** 'close' listener of every TCP connection (shared: no closure per connection). */
  readonly #settleOnClose = (() => {
    const server = this;
    return function settle(this: Socket): void {
      server.#pending.settle(this);
    };
  })();

  /** One timer for the oldest pending connection's deadline. */
  #armPending(): void {
    const at = this.#pending.nextDeadline();
    if (at === this.#pendingTimerAt) return;
    if (this.#pendingTimer !== undefined) clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    this.#pendingTimerAt = at;
    if (at === undefined || this.#closing !== undefined) return;
    this.#pendingTimer = setTimeout(() => {
      this.#pendingTimer = undefined;
      this.#pendingTimerAt = undefined;
      for (const s of this.#pending.expire(this.#now())) s.destroy();
      this.#armPending();
    }, Math.max(0, at - this.#now()));
    this.#pendingTimer.unref();
  }

  /** @param main true on the main listener (the live view is served there only) */
  #onRequest(req: IncomingMessage, res: ServerResponse, main: boolean): void {
    this.#pending.settle(req.socket);
    const path = (req.url ?? '/').split('?')[0]!;
    if (main && this.#ui !== undefined && path.startsWith('/ui/')) return this.#ui.handleRequest(req, res, path);
    if (req.method === 'GET' && path === '/healthz') {
      // Not ready while the cluster's store is unreachable (new lobbies and joins are refused).
      const status = this.core.isShuttingDown ? 'shutting-down' : this.#cluster !== undefined && !this.#cluster.healthy ? 'unavailable' : 'ok';
      res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status, connections: this.core.connectionCount, lobbies: this.core.lobbyCount }));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(this.metricsText());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Shared functions, never arrows, as the socket's listeners: an arrow here would keep this
    // call's context, which holds `req`, so every open connection kept its upgrade request
    // (headers, raw header strings, stream state) alive — ~1 KiB each in a heap snapshot.
    socket.on('error', destroySocket);
    this.#pending.settle(socket as Socket);
    socket.removeListener('close', this.#settleOnClose);
    if (this.#ui !== undefined && req.url?.startsWith('/ui/') === true) return this.#ui.handleUpgrade(req, socket, head, req.url.split('?')[0]!);
    const origin = req.headers.origin;
    if (this.#origins.size > 0 && origin !== undefined && !this.#origins.has(origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      this.#log('debug', 'origin.rejected', { origin: origin.slice(0, 128) });
      return;
    }
    // Far past the cap, refuse before the handshake so a flood costs no WebSocket state; near
    // it, the core answers with a typed SIG_SERVER_FULL and close 4009.
    if (this.#closing !== undefined || this.#sockets.size >= this.core.config.maxConnections + TCP_SLACK / 4) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const answer = acceptUpgrade(req);
    if (!answer.ok) {
      socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(answer.reason)}\r\n\r\n${answer.reason}`);
      return;
    }
    const sock = socket as Socket;
    if (!sock.readable || !sock.writable) {
      sock.destroy();
      return;
    }
    // As ws did: no idle timeout on the socket (the core's heartbeats judge idleness), no Nagle.
    sock.setTimeout(0);
    sock.setNoDelay(true);
    const id = this.#nextConn++;
    const conn = new WsConn(id, sock, this.#maxPayload);
    queueAscii(conn, answer.response);
    this.#turn.queue(conn);
    (sock as WsSocket)[WS_CONN] = conn;
    this.#sockets.set(id, conn);
    let ip = sock.remoteAddress ?? '';
    if (ip.startsWith('::ffff:')) ip = ip.slice(7);
    // Listeners shared by every connection (the WsConn rides on the socket): no closure per
    // connection. 'error' is destroySocket, set above; 'close' follows it.
    sock.on('data', this.#onData);
    sock.on('end', onPeerEnd);
    sock.on('close', this.#onSocketClose);
    this.#cluster?.handleOpen(id, ip);
    this.core.handleOpen(this.#now(), id, ip);
    // Frames sent together with the upgrade request (a pipelining client) came in `head`.
    if (head.length > 0 && this.#sockets.get(id) === conn) conn.push(head, this.#frames);
    this.#drain();
  }

  /** 'data' listener of every upgraded socket (`this` is the socket). */
  readonly #onData = (() => {
    const server = this;
    return function onData(this: Socket, chunk: Buffer): void {
      (this as WsSocket)[WS_CONN].push(chunk, server.#frames);
      server.#drain();
    };
  })();

  /** What the frame readers report, for every connection. */
  readonly #frames: FrameSink<WsConn> = {
    message: (c, payload, isText) => {
      const cluster = this.#cluster;
      // Text goes to the core as bytes: it decodes the commonest message without a string (issue 19).
      if (cluster === undefined) {
        if (isText) this.core.handleTextBytes(this.#now(), c.id, payload);
        else this.core.handleMessage(this.#now(), c.id, null, payload.length);
      } else {
        cluster.handleMessage(this.#now(), c.id, isText ? payload.toString('utf8') : null, payload.length);
      }
    },
    ping: (c, payload) => {
      if (c.closeSent || !c.socket.writable) return;
      // The 101 and frames queued this turn go first (a pong never overtakes the handshake).
      c.flushOut();
      const f = Buffer.allocUnsafe(2 + payload.length);
      f[0] = 0x8a;
      f[1] = payload.length;
      payload.copy(f, 2);
      c.socket.write(f);
    },
    close: (c, code) => {
      // RFC 6455 §5.5.1: answer with the same code (none for 1005), then end our side.
      c.peerCode = code;
      if (c.closeSent) c.socket.end();
      else c.close(code, '');
    },
    fail: (c, code) => {
      // Counted like the core's own closes (issue #13 item 9); the member keeps its place for graceMs.
      this.core.handleFrameError(this.#now(), c.id, code);
      c.close(code, '');
    },
  };

  /** 'close' listener of every upgraded socket. */
  readonly #onSocketClose = (() => {
    const server = this;
    return function onClose(this: Socket): void {
      const c = (this as WsSocket)[WS_CONN];
      if (c.closeTimer !== undefined) clearTimeout(c.closeTimer);
      server.#sockets.delete(c.id);
      if (server.#cluster === undefined) server.core.handleClose(server.#now(), c.id, c.peerCode);
      else server.#cluster.handleClose(server.#now(), c.id, c.peerCode);
      server.#drain();
    };
  })();

  /** Carries out every output of the core, then re-arms the one timer. */
  #drain(): void {
    const cluster = this.#cluster;
    // Cluster: what this drain sends waits for the store writes of the lobbies it changed (cluster-node.ts).
    const gate = cluster?.beginDrain();
    for (let o = this.core.pollOutput(); o !== undefined; o = this.core.pollOutput()) {
      // A relayed pair.candidates spliced from its sender's frame (still unchanged here); as text to a cluster.
      if (o.kind === 'candidates' && cluster === undefined) this.#turn.forwarded(this.#sockets.get(o.conn), o);
      else if (o.kind === 'candidates') o = { kind: 'send', conn: o.conn, text: forwardedText(o) };
      if (o.kind === 'candidates') continue;
      if (cluster !== undefined && cluster.swallow(o)) {
        // The welcome of a moved connection's replayed hello: the client has one.
      } else if ((o.kind === 'send' || o.kind === 'close') && cluster !== undefined && cluster.hold(gate, o)) {
        // Carried out by the cluster node once the writes are acknowledged.
      } else if ((o.kind === 'send' || o.kind === 'close') && cluster?.isRemote(o.conn) === true) {
        // A client of another node (cluster): the frame travels there over the bus.
        cluster.output(o);
      } else if (o.kind === 'send') {
        this.#sendText(o.conn, o.text);
        if (o.answer === true) this.#answered.push(o.conn);
      } else if (o.kind === 'close') {
        this.#closeSocket(o.conn, o.code, o.reason);
      } else if (o.kind === 'hash') {
        this.#startHash(o.job, o.secret, o.salt);
      } else if (o.kind === 'relayRevoke') {
        this.#relay?.revokeMember(o.member);
      } else {
        this.#log(o.level, o.event, o.fields);
      }
    }
    // Answers a client waits on (CoreOutput `answer`) leave now, with everything queued for their
    // connection in this drain; the rest waits for the turn's end (TurnOutput).
    const answered = this.#answered;
    if (answered.length > 0) {
      for (let i = 0; i < answered.length; i++) this.#sockets.get(answered[i]!)?.flushOut();
      answered.length = 0;
    }
    this.#arm();
  }

  /** Queues one text frame for a client of this process until the end of this event-loop turn (turn-output.ts). */
  #sendText(conn: number, text: string): void {
    this.#turn.text(this.#sockets.get(conn), text);
  }

  /** Closes a client of this process with a close frame (terminated if it does not answer). */
  #closeSocket(conn: number, code: number, reason: string): void {
    this.#sockets.get(conn)?.close(code, reason);
  }

  /** Runs one password hash off the event loop and gives the result to the core when it is back. */
  #startHash(job: number, secret: string, salt: Uint8Array): void {
    // Promise.resolve().then: even a synchronous test hash answers in a later turn, never inside #drain.
    Promise.resolve().then(() => this.#hash(secret, salt)).then((hash) => {
      if (this.#closing !== undefined) return;
      this.core.handleHashed(this.#now(), job, hash);
      this.#drain();
    }, (err: unknown) => {
      this.#log('error', 'password.hash.failed', { message: String((err as Error)?.message ?? err).slice(0, 200) });
      if (this.#closing !== undefined) return;
      this.core.handleHashed(this.#now(), job, undefined);
      this.#drain();
    });
  }

  #arm(): void {
    this.#timer.arm(this.#closing === undefined ? this.core.pollTimeout() : undefined);
  }
}
