// The two relays of bench:relay, each a real process on loopback started by the bench and
// stopped by its own pid: meshpunch-signal (the CLI, embedded relay on its STUN port) and coturn
// (`turnserver`, use-auth-secret). Credentials come the way agents get them: relay.credentials
// from the service for a lobby member; coturn's are minted with the shared secret.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintTurnRestCredential, nodeHmacSha1, stunBinding, udpTransport } from '@meshpunch/nat';
import { SignalingClient } from '@meshpunch/signaling/client';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SIGNAL_BIN = join(ROOT, 'signaling', 'dist', 'bin', 'meshpunch-signal.js');
const SECRET = 'bench-relay-secret';
/** Clock ticks per second of /proc/<pid>/stat utime and stime. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A running relay as the bench sees it. */
export interface RelayUnderTest {
  readonly name: string;
  readonly server: { address: string; port: number };
  readonly username: string;
  readonly password: string;
  /** CPU seconds (user + system) the relay process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) are utime and stime; the slice starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Waits (≤ 15 s) until `port` answers a STUN Binding request. */
async function answering(port: number, child: ChildProcess, what: string): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const t = udpTransport(s);
  try {
    for (let i = 0; i < 75; i++) {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before answering`);
      if (await stunBinding(t, { address: '127.0.0.1', port }, { rtoMs: 50, requestCount: 2, lastWaitFactor: 2 }).then(() => true, () => false)) return;
    }
    throw new Error(`${what} did not answer STUN within 15 s`);
  } finally {
    t.detach();
    s.close();
  }
}

/**
 * meshpunch-signal with its embedded relay, its per-allocation and total caps raised so the bench
 * measures the relay, not its limits; two lobby members connect and the first one's credentials
 * are returned (the second, on 127.0.0.1 too, makes loopback a permitted peer address).
 */
export async function startEmbedded(relayPorts: string, signalBin = SIGNAL_BIN): Promise<RelayUnderTest> {
  // MESHPUNCH_BENCH_RELAY_PROF=<dir>: a V8 CPU profile of the relay process, written when it stops.
  const prof = process.env.MESHPUNCH_BENCH_RELAY_PROF;
  const child = spawn(process.execPath, [...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]), signalBin, '--host', '127.0.0.1', '--port', '0', '--log-format', 'json',
    '--relay-secret', SECRET, '--relay-allow-private', '--relay-ports', relayPorts,
    '--relay-bytes-per-second-per-allocation', '1000000000', '--relay-bytes-per-second-total', '1000000000',
    '--relay-datagrams-per-second-per-allocation', '10000000', '--relay-datagrams-per-second-total', '10000000',
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const clients: SignalingClient[] = [];
  try {
    let port = 0;
    for (let i = 0; i < 1000 && port === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (child.exitCode !== null) throw new Error(`meshpunch-signal exited: ${log}`);
      const line = log.split('\n').find((l) => l.includes('"event":"listening"'));
      if (line !== undefined) port = (JSON.parse(line) as { port: number }).port;
    }
    if (port === 0) throw new Error(`meshpunch-signal did not report its port: ${log}`);
    await answering(port, child, 'meshpunch-signal');
    const url = `ws://127.0.0.1:${port}/`;
    const a = await SignalingClient.connect(url);
    const b = await SignalingClient.connect(url);
    clients.push(a, b);
    const { lobby } = await a.createLobby();
    await b.joinLobby(lobby.code);
    const cred = await a.relayCredentials();
    return {
      name: 'embedded (meshpunch-signal)', server: { address: '127.0.0.1', port }, username: cred.username, password: cred.password,
      cpuSeconds: () => cpuOf(child.pid!),
      stop: async () => {
        await Promise.all(clients.map((c) => c.close()));
        await stopChild(child);
      },
    };
  } catch (err) {
    await Promise.all(clients.map((c) => c.close()));
    await stopChild(child);
    throw err;
  }
}

/** A running node:dgram forwarder (dgram-forwarder.ts) toward A's port, and its process's CPU. */
export interface Forwarder {
  readonly port: number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Starts dgram-forwarder.js toward 127.0.0.1:`target`. */
export async function startForwarder(target: number): Promise<Forwarder> {
  const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'dgram-forwarder.js'), '--target', String(target)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 500 && !out.includes('\n'); i++) {
    if (child.exitCode !== null) throw new Error('dgram-forwarder exited before binding');
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!out.includes('\n')) {
    await stopChild(child);
    throw new Error('dgram-forwarder did not bind within 5 s');
  }
  const port = (JSON.parse(out.split('\n')[0]!) as { front: number }).front;
  return { port, cpuSeconds: () => cpuOf(child.pid!), stop: () => stopChild(child) };
}

/** True when coturn's `turnserver` is installed. */
export function hasCoturn(): boolean {
  return spawnSync('turnserver', ['--help'], { stdio: 'ignore' }).error === undefined;
}

/** coturn on 127.0.0.1 with use-auth-secret, no bandwidth cap, loopback peers allowed. */
export async function startCoturn(port: number, minPort: number, maxPort: number): Promise<RelayUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'meshpunch-bench-coturn-'));
  const child = spawn('turnserver', [
    '-n', '--no-tcp', '--no-tls', '--no-dtls', '--no-cli', '--no-tcp-relay', '-L', '127.0.0.1', '--relay-ip', '127.0.0.1',
    '--listening-port', String(port), '--min-port', String(minPort), '--max-port', String(maxPort), '--use-auth-secret',
    '--static-auth-secret', SECRET, '--realm', 'meshpunch', '--allow-loopback-peers', '--fingerprint', '--no-software-attribute',
    '--log-file', 'stdout', '--simple-log', '--pidfile', join(dir, 'coturn.pid'), '--db', join(dir, 'turndb'),
  ], { stdio: 'ignore' });
  try {
    await answering(port, child, 'turnserver');
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'benchlobby', '1', Math.floor(Date.now() / 1000) + 3600, nodeHmacSha1);
  return {
    name: 'coturn', server: { address: '127.0.0.1', port }, username: cred.username, password: cred.password,
    cpuSeconds: () => cpuOf(child.pid!),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
