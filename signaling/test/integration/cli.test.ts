// The meshpunch-signal binary as a separate process: --help, bad usage, serving, SIGTERM.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { runCli } from '../../src/cli/main.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meshpunch-signal.js');

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; out: string[]; err: string[]; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => err.push(d.toString()));
  // 'close', not 'exit': it comes once both pipes are drained, so a test that reads `out`/`err`
  // after `exit` sees the process's last lines (its `closed` record, its one error sentence).
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, out, err, exit };
}

/**
 * The port from the process's `listening` record, waited for up to 45 s (a bound on an event, not
 * a measurement: Node loading the service took seconds at load ~20). Fails with what it printed.
 */
async function listeningPort(r: { child: ChildProcessWithoutNullStreams; err: string[] }): Promise<number> {
  const end = performance.now() + 45_000;
  for (;;) {
    const line = r.err.join('').split('\n').find((l) => l.includes('"event":"listening"'));
    if (line !== undefined) return (JSON.parse(line) as { port: number }).port;
    if (r.child.exitCode !== null || r.child.signalCode !== null || performance.now() > end) {
      throw new Error(`meshpunch-signal printed no listening record: ${r.err.join('').slice(-500)}`);
    }
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('meshpunch-signal', function () {
  // Each test starts one or two node processes: seconds each on a loaded machine ('exits 1 when
  // the port is taken' ran past 20 s at load ~20; its wait for the listening line alone may take 20 s).
  this.timeout(60_000);
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('prints --help and exits 0', async () => {
    const r = run(['--help']);
    children.push(r.child);
    expect(await r.exit).to.equal(0);
    expect(r.out.join('')).to.include('Usage: meshpunch-signal [options]');
    expect(r.out.join('')).to.include('--max-connections <n>');
  });

  it('exits 2 with one sentence for a bad flag', async () => {
    const r = run(['--grace-ms', 'soon']);
    children.push(r.child);
    expect(await r.exit).to.equal(2);
    expect(r.err.join('')).to.equal('meshpunch-signal: --grace-ms must be an integer 0..3600000, got "soon"\nTry meshpunch-signal --help\n');
  });

  it('serves clients and STUN, then on SIGTERM tells them and exits 0', async () => {
    const r = run(['--host', '127.0.0.1', '--port', '0', '--log-level', 'debug'], { MESHPUNCH_SIGNAL_MAX_LOBBIES: '5' });
    children.push(r.child);
    const port = await listeningPort(r);
    const c = await SignalingClient.connect(`ws://127.0.0.1:${port}/`);
    expect(c.stunPort).to.equal(port);
    await c.createLobby();
    const shutdown = c.next('shutdown');
    const down = c.next('disconnected');
    r.child.kill('SIGTERM');
    expect(await shutdown).to.deep.equal({ reason: 'the service is shutting down' });
    // 1001: the lobby outlives this instance; the client keeps trying to get it back (issue #12).
    expect(await down).to.deep.include({ code: 1001, willResume: true });
    await c.close();
    expect(await r.exit).to.equal(0);
    const events = r.err.join('').trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).to.include.members(['stun.listening', 'listening', 'lobby.created', 'signal', 'shutdown', 'closed']);
  });

  it('a SIGTERM that arrives while the service starts still stops it gracefully, with its log line', async () => {
    // Before: the handlers were installed only after start-up, so a SIGTERM sent as soon as the
    // `listening` line appeared (a loaded machine) met Node's default action: no `signal` line.
    const err: string[] = [];
    const listenersBefore = process.listenerCount('SIGTERM');
    let server: SignalingServer | undefined;
    const done = runCli(['--host', '127.0.0.1', '--port', '0', '--no-stun'], {}, {
      out: () => {}, err: (t) => err.push(t), isTty: false, onListening: (s) => (server = s),
    });
    // In this process, emit delivers the signal to the listeners runCli has installed by now.
    expect(process.emit('SIGTERM', 'SIGTERM'), 'nothing listens for SIGTERM during start-up').to.equal(true);
    try {
      expect(await done).to.equal(0);
    } finally {
      await server?.close();
    }
    const events = err.join('').trim().split('\n').map((l) => (JSON.parse(l) as { event: string; signal?: string }));
    expect(events.map((e) => e.event)).to.include.members(['listening', 'signal', 'closed']);
    expect(events.find((e) => e.event === 'signal')?.signal).to.equal('SIGTERM');
    expect(process.listenerCount('SIGTERM'), 'runCli let go of its handler').to.equal(listenersBefore);
  });

  it('exits 1 when the port is taken', async () => {
    const a = run(['--host', '127.0.0.1', '--port', '0', '--no-stun']);
    children.push(a.child);
    const port = await listeningPort(a);
    const b = run(['--host', '127.0.0.1', '--port', String(port), '--no-stun']);
    children.push(b.child);
    expect(await b.exit).to.equal(1);
    expect(b.err.join('')).to.include(`cannot listen on 127.0.0.1:${port}`);
    a.child.kill('SIGTERM');
    expect(await a.exit).to.equal(0);
  });
});
