// meshpunch-signal as a child process (a cluster node that a test can kill -9 by its pid).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('../../../launcher/meshpunch-signal.mjs', import.meta.url));

export interface SignalProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Log records (JSON lines on stderr) so far. */
  readonly log: Array<Record<string, unknown>>;
  /** SIGKILL by pid, waits for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM by pid, waits for the exit (graceful stop). */
  stop(): Promise<void>;
}

/**
 * How long a start may take until its `listening` record. A bound on a hang, not a measurement:
 * Node loading the service's modules and the Redis client's ~510 files took 0.5-0.8 s here when
 * quiet, 6.5-12 s at load 17 and 21-27 s at load 20 on the 2 shared cores (one start at a
 * time; tests start two or three at once), so the former 30 s failed a start at load 10-16.
 * A --workers start takes twice one (the primary, then its workers: 2.0-2.5 s against 1.0-1.3 s
 * at load 5), ~50 s at load 20. Redis itself no longer delays a start: a node listens within the
 * store's 1 s timeouts (cluster-node.ts start).
 */
export const START_TIMEOUT_MS = 90_000;

/** Every process started here and not yet exited, so a test stops them even when a start failed. */
const running = new Set<ChildProcess>();

/** SIGKILLs (by pid) every process startSignalProcess started that is still running, and waits for them. */
export async function killAllSignalProcesses(): Promise<void> {
  const list = [...running];
  await Promise.all(list.map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    process.kill(c.pid!, 'SIGKILL');
  })));
}

/**
 * Starts `meshpunch-signal` on 127.0.0.1 (`port` 0: a free one) with `args`; resolves once it
 * listens. A process that does not start in time is killed before the promise rejects.
 */
export async function startSignalProcess(args: string[], port = 0): Promise<SignalProcess> {
  const child: ChildProcess = spawn(process.execPath, [LAUNCHER, '--host', '127.0.0.1', '--port', String(port), '--no-stun', '--no-relay', '--log-format', 'json', '--connections-per-second-per-ip', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  const log: Array<Record<string, unknown>> = [];
  // 'close', not 'exit': the last records (a stop's `closed`) are in `log` once `stop()` resolves.
  const exited = new Promise<void>((r) => child.once('close', () => {
    running.delete(child);
    r();
  }));
  /** The last stderr lines, for a failed start's message (records and anything else). */
  const tail: string[] = [];
  const said = (buf: string): string => [...tail, buf].join('\n').slice(-1500);
  const bound = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => {
      process.kill(child.pid!, 'SIGKILL');
      reject(new Error(`meshpunch-signal did not start: ${said(buf)}`));
    }, START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        tail.push(line);
        if (tail.length > 12) tail.shift();
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          log.push(rec);
          if (rec.event === 'listening') {
            clearTimeout(t);
            resolve(Number(rec.port));
          }
        } catch {
          // not a log record
        }
      }
    });
    // 'close', not 'exit': the lines that say why it ended may still be in the pipe at its exit.
    child.once('close', (code) => {
      clearTimeout(t);
      reject(new Error(`meshpunch-signal exited with ${code}: ${said(buf)}`));
    });
  });
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, sig);
    await exited;
  };
  return { pid: child.pid!, port: bound, url: `ws://127.0.0.1:${bound}/`, log, kill9: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
