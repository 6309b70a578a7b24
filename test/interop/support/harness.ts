// Builds (once per test process) and drives the libenet C harness of test/interop/harness:
// a scriptable libenet peer (`HarnessPeer`) and a range-coder/CRC oracle (`RangeCoderOracle`).
// Every child is tracked and killed by its own pid in `killAllHarnesses()` (after-hooks).
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from './pattern.js';

const here = dirname(fileURLToPath(import.meta.url));
/** test/dist/interop/support → test/interop/harness */
const SOURCE = join(here, '..', '..', '..', 'interop', 'harness', 'enet-harness.c');
const ENET_HEADER = '/usr/include/enet/enet.h';
/** How long a harness answer may take before the test fails with the pending command named. */
const ANSWER_TIMEOUT_MS = 10_000;

let built: Promise<string> | undefined;
let buildDir: string | undefined;
const live = new Set<ChildProcessWithoutNullStreams>();

/** What is missing to build the harness here, or undefined when gcc and libenet-dev exist. */
export function harnessPrerequisiteMissing(): string | undefined {
  if (!existsSync(ENET_HEADER)) return 'libenet-dev is not installed (no /usr/include/enet/enet.h)';
  if (!['/usr/bin/gcc', '/usr/local/bin/gcc', '/bin/gcc'].some((p) => existsSync(p))) return 'gcc is not installed';
  return undefined;
}

/**
 * Skips the calling suite with one clear line when gcc or libenet-dev is missing, except under
 * CI=true, where a missing prerequisite fails the suite (docs/design.md, "Test layers").
 */
export function requireHarness(ctx: Mocha.Context): void {
  const missing = harnessPrerequisiteMissing();
  if (missing === undefined) return;
  if (process.env.CI === 'true') throw new Error(`interop prerequisite missing under CI: ${missing}`);
  console.log(`      skipped: ${missing}`);
  ctx.skip();
}

/** Compiles the harness with `gcc -O2 … -lenet` into a temp dir, once per process. */
export function buildHarness(): Promise<string> {
  built ??= new Promise<string>((resolve, reject) => {
    buildDir = mkdtempSync(join(tmpdir(), 'meshpunch-interop-'));
    const exe = join(buildDir, 'enet-harness');
    execFile('gcc', ['-O2', '-Wall', '-o', exe, SOURCE, '-lenet'], (err, _stdout, stderr) => {
      if (err) reject(new Error(`building the libenet harness failed: ${stderr || err.message}`));
      else resolve(exe);
    });
  });
  return built;
}

/** Kills every harness this process started (each by its own pid) and removes the build dir. */
export function killAllHarnesses(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone between the check and the kill.
      }
    }
  }
  live.clear();
}

process.once('exit', () => {
  killAllHarnesses();
  if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
});

/** Reads a child's stdout as lines. */
class LineReader {
  private rest = '';
  constructor(child: ChildProcessWithoutNullStreams, onLine: (line: string) => void) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop()!;
      for (const p of parts) onLine(p);
    });
  }
}

/** One event reported by the libenet harness. */
export type HarnessEvent =
  | { type: 'connect'; peer: number; data: number; address: string; port: number }
  | { type: 'disconnect'; peer: number; data: number }
  | { type: 'receive'; peer: number; channel: number; flags: number; length: number; crc: number; head: Uint8Array };

interface Pending {
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

interface Waiter {
  pred: (e: HarnessEvent) => boolean;
  resolve: (e: HarnessEvent) => void;
}

/** Options of a libenet host inside the harness. */
export interface HarnessHostOptions {
  /** Bind address ("127.0.0.1", "*"), or undefined for an unbound client host. */
  address?: string;
  port?: number;
  peers?: number;
  channels?: number;
  inBandwidth?: number;
  outBandwidth?: number;
  /** enet_host_compress_with_range_coder */
  compress?: boolean;
  /** host->checksum = enet_crc32 */
  checksum?: boolean;
}

/** A libenet 1.3.17 peer in a child process, scripted line by line (see enet-harness.c). */
export class HarnessPeer {
  readonly events: HarnessEvent[] = [];
  port = 0;
  readonly stderr: string[] = [];
  private readonly pending: Pending[] = [];
  private waiters: Waiter[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    new LineReader(child, (l) => this.onLine(l));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => this.stderr.push(d));
    // 'close', not 'exit': an answer still in the pipe at the exit is read before the waits for
    // answers are rejected.
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('close', () => {
      for (const p of this.pending.splice(0)) {
        clearTimeout(p.timer);
        p.reject(new Error(`libenet harness exited while waiting for: ${p.what}`));
      }
    });
  }

  /** Starts a harness process and creates its host. */
  static async start(opts: HarnessHostOptions = {}): Promise<HarnessPeer> {
    const exe = await buildHarness();
    const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const peer = new HarnessPeer(child);
    await peer.answer('ready');
    const addr = opts.address ?? '-';
    const line = await peer.cmd(
      `host ${addr} ${opts.port ?? 0} ${opts.peers ?? 8} ${opts.channels ?? 0} ${opts.inBandwidth ?? 0} ${opts.outBandwidth ?? 0}`,
    );
    peer.port = Number(line.split(' ')[1]);
    if (opts.compress) await peer.cmd('compress 1');
    if (opts.checksum) await peer.cmd('checksum 1');
    return peer;
  }

  /** The child's own pid. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one command line and resolves with its answer line; rejects on an `error` answer. */
  cmd(line: string): Promise<string> {
    const p = this.answer(line);
    this.child.stdin.write(`${line}\n`);
    return p;
  }

  private answer(what: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.pending.findIndex((x) => x.timer === timer);
        if (i >= 0) this.pending.splice(i, 1);
        reject(new Error(`libenet harness gave no answer to "${what.slice(0, 80)}" within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      this.pending.push({ resolve, reject, timer, what: what.slice(0, 80) });
    });
  }

  private onLine(line: string): void {
    const f = line.split(' ');
    let ev: HarnessEvent | undefined;
    if (f[0] === 'connect') ev = { type: 'connect', peer: +f[1]!, data: +f[2]!, address: f[3]!, port: +f[4]! };
    else if (f[0] === 'disconnect') ev = { type: 'disconnect', peer: +f[1]!, data: +f[2]! };
    else if (f[0] === 'recv') {
      ev = { type: 'receive', peer: +f[1]!, channel: +f[2]!, flags: +f[3]!, length: +f[4]!, crc: parseInt(f[5]!, 16), head: fromHex(f[6] ?? '-') };
    }
    if (ev !== undefined) {
      this.events.push(ev);
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.pred(ev)) w.resolve(ev);
        else still.push(w);
      }
      this.waiters = still;
      return;
    }
    const p = this.pending.shift();
    if (p === undefined) return;
    clearTimeout(p.timer);
    if (f[0] === 'error') p.reject(new Error(`libenet harness: ${line} (command: ${p.what})`));
    else p.resolve(line);
  }

  /**
   * Resolves with the first event (already seen or future) matching `pred`, consuming it from
   * `events`; rejects after `timeoutMs`.
   */
  waitEvent(pred: (e: HarnessEvent) => boolean, timeoutMs = 5000, what = 'event'): Promise<HarnessEvent> {
    const i = this.events.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return new Promise<HarnessEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`libenet harness: no ${what} within ${timeoutMs} ms; events so far: ${JSON.stringify(this.events.slice(-5))}`));
      }, timeoutMs);
      const waiter: Waiter = {
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          const k = this.events.indexOf(e);
          if (k >= 0) this.events.splice(k, 1);
          resolve(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits until `n` receive events are buffered (without consuming them). */
  async waitReceives(n: number, timeoutMs = 10_000): Promise<Extract<HarnessEvent, { type: 'receive' }>[]> {
    const start = Date.now();
    const recvs = (): Extract<HarnessEvent, { type: 'receive' }>[] =>
      this.events.filter((e): e is Extract<HarnessEvent, { type: 'receive' }> => e.type === 'receive');
    while (recvs().length < n) {
      if (Date.now() - start > timeoutMs) throw new Error(`libenet harness received ${recvs().length} of ${n} packets within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const got = recvs();
    for (const e of got) this.events.splice(this.events.indexOf(e), 1);
    return got;
  }

  /** Parses `stats` / `peerstats` answers into numbers. */
  async stats(peer?: number): Promise<Record<string, number>> {
    const line = await this.cmd(peer === undefined ? 'stats' : `peerstats ${peer}`);
    const out: Record<string, number> = {};
    for (const kv of line.split(' ').slice(1)) {
      const [k, v] = kv.split('=');
      if (v !== undefined) out[k!] = Number(v);
    }
    return out;
  }

  /** SIGKILL by pid (a crash, as far as the remote peer can tell). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, 'SIGKILL');
    await this.exited;
    live.delete(this.child);
  }

  /** Asks the harness to destroy its host and exit; kills it if it does not within 2 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end('quit\n');
    const t = setTimeout(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, 'SIGKILL');
    }, 2000);
    await this.exited;
    clearTimeout(t);
    live.delete(this.child);
  }
}

/** libenet's own enet_range_coder_compress/decompress and enet_crc32, one request per line. */
export class RangeCoderOracle {
  private readonly queue: Array<(line: string) => void> = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    new LineReader(child, (l) => this.queue.shift()?.(l));
  }

  static async start(): Promise<RangeCoderOracle> {
    const exe = await buildHarness();
    const child = spawn(exe, ['rc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    return new RangeCoderOracle(child);
  }

  private ask(line: string): Promise<string> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** libenet's compressed bytes (empty when it returned 0). */
  async compress(input: Uint8Array, limit = input.length): Promise<Uint8Array> {
    return fromHex(await this.ask(`c ${limit} ${toHex(input)}`));
  }

  /** libenet's decompressed bytes (empty when it returned 0). */
  async decompress(input: Uint8Array, limit = 4096): Promise<Uint8Array> {
    return fromHex(await this.ask(`d ${limit} ${toHex(input)}`));
  }

  /** enet_crc32 as a uint32 (host order). */
  async crc32(input: Uint8Array): Promise<number> {
    return parseInt(await this.ask(`crc ${toHex(input)}`), 16);
  }

  async close(): Promise<void> {
    const done = new Promise<void>((r) => this.child.once('close', () => r()));
    this.child.stdin.end();
    await done;
    live.delete(this.child);
  }
}
