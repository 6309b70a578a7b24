// meshpunch-signal (and `meshpunch signal`, which runs this in its own process): parses flags,
// starts the service, stops it on SIGTERM/SIGINT (cli). The service's modules load only when it
// starts, so --help and --version answer at once (issue #12 item 3).
import { readFileSync } from 'node:fs';
import type { SignalingServer, StunStarter } from '../adapter/signaling-server.js';
import { createLog } from '../adapter/text-log.js';
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
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function signals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

/**
 * Runs the service until a stop signal.
 * @returns the exit code: 0 after a clean stop (or --help), 1 when it could not start, 2 for bad usage
 */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo = {
  out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t),
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
  const log = createLog(settings.logLevel, settings.logFormat, io.isTty ?? process.stderr.isTTY === true, io.err);
  let server: SignalingServer;
  try {
    const { SignalingServer } = await import('../adapter/signaling-server.js');
    server = await SignalingServer.start({
      ...settings.limits,
      host: settings.host,
      port: settings.port,
      logLevel: settings.logLevel,
      allowedOrigins: settings.origins,
      ...(settings.adminPort === undefined ? {} : { admin: { port: settings.adminPort, ...(settings.adminHost === undefined ? {} : { host: settings.adminHost }) } }),
      log,
      ...(settings.ui ? { ui: settings.adminToken === undefined ? {} : { adminToken: settings.adminToken } } : {}),
      stun: settings.stun ? {
        ...(settings.stunPort === undefined ? {} : { port: settings.stunPort }),
        ...(settings.stunAlternateHost === undefined ? {} : { alternateHost: settings.stunAlternateHost }),
        ...(settings.stunAlternatePort === undefined ? {} : { alternatePort: settings.stunAlternatePort }),
      } : false,
      ...(io.startStun === undefined ? {} : { startStun: io.startStun }),
      relay: settings.relay,
    });
  } catch (err) {
    if (err instanceof SignalingError) {
      io.err(`meshpunch-signal: ${err.message}\n`);
      return err.code === 'ERR_INVALID_PARAMETER' ? 2 : 1;
    }
    throw err;
  }
  if (server.adminPort !== undefined) log('info', 'admin.listening', { port: server.adminPort });
  // Never the admin token itself: logs are read by more people than the operator.
  if (settings.ui) log('info', 'ui.listening', { lobbyView: '/ui/lobby', operatorView: settings.adminToken === undefined ? 'off' : '/ui/operator' });
  io.onListening?.(server);
  const sig = await (io.stopSignal ?? signals());
  log('info', 'signal', { signal: sig });
  await server.close();
  return 0;
}
