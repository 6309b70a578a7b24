// Builds and drives godot-peer.c, a libenet peer with Godot 4's ENetMultiplayerPeer wire
// conventions, for the interop tests (spawns a process; loopback only; killed by pid).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'interop', 'godot', 'godot-peer.c');

/** Why the harness cannot be built here, or undefined when gcc and libenet-dev are present. */
export function missingPrerequisite(): string | undefined {
  if (!existsSync('/usr/include/enet/enet.h')) return 'libenet-dev is not installed (no /usr/include/enet/enet.h)';
  if (spawnSync('gcc', ['--version']).status !== 0) return 'gcc is not installed';
  if (!existsSync(SOURCE)) return `harness source missing: ${SOURCE}`;
  return undefined;
}

/** Compiles godot-peer.c into a fresh temp dir; returns the binary and a cleanup function. */
export function buildGodotPeer(): { bin: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'meshpunch-godot-peer-'));
  const bin = join(dir, 'godot-peer');
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', bin, SOURCE, '-lenet'], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`gcc failed: ${r.stderr}`);
  }
  return { bin, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One running godot-peer process with a line-based reader. */
export class GodotPeerProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private partial = '';
  private waiters: Array<() => void> = [];
  private exited = false;

  constructor(bin: string, args: string[]) {
    this.child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.partial += chunk;
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        this.lines.push(this.partial.slice(0, nl));
        this.partial = this.partial.slice(nl + 1);
      }
      this.wake();
    });
    // 'close', not 'exit': lines still in the pipe at the exit are read first, so a wait for
    // one does not fail with "harness exited".
    this.child.on('close', () => {
      this.exited = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends one command line to the process. */
  command(line: string): void {
    if (!this.exited) this.child.stdin.write(line + '\n');
  }

  /**
   * Resolves with the first line (from index `from` on) matching `re`, while `tick` runs every
   * few ms (to poll our side). Rejects after `timeoutMs` with the lines seen.
   */
  async waitFor(re: RegExp, opts: { from?: number; timeoutMs?: number; tick?: () => void } = {}): Promise<RegExpMatchArray> {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    let i = opts.from ?? 0;
    for (;;) {
      for (; i < this.lines.length; i++) {
        const m = this.lines[i]!.match(re);
        if (m) return m;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; harness said:\n${this.lines.join('\n')}`);
      if (this.exited) throw new Error(`harness exited while waiting for ${re}; it said:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      opts.tick?.();
    }
  }

  /** Kills the process by its pid (never by name) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.kill('SIGKILL');
    await done;
  }
}

/** Polls `tick` every 2 ms until `cond` holds; throws after `timeoutMs`. */
export async function until(cond: () => boolean, tick: () => void, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    tick();
    if (cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
