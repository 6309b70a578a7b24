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
   * The process runs only the service: keep V8's young generation at YOUNG_SEMI_SPACE_MIB
   * (young-generation.ts) unless node was given a semi-space size itself. Default false (tests
   * run the CLI inside their own process).
   */
  capYoungGeneration?: boolean;
}

/**
 * MiB per semi-space the service's young generation may grow to (V8's default ceiling is 16).
 * Measured with the shared kit, 10,000 clients (docs/benchmarks.md): RSS per connection 6.8-7.8
 * KiB with V8's default, 4.7-5.0 with 4 MiB, no CPU difference above the run-to-run spread.
 */
const YOUNG_SEMI_SPACE_MIB = 4;

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
    const { capYoungGeneration } = await import('../adapter/young-generation.js');
    capYoungGeneration(YOUNG_SEMI_SPACE_MIB);
  }
  if (settings.workers > 1 && nodeCluster.isPrimary) {
    return runPrimary(settings.workers, settings.relay !== false && settings.relay.secret === undefined, { host: settings.host, port: settings.port, limits: settings.limits }, log, stop);
  }
  // Under --workers only the first worker runs STUN and the embedded relay (one UDP socket per
  // port); the others announce its port.
  const workerIndex = nodeCluster.isWorker ? Number(process.env[WORKER_INDEX_ENV] ?? '0') : 0;
  // Under --workers the primary listens and hands each connection over (connection-router.ts).
  const handoffPort = nodeCluster.isWorker ? process.env[HANDOFF_PORT_ENV] : undefined;
  const { HANDOFF } = await import('../cluster/connection-router.js');
  const stunHere = settings.stun && workerIndex === 0;
  let server: SignalingServer;
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
      cluster = {
        store: rc, bus: rc, leaseMs: settings.redis.leaseMs,
        ...(handoffPort === undefined ? {} : { onHomes: (add: string[], drop: string[]) => process.send?.({ mp: HANDOFF.homes, add, drop }) }),
      };
    }
    server = await SignalingServer.start({
      ...(cluster === undefined ? {} : { cluster }),
      ...settings.limits,
      host: settings.host,
      port: handoffPort === undefined ? settings.port : Number(handoffPort),
      ...(handoffPort === undefined ? {} : { listen: false }),
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
    if (err instanceof SignalingError) {
      io.err(`meshpunch-signal: ${err.message}\n`);
      return err.code === 'ERR_INVALID_PARAMETER' ? 2 : 1;
    }
    throw err;
  }
  if (settings.stun && !stunHere) server.core.stunPort = settings.stunPort ?? server.port;
  if (handoffPort !== undefined) {
    const s = server;
    process.on('message', (m: { mp?: unknown; head?: unknown }, handle: unknown) => {
      if (m?.mp !== HANDOFF.conn || !(handle instanceof Socket)) return;
      s.adopt(handle, Buffer.from(typeof m.head === 'string' ? m.head : '', 'latin1'));
    });
    process.send?.({ mp: HANDOFF.ready });
    log('info', 'worker.ready', { index: workerIndex, pid: process.pid, node: server.cluster?.nodeId ?? '' });
  }
  if (server.adminPort !== undefined) log('info', 'admin.listening', { port: server.adminPort });
  // Never the admin token itself: logs are read by more people than the operator.
  if (settings.ui) log('info', 'ui.listening', { lobbyView: '/ui/lobby', operatorView: settings.adminToken === undefined ? 'off' : '/ui/operator' });
  io.onListening?.(server);
  const sig = await stop;
  log('info', 'signal', { signal: sig });
  await server.close();
  // A --workers process holds its IPC channel to the primary open: let go so it can exit.
  if (nodeCluster.isWorker) process.disconnect?.();
  return 0;
}

/** Environment variable telling a --workers process its index (0 runs STUN and the embedded relay). */
const WORKER_INDEX_ENV = 'MESHPUNCH_SIGNAL_WORKER_INDEX';
/** Environment variable telling a --workers process the primary's port (it listens; the workers adopt). */
const HANDOFF_PORT_ENV = 'MESHPUNCH_SIGNAL_HANDOFF_PORT';

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
  const router = new ConnectionRouter(workers, { ...defaultLimits(), ...listen.limits });
  let port: number;
  try {
    port = await router.listen(listen.port, listen.host);
  } catch (err) {
    log('error', 'listen.failed', { host: listen.host, port: listen.port, message: (err as Error).message });
    return 1;
  }
  const env: Record<string, string> = { [HANDOFF_PORT_ENV]: String(port) };
  if (shareSecret) env.MESHPUNCH_SIGNAL_RELAY_SECRET = randomBytes(32).toString('base64url');
  let stopping = false;
  const fork = (index: number): void => {
    const w = nodeCluster.fork({ ...env, [WORKER_INDEX_ENV]: String(index) });
    w.on('message', (m: unknown) => router.onWorkerMessage(index, w, m));
    w.on('exit', (code, signal) => {
      router.workerGone(index, w);
      if (stopping) return;
      log('warn', 'worker.exited', { index, code: code ?? -1, signal: signal ?? '' });
      // A crash loop is bounded by the restart pause.
      setTimeout(() => {
        if (!stopping) fork(index);
      }, 500).unref();
    });
  };
  for (let i = 0; i < workers; i++) fork(i);
  log('info', 'workers.started', { workers });
  const sig = await stop;
  stopping = true;
  log('info', 'signal', { signal: sig });
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
  return 0;
}
