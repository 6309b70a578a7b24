// Test helper: `meshpunch` CLI processes on loopback, their output collected line by line, and
// waits bounded in time. Every process is stopped by its own pid in `stopAll`.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (test/dist/e2e → ../../..). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The compiled CLI: the package's bin (it runs the bundle when the build made a fresh one). */
export const MESHPUNCH = join(ROOT, 'agent', 'dist', 'bin', 'meshpunch.cjs');

/** One running CLI process. */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  /** Runs `meshpunch …args`, or with `script` another Node script (e.g. meshpunch-signal); `env` adds to this process's environment. */
  constructor(args: readonly string[], script = MESHPUNCH, env: Readonly<Record<string, string>> = {}) {
    this.child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const lines = (sink: string[]) => {
      let rest = '';
      return (chunk: Buffer): void => {
        rest += chunk.toString();
        const parts = rest.split('\n');
        rest = parts.pop()!;
        sink.push(...parts);
        for (const w of this.waiters) w();
      };
    };
    this.child.stdout!.on('data', lines(this.stdout));
    this.child.stderr!.on('data', lines(this.stderr));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes once both pipes are drained, so a process's last lines
      // (its stop record) are in `stdout`/`stderr` when `exited` resolves.
      this.child.on('close', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        for (const w of this.waiters) w();
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first `count` lines of `stream` (stdout by default) matching `re`; rejects after `timeoutMs` with the output so far. */
  waitFor(re: RegExp, timeoutMs: number, count = 1, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hits = this[stream].filter((l) => re.test(l));
        if (hits.length >= count) {
          done();
          resolve(hits);
        } else if (this.exitCode !== null || this.signal !== null) {
          done();
          reject(new Error(`process exited (${this.exitCode ?? this.signal}) before ${count}× ${re}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${count}× ${re} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The last lines of both streams, for failure messages. */
  tail(n = 20): string {
    return [...this.stdout.slice(-n).map((l) => `out| ${l}`), ...this.stderr.slice(-n).map((l) => `err| ${l}`)].join('\n');
  }

  /** Sends a signal by pid. */
  kill(signal: NodeJS.Signals): void {
    if (this.exitCode === null && this.signal === null) process.kill(this.pid, signal);
  }
}

/**
 * How long a process may take to come up (its first line, its `listening` record): Node loading
 * the CLI took up to ~4 s a process at load 20 with several starting at once, and a service
 * with --redis loads its client too (one did not print its first line within 15 s there). A
 * bound on an event, not a measurement: a healthy start ends the wait at once.
 */
export const START_TIMEOUT_MS = 45_000;

/** The signaling service's own binary (compiled). */
export const MESHPUNCH_SIGNAL = join(ROOT, 'signaling', 'dist', 'bin', 'meshpunch-signal.js');

/**
 * Starts `meshpunch-signal` on 127.0.0.1 (`port` 0: a free one) and resolves once it listens,
 * with the process and its port.
 */
export async function startSignalProcess(port = 0, extra: readonly string[] = []): Promise<{ proc: AgentProcess; port: number }> {
  const proc = new AgentProcess(['--host', '127.0.0.1', '--port', String(port), '--log-format', 'json', ...extra], MESHPUNCH_SIGNAL);
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    const line = proc.stderr.find((l) => /"event":"listening"/.test(l));
    if (line !== undefined) return { proc, port: (JSON.parse(line) as { port: number }).port };
    if (proc.exitCode !== null || performance.now() > deadline) throw new Error(`meshpunch-signal did not start within ${START_TIMEOUT_MS} ms:\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stops every process still running (SIGKILL by pid) and waits for their exit. */
export async function stopAll(list: readonly AgentProcess[]): Promise<void> {
  for (const p of list) p.kill('SIGKILL');
  await Promise.all(list.map((p) => p.exited));
}

/** Waits until `pred()` holds, polling every 20 ms, at most `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
