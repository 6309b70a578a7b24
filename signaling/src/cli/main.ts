// meshpunch-signal (and `meshpunch signal`, which runs this in its own process): parses flags,
// starts the service, stops it on SIGTERM/SIGINT (cli). The service's modules load only when it
// starts, so --help and --version answer at once (issue #12 item 3).
import nodeCluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { SignalingServer, StunStarter } from '../adapter/signaling-server.js';
import { batchLines } from '../adapter/line-batch.js';
import { createLog } from '../adapter/text-log.js';
import type { SignalingLimits } from '../core/limits.js';
import { SignalingError } from '../errors.js';
import { CliUsageError, helpText, parseCli } from './flags.js';

/** Where the CLI writes; replaceable in tests. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Resolves when the process is asked to stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<string>;
  /** Called once the service is listening. */
  onListening?: (server: SignalingServer) => void;
  /** Starts the STUN responder (default: the embedded one). */
  startStun?: StunStarter;
  /**
   * The version `--version` prints as `meshpunch <version>` (default: this package's). `meshpunch
   * signal` passes the agent's, whose bundle has no package.json next to it; the workspaces share
   * one version, so both binaries print the same line.
   */
  version?: string;
  /** Whether the log goes to a terminal, for `--log-format auto` (default: process.stderr.isTTY). */
  isTty?: boolean;
  /** Gather log lines per event-loop turn (line-batch.ts) before they reach `err`; default false. */
  batchLog?: boolean;
  /**
   * The process runs only the service: keep V8's young generation at SERVICE_SEMI_SPACE_MIB
   * (young-generation.ts) unless node was given a semi-space size itself. Default false (tests
   * run the CLI inside their own process).
   */
  capYoungGeneration?: boolean;
}


function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The first SIGTERM / SIGINT from now on; `cancel` lets go of both (a start that failed). */
function signals(): { stop: Promise<string>; cancel: () => void } {
  let cancel = (): void => {};
  const stop = new Promise<string>((resolve) => {
    const on = (sig: string): void => {
      cancel();
      resolve(sig);
    };
    cancel = () => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
  return { stop, cancel };
}

/**
 * Runs the service until a stop signal.
 * @returns the exit code: 0 after a clean stop (or --help), 1 when it could not start, 2 for bad usage
 */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo = {
  out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), batchLog: true, capYoungGeneration: true,
}): Promise<number> {
  let settings;
  try {
    settings = parseCli(argv, env);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`meshpunch-signal: ${err.message}\nTry meshpunch-signal --help\n`);
      return 2;
    }
    throw err;
  }
  if (settings.help) {
    io.out(helpText());
    return 0;
  }
  if (settings.version) {
    io.out(`meshpunch ${io.version ?? packageVersion()}\n`);
    return 0;
  }
  // Listen for the stop signal before starting: one that arrives while the service starts (a
  // supervisor, or a test, reacting to the `listening` line at once) would otherwise meet Node's
  // default action and end the process with no graceful stop and no log line.
  const { stop, cancel } = io.stopSignal === undefined ? signals() : { stop: io.stopSignal, cancel: () => {} };
  let logWrite = io.err;
  if (io.batchLog === true) {
    const batch = batchLines(io.err);
    process.once('exit', batch.flush);
    logWrite = batch.write;
  }
  const log = createLog(settings.logLevel, settings.logFormat, io.isTty ?? process.stderr.isTTY === true, logWrite);
  if (io.capYoungGeneration === true && !`${process.execArgv.join(' ')} ${env.NODE_OPTIONS ?? ''}`.includes('semi-space')) {
    const { capYoungGeneration, SERVICE_SEMI_SPACE_MIB } = await import('../adapter/young-generation.js');
    capYoungGeneration(SERVICE_SEMI_SPACE_MIB);
  }
  if (settings.workers > 1 && nodeCluster.isPrimary) {
    return runPrimary(settings.workers, settings.relay !== false && settings.relay.secret === undefined, { host: settings.host, port: settings.port, limits: settings.limits }, log, stop);
  }
  // Under --workers only the first worker runs STUN and the embedded relay (one UDP socket per
  // port); the others announce its port.
  const workerIndex = nodeCluster.isWorker ? Number(process.env[WORKER_INDEX_ENV] ?? '0') : 0;
  // Under --workers every worker accepts on the port the primary shares (worker-front.ts) and
  // sends the connections of lobbies another worker homes through the primary (connection-router.ts).
  const workerCount = nodeCluster.isWorker ? Number(process.env[WORKERS_ENV] ?? '0') : 0;
  const { HANDOFF, HeldSockets, movedOf, sendSocket } = await import('../cluster/connection-router.js');
  let nextForward = 1;
  const stunHere = settings.stun && workerIndex === 0;
  let server: SignalingServer;
  let front: import('../cluster/worker-front.js').WorkerFront | undefined;
  let frontPort: number | undefined;
  /** The server the front's connections go to, once started. */
  const adopted: { server: SignalingServer | undefined } = { server: undefined };
  const early: Array<{ socket: Socket; head: Buffer }> = [];
  if (workerCount > 1) {
    const { WorkerFront } = await import('../cluster/worker-front.js');
    const { defaultLimits } = await import('../core/limits.js');
    front = new WorkerFront({
      index: workerIndex, workers: workerCount, limits: { ...defaultLimits(), ...settings.limits },
      adopt: (socket, head) => {
        if (adopted.server !== undefined) adopted.server.adopt(socket, head);
        else if (early.length < 1024) {
          // Accepted while this worker's server is still starting (it connects to Redis first):
          // served once it is up. What comes meanwhile waits in the socket's buffer (paused,
          // still read: stopping the reads here would leave them stopped under the HTTP parser).
          socket.pause();
          socket.on('error', destroyEarly);
          early.push({ socket, head });
        } else socket.destroy();
      },
      forward: (socket, head, to) => {
        sendSocket((msg, h, cb) => (h === undefined ? process.send?.(msg) : process.send?.(msg, h, {}, cb)), HANDOFF.forward, nextForward++, head, socket, { to });
      },
    });
    try {
      frontPort = await front.listen(settings.port, settings.host);
    } catch (err) {
      cancel();
      log('error', 'listen.failed', { host: settings.host, port: settings.port, message: (err as Error).message });
      return 1;
    }
    // Sockets from the primary wait for its `released` (connection-router.ts sendSocket).
    const held = new HeldSockets(1024);
    process.on('message', (m: { mp?: unknown; head?: unknown; index?: unknown; add?: unknown; drop?: unknown; id?: unknown; node?: unknown; to?: unknown; move?: unknown }, handle: unknown) => {
      if (m?.mp === HANDOFF.conn) {
        if (!(handle instanceof Socket) || typeof m.id !== 'number') return;
        held.hold(m.id, handle, Buffer.from(typeof m.head === 'string' ? m.head : '', 'latin1'), movedOf(m));
        return;
      }
      if (m?.mp === HANDOFF.released) {
        const h = typeof m.id === 'number' ? held.release(m.id) : undefined;
        if (h === undefined) return;
        if (adopted.server === undefined) h.socket.destroy();
        // Moved after its upgrade by a worker whose node found the lobby homed here.
        else if (h.move !== undefined) adopted.server.adoptMoved(h.socket, h.head, h.move.state);
        else adopted.server.adopt(h.socket, h.head);
        return;
      }
      const i = typeof m?.index === 'number' ? m.index : -1;
      if (i < 0 || i >= workerCount || i === workerIndex) return;
      if (m.mp === HANDOFF.homes) front!.directory.homes(i, stringList(m.add), stringList(m.drop));
      else if (m.mp === HANDOFF.ready) {
        front!.directory.ready(i);
        if (typeof m.node === 'string') front!.directory.node(i, m.node);
      }
      else if (m.mp === HANDOFF.gone) front!.directory.gone(i);
    });
  }
  try {
    const { SignalingServer } = await import('../adapter/signaling-server.js');
    let cluster: { store: import('../cluster/store.js').ClusterStore; bus: import('../cluster/store.js').ClusterBus; leaseMs: number } | undefined;
    if (settings.redis !== undefined) {
      const { RedisCluster } = await import('../cluster/redis-store.js');
      let lastError = '';
      const rc = await RedisCluster.connect({ url: settings.redis.url, prefix: settings.redis.prefix }, (err) => {
        // The client retries by itself; one line per distinct error, not one per retry.
        if (err.message !== lastError) log('warn', 'redis.error', { message: err.message.slice(0, 200) });
        lastError = err.message;
      });
      const f = front;
      cluster = {
        store: rc, bus: rc, leaseMs: settings.redis.leaseMs,
        ...(f === undefined ? {} : {
          onHomes: (add: string[], drop: string[]) => {
            f.directory.homes(workerIndex, add, drop);
            process.send?.({ mp: HANDOFF.homes, add, drop });
          },
          // A member whose lobby another worker homes (it came without a hint, or named
          // another lobby than the one it enters) moves there with its socket at its lobby
          // request, instead of having every frame relayed over Redis both ways.
          ...(!settings.workerMoves ? {} : {
            siblings: {
              has: (id: string) => {
                const w = f.directory.workerOf(id);
                return w !== undefined && w !== workerIndex;
              },
              send: (id: string, socket: Socket, rest: Buffer, move: import('../cluster/cluster-node.js').MovedConnection) => {
                sendSocket((msg, h, cb) => (h === undefined ? process.send?.(msg) : process.send?.(msg, h, {}, cb)), HANDOFF.forward, nextForward++, rest, socket, { to: f.directory.workerOf(id), move });
              },
            },
          }),
        }),
      };
    }
    server = await SignalingServer.start({
      ...(cluster === undefined ? {} : { cluster }),
      ...settings.limits,
      host: settings.host,
      port: frontPort ?? settings.port,
      ...(frontPort === undefined ? {} : { listen: false }),
      logLevel: settings.logLevel,
      allowedOrigins: settings.origins,
      ...(settings.adminPort === undefined ? {} : { admin: { port: settings.adminPort, ...(settings.adminHost === undefined ? {} : { host: settings.adminHost }) } }),
      log,
      ...(settings.ui ? { ui: settings.adminToken === undefined ? {} : { adminToken: settings.adminToken } } : {}),
      stun: stunHere ? {
        ...(settings.stunPort === undefined ? {} : { port: settings.stunPort }),
        ...(settings.stunAlternateHost === undefined ? {} : { alternateHost: settings.stunAlternateHost }),
        ...(settings.stunAlternatePort === undefined ? {} : { alternatePort: settings.stunAlternatePort }),
      } : false,
      ...(io.startStun === undefined ? {} : { startStun: io.startStun }),
      relay: settings.relay,
    });
  } catch (err) {
    cancel();
    front?.close();
    if (err instanceof SignalingError) {
      io.err(`meshpunch-signal: ${err.message}\n`);
      return err.code === 'ERR_INVALID_PARAMETER' ? 2 : 1;
    }
    throw err;
  }
  if (settings.stun && !stunHere) server.core.stunPort = settings.stunPort ?? server.port;
  if (front !== undefined) {
    adopted.server = server;
    if (server.cluster !== undefined) {
      server.cluster.metrics.routed = front.routed;
      const f = front;
      server.cluster.metrics.siblings = () => f.directory.nodeCount;
    }
    for (const e of early.splice(0)) {
      e.socket.off('error', destroyEarly);
      if (e.socket.destroyed) continue;
      server.adopt(e.socket, e.head);
      e.socket.resume();
    }
    process.send?.({ mp: HANDOFF.ready, node: server.cluster?.nodeId });
    log('info', 'worker.ready', { index: workerIndex, pid: process.pid, node: server.cluster?.nodeId ?? '' });
  }
  if (server.adminPort !== undefined) log('info', 'admin.listening', { port: server.adminPort });
  // Never the admin token itself: logs are read by more people than the operator.
  if (settings.ui) log('info', 'ui.listening', { lobbyView: '/ui/lobby', operatorView: settings.adminToken === undefined ? 'off' : '/ui/operator' });
  io.onListening?.(server);
  const sig = await stop;
  log('info', 'signal', { signal: sig });
  front?.close();
  await server.close();
  // A --workers process holds its IPC channel to the primary open: let go so it can exit.
  if (nodeCluster.isWorker) process.disconnect?.();
  return 0;
}

/** Environment variable telling a --workers process its index (0 runs STUN and the embedded relay). */
const WORKER_INDEX_ENV = 'MESHPUNCH_SIGNAL_WORKER_INDEX';
/** Environment variable telling a --workers process how many workers there are. */
const WORKERS_ENV = 'MESHPUNCH_SIGNAL_WORKERS';

function destroyEarly(this: Socket): void {
  this.destroy();
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * --workers N: forks N processes of this command that share their lobbies through Redis; the
 * primary listens and hands every connection to a worker, the home worker of the lobby its URL
 * names when there is one (connection-router.ts); a worker that dies is started again; on
 * SIGTERM/SIGINT each worker is stopped by its pid and the primary exits when they all have.
 * @param shareSecret the relay secret is random per process by default: one for all workers
 */
async function runPrimary(workers: number, shareSecret: boolean, listen: { host: string; port: number; limits: Partial<SignalingLimits> }, log: (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, string | number | boolean>) => void, stop: Promise<string>): Promise<number> {
  const { ConnectionRouter } = await import('../cluster/connection-router.js');
  const { defaultLimits } = await import('../core/limits.js');
  const router = new ConnectionRouter(workers, { ...defaultLimits(), ...listen.limits }.maxPendingHttp);
  // Each worker accepts on the listening socket itself (the primary binds it and shares it):
  // no connection passes through this process unless its lobby lives on another worker.
  nodeCluster.schedulingPolicy = nodeCluster.SCHED_NONE;
  const env: Record<string, string> = { [WORKERS_ENV]: String(workers) };
  if (shareSecret) env.MESHPUNCH_SIGNAL_RELAY_SECRET = randomBytes(32).toString('base64url');
  /** Set once a worker is ready: a worker exiting before that (the port is taken) ends the primary. */
  let anyReady = false;
  let failed: (() => void) | undefined;
  const startFailed = new Promise<void>((r) => {
    failed = r;
  });
  let stopping = false;
  const fork = (index: number): void => {
    const w = nodeCluster.fork({ ...env, [WORKER_INDEX_ENV]: String(index) });
    w.on('message', (m: unknown, handle: unknown) => {
      if ((m as { mp?: unknown } | null)?.mp === 'meshpunch:ready') anyReady = true;
      router.onWorkerMessage(index, w, m, handle);
    });
    w.on('exit', (code, signal) => {
      router.workerGone(index, w);
      if (stopping) return;
      if (!anyReady) {
        failed?.();
        return;
      }
      log('warn', 'worker.exited', { index, code: code ?? -1, signal: signal ?? '' });
      // A crash loop is bounded by the restart pause.
      setTimeout(() => {
        if (!stopping) fork(index);
      }, 500).unref();
    });
  };
  for (let i = 0; i < workers; i++) fork(i);
  log('info', 'workers.started', { workers });
  const sig = await Promise.race([stop, startFailed.then(() => undefined)]);
  stopping = true;
  if (sig === undefined) log('error', 'workers.failed', { reason: 'a worker exited before any was ready' });
  else log('info', 'signal', { signal: sig });
  router.close();
  const all = Object.values(nodeCluster.workers ?? {}).filter((w) => w !== undefined);
  await Promise.all(all.map((w) => new Promise<void>((resolve) => {
    if (w.isDead()) return resolve();
    // A worker that does not finish its graceful stop in 10 s is killed.
    const t = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
    w.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    w.process.kill('SIGTERM');
  })));
  return sig === undefined ? 1 : 0;
}
