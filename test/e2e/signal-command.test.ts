// End-to-end: `meshpunch signal` is the signaling service in one process, and the two binaries
// report one version (issue #12 items 3 and 10).
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AgentProcess, MESHPUNCH, ROOT, START_TIMEOUT_MS, stopAll, until } from './agent-process.js';

const SIGNAL_BIN = join(ROOT, 'signaling', 'dist', 'bin', 'meshpunch-signal.js');

/** Pids whose parent is `pid` (Linux /proc; this kernel has no /proc/PID/task/TID/children). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid …": comm may hold spaces or parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out;
}

/** The port from the service's `listening` log record (JSON lines: stderr is not a terminal). */
async function listeningPort(p: AgentProcess): Promise<number> {
  let port: number | undefined;
  await until(() => {
    const line = p.stderr.find((l) => l.includes('"event":"listening"'));
    if (line !== undefined) port = (JSON.parse(line) as { port: number }).port;
    return port !== undefined || p.exitCode !== null;
  }, START_TIMEOUT_MS, 'the service to listen');
  expect(port, p.tail()).to.be.a('number');
  return port!;
}

/** Resolves true when a TCP listener can take `port` on 127.0.0.1 now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('meshpunch signal (end to end)', function () {
  // Two service starts in a test, each allowed START_TIMEOUT_MS.
  this.timeout(3 * START_TIMEOUT_MS);

  it('runs the service in its own process: no child, and kill -9 of its pid frees the port', async () => {
    const sig = new AgentProcess(['signal', '--host', '127.0.0.1', '--port', '0']);
    let children: number[] = [];
    try {
      const port = await listeningPort(sig);
      children = childrenOf(sig.pid);
      expect(children, 'processes started by meshpunch signal').to.deep.equal([]);
      sig.kill('SIGKILL');
      await sig.exited;
      expect(await portIsFree(port), `port ${port} still taken after kill -9 of ${sig.pid}`).to.equal(true);
      // And the next start on that port works (before: EADDRINUSE from the orphaned child).
      const again = new AgentProcess(['signal', '--host', '127.0.0.1', '--port', String(port)]);
      try {
        expect(await listeningPort(again)).to.equal(port);
        again.kill('SIGTERM');
        expect(await again.exited, again.tail()).to.equal(0);
      } finally {
        await stopAll([again]);
      }
    } finally {
      await stopAll([sig]);
      // An orphan of the old two-process form would hold the port: end it by its own pid.
      for (const pid of children) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('prints one version line, the same for `meshpunch --version`, `meshpunch signal --version` and `meshpunch-signal --version`', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')) as { version: string }).version;
    const outputs = [[MESHPUNCH, '--version'], [MESHPUNCH, 'signal', '--version'], [SIGNAL_BIN, '--version']].map((argv) => {
      const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).to.equal(0);
      return r.stdout;
    });
    expect(outputs).to.deep.equal([`meshpunch ${version}\n`, `meshpunch ${version}\n`, `meshpunch ${version}\n`]);
  });

  it('keeps every workspace at one version (what both binaries print)', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; workspaces: string[] };
    for (const ws of root.workspaces) {
      const v = (JSON.parse(readFileSync(join(ROOT, ws, 'package.json'), 'utf8')) as { version: string }).version;
      expect(v, ws).to.equal(root.version);
    }
  });

  it('answers --version without loading the service (no ws, no server modules)', () => {
    // ws is CommonJS: once anything imports it, it sits in the CommonJS module cache.
    const main = join(ROOT, 'signaling', 'dist', 'src', 'cli', 'main.js');
    const script = `import { createRequire } from 'node:module';
const { runCli } = await import(${JSON.stringify(main)});
const code = await runCli(['--version'], {}, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('node_modules'));
process.stdout.write(JSON.stringify({ code, loaded }) + '\\n');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).to.equal(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: number; loaded: string[] };
    expect(last).to.deep.equal({ code: 0, loaded: [] });
  });

  it('logs human-readable lines on a terminal, JSON lines with --log-format json', async () => {
    // util-linux `script` gives the service a pseudo-terminal (Debian's util-linux is essential).
    expect(spawnSync('script', ['--version']).status, 'util-linux script is missing').to.equal(0);
    /**
     * Runs `meshpunch signal` on a pseudo-terminal until it listens, SIGTERMs it by its own pid and
     * returns what it wrote once its exit status has come through the terminal too.
     *
     * The service runs under a shell that prints its exit status and then waits for stdin, so the
     * pty's slave side stays open until the test has read everything. Without that, the service's
     * last line (`signal signal=SIGTERM`) was lost now and then in a loaded CI: the kernel moves
     * pty output to the master side from a work queue, and `script`, once its child has exited,
     * drains the master only briefly, so a line still queued then never reaches `script` at all
     * (seen twice, even after the test read on 'close').
     */
    const onTty = async (extra: string[]): Promise<string> => {
      const service = [process.execPath, MESHPUNCH, 'signal', '--host', '127.0.0.1', '--port', '0', '--no-stun', ...extra].map((a) => `'${a}'`).join(' ');
      const cmd = `${service}; echo "[exit $?]"; read _`;
      const script = spawn('script', ['-qfc', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      script.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((resolve) => script.on('close', resolve));
      /** The shell under `script`, and the service under the shell. */
      const tree = (): number[] => childrenOf(script.pid!).flatMap((sh) => [sh, ...childrenOf(sh)]);
      try {
        await until(() => /listening/.test(out) || script.exitCode !== null, START_TIMEOUT_MS, 'the service to listen on a terminal');
        const [, node] = tree();
        expect(node, `no service process under script's shell\n${out}`).to.be.a('number');
        process.kill(node!, 'SIGTERM');
        await until(() => /\[exit \d+\]/.test(out), 15_000, 'the service to stop and its exit status to reach the terminal');
      } finally {
        for (const pid of tree().reverse()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // exited between the listing and the kill
          }
        }
        if (script.exitCode === null) script.kill('SIGKILL');
        await exited;
      }
      const text = out.replace(/\r/g, '');
      expect(text, 'the service exits 0 after SIGTERM').to.include('[exit 0]');
      return text;
    };
    const text = await onTty([]);
    expect(text).to.match(/^\d\d:\d\d:\d\d\.\d{3} info  listening host=127\.0\.0\.1 port=\d+ stunPort=0$/m);
    expect(text).to.match(/^\d\d:\d\d:\d\d\.\d{3} info  signal signal=SIGTERM$/m);
    expect(text).to.not.include('{"time"');
    const json = await onTty(['--log-format', 'json']);
    expect(json).to.match(/^\{"time":"[^"]+","level":"info","event":"listening","host":"127\.0\.0\.1","port":\d+,"stunPort":0\}$/m);
  });
});
