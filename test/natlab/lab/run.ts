// NAT lab: running one command to completion (bounded time and output) and long-lived
// processes that the lab tracks and stops by their own pid (docs/specs/natlab.md §8).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Output kept per stream of one command; lab commands print a few KB at most. */
const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;

/** What a finished command left behind. */
export interface RunResult {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string;
  /** Killed (SIGKILL, by pid) after this many ms; default 20 000. */
  readonly timeoutMs?: number;
  /** Resolve with a non-zero exit instead of rejecting. */
  readonly allowFail?: boolean;
}

/** A command that failed; carries the command line and what it printed. */
export class LabCommandError extends Error {
  override readonly name = 'LabCommandError';
  constructor(readonly argv: readonly string[], readonly result: RunResult, why: string) {
    super(`${argv.join(' ')}: ${why}${result.stderr.trim() ? `: ${result.stderr.trim().slice(0, 2000)}` : ''}`);
  }
}

/**
 * Runs argv[0] with the rest as arguments (no shell) and collects its output.
 * @throws LabCommandError on a non-zero exit (unless allowFail) or when it outlives timeoutMs.
 */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < MAX_CAPTURE_BYTES) stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < MAX_CAPTURE_BYTES) stderr += s;
    });
    child.stdin.on('error', () => {
      // The command may exit before reading its stdin; its exit status tells what happened.
    });
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new LabCommandError(argv, { code: null, stdout, stderr }, err.message));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr };
      if (timedOut) reject(new LabCommandError(argv, result, `killed after ${timeoutMs} ms`));
      else if (code !== 0 && !opts.allowFail) reject(new LabCommandError(argv, result, `exit code ${code}`));
      else resolve(result);
    });
  });
}

/** How long after a process's 'exit' its pipes may take to close before it counts as exited anyway. */
const CLOSE_AFTER_EXIT_MS = 10_000;

/** Lines kept per long-lived process (the newest win); enough for a miniupnpd debug log. */
const MAX_LINES = 5000;

/**
 * A long-lived process inside a lab namespace, started through `ip netns exec` (which execs,
 * so `pid` is the program itself). Its output is kept line by line for `waitForLine`.
 */
/**
 * MESHPUNCH_LAB_LOG_DIR=dir keeps every lab process's whole output there once it exits (a test's
 * failure message carries only tails; a flake seen once under load needs the rest to be understood).
 */
function keepLog(label: string, pid: number, lines: readonly string[]): void {
  const dir = process.env.MESHPUNCH_LAB_LOG_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${label.replace(/[^\w.-]+/g, '_')}-${pid}.log`), lines.join('\n') + '\n');
}

export class LabProcess {
  readonly pid: number;
  readonly lines: string[] = [];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  private exitValue: number | string | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly label: string, private readonly child: ChildProcess) {
    if (child.pid === undefined) throw new Error(`${label}: spawn failed`);
    this.pid = child.pid;
    const onData = (stream: NodeJS.ReadableStream): void => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (s: string) => {
        rest += s;
        const parts = rest.split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) this.push(line);
        if (rest.length > 65536) {
          this.push(rest);
          rest = '';
        }
      });
      stream.on('end', () => {
        if (rest) this.push(rest);
      });
    };
    if (child.stdout) onData(child.stdout);
    if (child.stderr) onData(child.stderr);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes once both pipes are drained, so the process's last lines
      // (a --json report, a `result` line) are in `lines` when `exited` resolves and a
      // waitForLine pending at the exit sees them instead of failing with "exited before".
      // A program that left a child of its own holding the pipes would keep 'close' away: past
      // CLOSE_AFTER_EXIT_MS after 'exit' (output in the pipes is read long before) it counts as exited.
      let fallback: NodeJS.Timeout | undefined;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exitValue !== undefined) return;
        clearTimeout(fallback);
        this.exitValue = code ?? signal ?? 'unknown';
        keepLog(label, this.pid, this.lines);
        resolve(this.exitValue);
        this.notify();
      };
      child.on('exit', (code, signal) => {
        fallback = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(code, signal);
        }, CLOSE_AFTER_EXIT_MS);
      });
      child.on('close', finish);
      child.on('error', (err) => {
        this.push(`spawn error: ${err.message}`);
        this.exitValue = 'spawn-error';
        resolve(this.exitValue);
        this.notify();
      });
    });
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exitValue !== undefined;
  }

  /** Writes to the process's stdin (runners that take commands line by line). */
  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /**
   * Waits until a line matching `re` has been printed (also one printed before the call).
   * @throws Error when the process exits first or `timeoutMs` passes; the message has the last lines.
   */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.lines.find((l) => re.test(l));
        if (hit !== undefined) {
          done();
          resolve(hit);
          return true;
        }
        if (this.exitValue !== undefined) {
          done();
          reject(new Error(`${this.label} exited (${this.exitValue}) before printing ${re}: ${this.tail()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label} did not print ${re} within ${timeoutMs} ms: ${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(listener);
      };
      const listener = (): void => {
        check();
      };
      if (!check()) this.waiters.add(listener);
    });
  }

  /** The last few lines, for error messages. */
  tail(n = 15): string {
    return this.lines.slice(-n).join(' | ');
  }

  /** Stops the process by its pid: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. */
  async stop(graceMs = 1500): Promise<void> {
    if (this.exitValue !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Starts argv as a long-lived process (no shell), stdout/stderr captured, stdin a pipe. */
export function startProcess(label: string, argv: readonly string[]): LabProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  return new LabProcess(label, child);
}
