// Runs test/interop/godot3/project/peer.gd in Debian's headless Godot 3 (`godot3-server`) as a
// NetworkedMultiplayerENet server or client on loopback, and reads its "g3 …" report lines.
// Each run gets a temp copy of the project and a temp HOME/XDG tree (Godot writes user data
// there, never into the checkout or the real $HOME); the process is stopped by its own pid.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian package's binary (scripts/setup.mjs installs `godot3-server` in the test profile). */
export const GODOT3 = '/usr/bin/godot3-server';
/** test/dist/interop/godot3 → test/interop/godot3/project */
const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'interop', 'godot3', 'project');
/**
 * How long Godot may take to start and report `ready` (ms): it loads the engine and compiles the
 * script first, about 0.2 s on a quiet machine; CI runs at load 10–20 on 2 cores.
 */
export const START_TIMEOUT_MS = 30_000;
/** Default wait for one report line (ms), generous for the same reason. */
export const LINE_TIMEOUT_MS = 20_000;
/** peer.gd exits on its own after this long (s), so a test that dies first leaves no orphan. */
const LIFETIME_S = 180;

/** Why Godot 3 cannot run here, or undefined when it can. */
export function godot3Missing(): string | undefined {
  if (!existsSync(GODOT3)) return `${GODOT3} is not installed (Debian package godot3-server)`;
  // Godot 3 prints its version and exits with status 255, so only the text is checked.
  const r = spawnSync(GODOT3, ['--version'], { encoding: 'utf8', timeout: START_TIMEOUT_MS, env: isolatedEnv(tmpdir()) });
  if (!/^3\./m.test(r.stdout)) return `${GODOT3} --version did not report a 3.x engine: ${r.stdout}${r.stderr}`;
  return undefined;
}

/**
 * Skips the calling suite with one clear line when godot3-server is missing, except under
 * CI=true, where a missing prerequisite fails the suite (docs/design.md, "Test layers").
 */
export function requireGodot3(ctx: Mocha.Context): void {
  const missing = godot3Missing();
  if (missing === undefined) return;
  if (process.env.CI === 'true') throw new Error(`interop prerequisite missing under CI: ${missing}`);
  console.log(`      skipped: ${missing}`);
  ctx.skip();
}

/** HOME and XDG directories inside `dir`: Godot creates its user-data tree there. */
function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    LC_ALL: 'C.UTF-8',
  };
}

/** A loopback UDP port that was free a moment ago (Godot 3 cannot report the port it bound). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** What peer.gd reports once its NetworkedMultiplayerENet is created. */
export interface Godot3Ready {
  port: number;
  uniqueId: number;
  compressionMode: number;
  channelCount: number;
}

/** Options of one peer.gd run. */
export interface Godot3PeerOptions {
  role: 'server' | 'client';
  port: number;
  compression: 'none' | 'range_coder';
  /** NetworkedMultiplayerENet.channel_count (default 3, Godot 3's own default). */
  channels?: number;
}

/** One running godot3-server process with peer.gd, read line by line. */
export class Godot3Peer {
  /** Its "g3 …" lines, without the prefix, in order. */
  readonly lines: string[] = [];
  /** Everything else it wrote (engine banner, stderr errors), for failure messages. */
  readonly other: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly dir: string;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(readonly options: Godot3PeerOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'meshpunch-godot3-'));
    const project = join(this.dir, 'project');
    cpSync(PROJECT, project, { recursive: true });
    const args = ['--path', project, '-s', 'res://peer.gd', '--',
      `role=${options.role}`, `port=${options.port}`, `compression=${options.compression}`, `channels=${options.channels ?? 3}`, `lifetime_s=${LIFETIME_S}`];
    this.child = spawn(GODOT3, args, { stdio: ['pipe', 'pipe', 'pipe'], env: isolatedEnv(this.dir) });
    this.readLines(this.child.stdout, (line) => (line.startsWith('g3 ') ? this.lines.push(line.slice(3)) : this.other.push(line)));
    this.readLines(this.child.stderr, (line) => this.other.push(line));
    // 'close', not 'exit': lines still in the pipe at the exit are read first.
    this.child.on('close', () => {
      this.closed = true;
      rmSync(this.dir, { recursive: true, force: true });
      this.wake();
    });
  }

  private readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const p of parts) onLine(p);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** True once the process has exited and its output is read. */
  get hasExited(): boolean {
    return this.closed;
  }

  /** Resolves with the first line from index `from` on that matches `re`; rejects on timeout or exit. */
  async waitFor(re: RegExp, from = 0, timeoutMs = LINE_TIMEOUT_MS): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.lines.length; i++) {
        const m = this.lines[i]!.match(re);
        if (m) return m;
      }
      if (this.closed) throw new Error(`godot3-server exited while waiting for ${re}; it said:\n${this.transcript()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; godot3-server said:\n${this.transcript()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for `ready`; rejects with Godot's own words if it failed to create its host. */
  async ready(): Promise<Godot3Ready> {
    const m = await this.waitFor(/^(?:ready \w+ (\d+) (\d+) (\d+) (\d+)|error .*)$/, 0, START_TIMEOUT_MS);
    if (m[1] === undefined) throw new Error(`peer.gd failed: ${m[0]}\n${this.transcript()}`);
    return { port: Number(m[1]), uniqueId: Number(m[2]), compressionMode: Number(m[3]), channelCount: Number(m[4]) };
  }

  /** Its stdout report and engine output, for failure messages. */
  transcript(): string {
    return [...this.lines.map((l) => `g3 ${l}`), ...this.other].join('\n');
  }

  /** Kills the process by its pid (never by name) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.kill('SIGKILL');
    await done;
  }
}
