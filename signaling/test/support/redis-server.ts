// A real redis-server (Debian's package) for a test: loopback, a free port, no persistence;
// stopped by its pid (issue 14).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** SIGSTOP: Redis stops answering (connections stay open). */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  /** Stops it (SIGKILL by pid) and waits for the exit. */
  stop(): Promise<void>;
}

/** True when redis-server is installed; under CI=true a missing one throws. */
export function haveRedis(): boolean {
  const ok = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error('redis-server is missing (scripts/setup.mjs --profile test installs it)');
  return ok;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on 127.0.0.1 (`port`: reuse one, e.g. after a stop). */
export async function startRedis(port?: number): Promise<TestRedis> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const p = port ?? await freePort();
    const child: ChildProcess = spawn('redis-server', [
      '--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'notice',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      // Ready in well under a second when quiet; the bound only ends a stuck start (a loaded
      // machine's slow one would otherwise be killed and retried, each try costing the wait again).
      const t = setTimeout(() => resolve(false), 15_000);
      const on = (d: Buffer): void => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(t);
          resolve(true);
        }
      };
      child.stdout!.on('data', on);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (!ready) {
      child.kill('SIGKILL');
      continue;
    }
    child.stdout!.resume();
    child.stderr!.resume();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const pid = child.pid!;
    return {
      port: p, url: `redis://127.0.0.1:${p}`, pid,
      pause: () => process.kill(pid, 'SIGSTOP'),
      resume: () => process.kill(pid, 'SIGCONT'),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
        }
        await exited;
      },
    };
  }
  throw new Error('redis-server did not start');
}
