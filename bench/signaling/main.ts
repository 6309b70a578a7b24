// npm run bench:signaling — meshpunch-signal beside the Godot demo server and noray, measured in
// one run by the shared comparison kit (shared/anchors/signaling: 10 000 clients in lobbies of
// 10, the kit's driver for each system), plus meshpunch-only figures from lean clients.
// Definitions are the kit's (docs/benchmarks.md): join = socket open → lobby.joined; memory =
// server RSS delta per admitted connection; every ratio printed comes from this run.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../common/table.js';
import type { Row } from '../common/table.js';
import { KIT_SYSTEMS, kitProblem, readKitResults, runKit, spread } from './kit.js';
import type { KitFigures, KitSystem } from './kit.js';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '../../..');

const USAGE = `usage: npm run bench:signaling -- [options]
  (or node bench/dist/signaling/main.js [options] after tsc -b)

Default: runs the shared kit (--kit) so demo, noray and meshpunch are measured in one run by one
driver method, prints medians [min–max] and meshpunch's ratios to each anchor; then the lean-client
rounds (meshpunch alone, no ratios). Without root or without the kit, only the lean rounds run.

  --kit DIR             the shared kit (default: ${resolve(project, '../shared/anchors/signaling')})
  --rounds N            kit rounds, median taken (default 3)
  --no-kit              skip the kit (meshpunch alone; no anchor ratios)
  --no-lean             skip the lean-client rounds
  --clients N           clients (default 10000)
  --lobby-size N        lobby size (default 10)
  --concurrency A,B     sockets opening at once (default 64,256)
  --workers N           lean client processes (default 2)
  --inflight N          lean relay requests in flight (default 64)
  --no-relay            lean: skip the relay burst
  --no-pipeline         lean: wait for welcome before lobby.join
  --warmup N            lean: admit and close N clients first
  --idle N              then hold N idle joined clients (answering heartbeats) for --idle-seconds
                        and report service CPU and event-loop wake-ups per second (default 0: off)
  --idle-seconds S      (default 60)
  --heartbeat-ms MS     the service's heartbeatMs for the lean and idle runs (default: its default)
  -h, --help            this text
Environment: MESHPUNCH_BENCH_PROF=DIR (--cpu-prof of every process), MESHPUNCH_BENCH_HEAPSNAPSHOT=FILE,
MESHPUNCH_BENCH_SERVER_ARGS / MESHPUNCH_BENCH_CLIENT_ARGS (extra node flags).`;

function options(): ReturnType<typeof parse> {
  try {
    return parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
function parse() {
  return parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      kit: { type: 'string', default: resolve(project, '../shared/anchors/signaling') },
      rounds: { type: 'string', default: '3' },
      'no-kit': { type: 'boolean', default: false },
      'no-lean': { type: 'boolean', default: false },
      clients: { type: 'string', default: '10000' },
      'lobby-size': { type: 'string', default: '10' },
      // One client process per core: with 4 on the 2-core machine the clients spent ~20% more CPU
      // per admission (context switches, fewer sockets served per wake-up) for no more throughput.
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '64,256' },
      inflight: { type: 'string', default: '64' },
      'no-relay': { type: 'boolean', default: false },
      'no-pipeline': { type: 'boolean', default: false },
      warmup: { type: 'string', default: '0' },
      idle: { type: 'string', default: '0' },
      'idle-seconds': { type: 'string', default: '60' },
      'heartbeat-ms': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
const values = options();
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}
function int(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got ${String(v)}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const CLIENTS = int('clients', values.clients, 2);
const LOBBY = int('lobby-size', values['lobby-size'], 2);
const WORKERS = int('workers', values.workers, 1);
const CONCURRENCIES = (values.concurrency ?? '').split(',').map((c) => int('concurrency', c, 1));
const INFLIGHT = int('inflight', values.inflight, 1);
const WARMUP = int('warmup', values.warmup, 0);
const ROUNDS = int('rounds', values.rounds, 1);
const IDLE = int('idle', values.idle, 0);
const IDLE_S = int('idle-seconds', values['idle-seconds'], 1);
const HEARTBEAT_MS = values['heartbeat-ms'] === undefined ? undefined : int('heartbeat-ms', values['heartbeat-ms'], 100);

type Msg = Record<string, unknown> & { kind: string };

function waitFor(child: ChildProcess, kind: string): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Msg): void => {
      if (m.kind !== kind) return;
      child.off('message', onMsg);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void => reject(new Error(`child exited (${code}) while waiting for ${kind}`));
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

async function stats(server: ChildProcess): Promise<Record<string, number>> {
  const p = waitFor(server, 'stats');
  server.send({ cmd: 'stats' });
  return (await p) as unknown as Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function openFilesLimit(): string {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return line === undefined ? 'unknown' : line.replace(/\s+/g, ' ').trim();
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function startServer(): ChildProcess {
  const prof = process.env.MESHPUNCH_BENCH_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.MESHPUNCH_BENCH_PROF}`];
  // MESHPUNCH_BENCH_SERVER_ARGS: extra node flags for the service process only (e.g. --trace-gc).
  const extra = (process.env.MESHPUNCH_BENCH_SERVER_ARGS ?? '').split(' ').filter((a) => a !== '');
  const env = HEARTBEAT_MS === undefined ? process.env : { ...process.env, MESHPUNCH_BENCH_HEARTBEAT_MS: String(HEARTBEAT_MS) };
  return fork(join(here, 'server-proc.js'), [], { execArgv: ['--expose-gc', ...prof, ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
}

function startWorkers(n: number): ChildProcess[] {
  // MESHPUNCH_BENCH_CLIENT_ARGS: extra node flags for the client processes (e.g. --cpu-prof).
  const clientArgs = (process.env.MESHPUNCH_BENCH_CLIENT_ARGS ?? '').split(' ').filter((a) => a !== '');
  return Array.from({ length: n }, () => fork(join(here, 'client-worker.js'), [], { execArgv: clientArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

interface RoundResult {
  concurrency: number;
  admissionsPerS: number;
  p50: number;
  p99: number;
  heapPerConn: number;
  rssPerConn: number;
  cpuPerRelayUs: number;
  serverCpuPerAdmissionUs: number;
  clientCpuPerAdmissionUs: number;
  msgsPerAdmission: number;
  msgsPerS: number;
  errors: number;
  leftover: string;
}

/** Lobby l belongs to worker l % workers; its owner creates it by name, then the others join. */
async function admitPhase(workers: ChildProcess[], url: string, concurrency: number, create: boolean, count: number, offset = 0): Promise<{ latencies: number[]; errors: number; clientCpuUs: number }> {
  const parts = workers.map(() => [] as Array<{ lobby: string; create: boolean }>);
  for (let l = 0; l < count; l++) {
    const n = create ? 1 : LOBBY - 1;
    for (let k = 0; k < n; k++) parts[l % workers.length]!.push({ lobby: `bench-${offset + l}`, create });
  }
  const done = workers.map((w) => waitFor(w, 'admitted'));
  workers.forEach((w, i) => w.send({ cmd: 'admit', url, items: parts[i], concurrency: Math.max(1, Math.round(concurrency / workers.length)), pipeline: values['no-pipeline'] !== true }));
  const res = await Promise.all(done);
  return {
    latencies: res.flatMap((r) => r.latencies as number[]), errors: res.reduce((n, r) => n + (r.errors as number), 0),
    clientCpuUs: res.reduce((n, r) => n + (r.cpuUs as number), 0),
  };
}

async function round(concurrency: number): Promise<RoundResult> {
  const server = startServer();
  const { port } = await waitFor(server, 'ready');
  const url = `ws://127.0.0.1:${port as number}/`;
  const workers = startWorkers(WORKERS);
  try {
    const lobbies = Math.floor(CLIENTS / LOBBY);
    if (WARMUP > 0) {
      // --warmup N: admit and close N clients first, so the figures below are those of a service
      // whose hot paths are already compiled (a long-running service), not of a cold process.
      const n = Math.max(1, Math.floor(WARMUP / LOBBY));
      await admitPhase(workers, url, concurrency, true, n, lobbies);
      await admitPhase(workers, url, concurrency, false, n, lobbies);
      const closeDone = workers.map((w) => waitFor(w, 'closed'));
      for (const w of workers) w.send({ cmd: 'close' });
      await Promise.all(closeDone);
      for (let i = 0; i < 100 && (await stats(server)).connections! > 0; i++) await new Promise((r) => setTimeout(r, 50));
    }
    const base = await stats(server);
    const t0 = performance.now();
    const a = await admitPhase(workers, url, concurrency, true, lobbies);
    const b = await admitPhase(workers, url, concurrency, false, lobbies);
    const admitMs = performance.now() - t0;
    const admitted = await stats(server);
    const nAdmitted = a.latencies.length + b.latencies.length;
    const serverCpuPerAdmission = (admitted.cpuUs! - base.cpuAfterUs!) / nAdmitted;
    // Kernel share: on loopback the sender's write runs the receiver's TCP input path too.
    const serverSysPerAdmission = (admitted.sysUs! - base.sysAfterUs!) / nAdmitted;
    const clientCpuPerAdmission = (a.clientCpuUs + b.clientCpuUs) / nAdmitted;
    const latencies = [...a.latencies, ...b.latencies].sort((x, y) => x - y);
    // As the kit: memory once every pair.start is out (the lean clients hold no state to wait on; 1 s).
    await new Promise((r) => setTimeout(r, 1000));
    const joined = await stats(server);
    const n = joined.connections!;
    if (process.env.MESHPUNCH_BENCH_HEAPSNAPSHOT !== undefined) {
      // A heap snapshot of the service with every client admitted and idle (first round only).
      const p = waitFor(server, 'snapshot');
      server.send({ cmd: 'snapshot' });
      console.log(`  heap snapshot: ${(await p).file as string}`);
      delete process.env.MESHPUNCH_BENCH_HEAPSNAPSHOT;
    }
    const relayStart = await stats(server);
    const tr = performance.now();
    const relayDone = workers.map((w) => waitFor(w, 'relayed'));
    for (const w of workers) w.send({ cmd: 'relay', inflight: values['no-relay'] === true ? 0 : INFLIGHT });
    const relayed = await Promise.all(relayDone);
    const relayMs = performance.now() - tr;
    const relayEnd = await stats(server);
    const sent = relayed.reduce((s, r) => s + (r.sent as number), 0);
    const received = relayed.reduce((s, r) => s + (r.received as number), 0);
    const relayErrors = relayed.reduce((s, r) => s + (r.errors as number), 0);
    const closeDone = workers.map((w) => waitFor(w, 'closed'));
    for (const w of workers) w.send({ cmd: 'close' });
    await Promise.all(closeDone);
    await new Promise((r) => setTimeout(r, 500));
    const end = await stats(server);
    const msgs = relayEnd.msgsIn! - relayStart.msgsIn! + relayEnd.msgsOut! - relayStart.msgsOut!;
    console.log(`  ${concurrency} at once: admitted ${nAdmitted}/${CLIENTS} in ${admitMs.toFixed(0)} ms (${a.errors + b.errors} errors); ` +
      `relayed ${sent} pair.candidates (${received} delivered, ${relayErrors} errors) in ${relayMs.toFixed(0)} ms ` +
      `(service ${((relayEnd.cpuUs! - relayStart.cpuAfterUs!) / sent).toFixed(1)} µs CPU each, ${((relayEnd.sysUs! - relayStart.sysAfterUs!) / sent).toFixed(1)} µs of it in the kernel); ` +
      `server rss ${(joined.rss! / 2 ** 20).toFixed(1)} MiB (V8 heap ${(joined.heapUsed! / 2 ** 20).toFixed(1)} used of ${(joined.heapTotal! / 2 ** 20).toFixed(1)} MiB reserved, external ${(joined.external! / 2 ** 20).toFixed(1)} MiB) with ${n} connections; server CPU ${serverCpuPerAdmission.toFixed(0)} µs per admission ` +
      `(${serverSysPerAdmission.toFixed(0)} µs of it in the kernel) ` +
      `(${((admitted.cpuUs! - base.cpuAfterUs!) / 1000 / admitMs * 100).toFixed(0)}% of one core during admission), client processes ${clientCpuPerAdmission.toFixed(0)} µs per admission`);
    return {
      concurrency,
      admissionsPerS: (nAdmitted / admitMs) * 1000,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      heapPerConn: (joined.heapUsed! + joined.external! - base.heapUsed! - base.external!) / n / 1024,
      rssPerConn: (joined.rss! - base.rss!) / nAdmitted / 1024,
      cpuPerRelayUs: (relayEnd.cpuUs! - relayStart.cpuAfterUs!) / sent,
      serverCpuPerAdmissionUs: serverCpuPerAdmission,
      clientCpuPerAdmissionUs: clientCpuPerAdmission,
      msgsPerAdmission: (admitted.msgsOut! - base.msgsOut!) / nAdmitted,
      msgsPerS: (msgs / relayMs) * 1000,
      errors: a.errors + b.errors + relayErrors + (sent - received),
      leftover: `${end.connections} connections, ${end.lobbies} lobbies, ${end.members} members`,
    };
  } finally {
    for (const w of workers) w.kill();
    server.send({ cmd: 'stop' });
    await new Promise((r) => server.once('exit', r));
  }
}

/** --idle: N joined clients that only answer heartbeats, for S seconds: service CPU and wake-ups. */
async function idleRun(n: number, seconds: number): Promise<void> {
  const server = startServer();
  const { port } = await waitFor(server, 'ready');
  const url = `ws://127.0.0.1:${port as number}/`;
  const workers = startWorkers(WORKERS);
  try {
    const lobbies = Math.floor(n / LOBBY);
    await admitPhase(workers, url, 64, true, lobbies);
    await admitPhase(workers, url, 64, false, lobbies);
    // Let admission's aftermath (pair.start, first heartbeat acks) settle before measuring.
    await new Promise((r) => setTimeout(r, 2000));
    const s0 = await stats(server);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const s1 = await stats(server);
    const cpuMsPerS = (s1.cpuUs! - s0.cpuAfterUs!) / 1000 / seconds;
    const wakeups = (s1.wakeups! - s0.wakeups!) / seconds;
    const hb = (s1.msgsOut! - s0.msgsOut!) / seconds;
    console.log(`  idle: ${s1.connections} connections for ${seconds} s (heartbeatMs ${HEARTBEAT_MS ?? 'default'}): service CPU ${cpuMsPerS.toFixed(1)} ms/s ` +
      `(${(cpuMsPerS / 10).toFixed(2)} % of a core), ${wakeups.toFixed(0)} event-loop wake-ups/s, ${hb.toFixed(0)} heartbeats/s out, ` +
      `${((s1.cpuUs! - s0.cpuAfterUs!) / Math.max(1, s1.msgsOut! - s0.msgsOut!)).toFixed(1)} µs CPU per heartbeat + ack; load average ${loadAverage()}`);
  } finally {
    for (const w of workers) w.kill();
    server.send({ cmd: 'stop' });
    await new Promise((r) => server.once('exit', r));
  }
}

const FIG_COLS: ReadonlyArray<[keyof KitFigures, string, boolean]> = [
  // [figure, column, higher is better]
  ['admissionsPerS', 'admissions/s', true], ['joinP50', 'join p50 ms', false], ['joinP99', 'join p99 ms', false],
  ['kibPerConn', 'KiB/conn (rss)', false], ['cpuPerAdmissionUs', 'CPU µs/admission', false], ['cpuPerRelayUs', 'CPU µs/relayed msg', false],
];
const SYS_NAME: Record<KitSystem, string> = { demo: 'godot demo server', noray: 'noray', mesh: 'meshpunch' };

/** The kit's run: one table of medians [min–max] and meshpunch's ratios, all from this run. */
async function kitRun(kitDir: string): Promise<void> {
  console.log(`shared kit ${kitDir}: ${ROUNDS} round(s) of demo, noray, meshpunch interleaved, ${CLIENTS} clients, lobbies of ${LOBBY}, ${CONCURRENCIES.join(' and ')} opening at once (load average ${loadAverage()})`);
  const dir = await runKit(kitDir, project, ROUNDS, CLIENTS, LOBBY, CONCURRENCIES);
  const res = readKitResults(dir);
  const cols = FIG_COLS.map(([, c]) => c);
  const rows: Row[] = [];
  const ratios: string[] = [];
  for (const inf of CONCURRENCIES) {
    const med = new Map<KitSystem, Record<string, number>>();
    for (const sys of KIT_SYSTEMS) {
      const runs = res.get(sys)?.get(inf);
      if (runs === undefined || runs.length === 0) continue;
      const cells: Record<string, string> = {};
      const m: Record<string, number> = {};
      for (const [k, c] of FIG_COLS) {
        const s = spread(runs.map((r) => r[k]));
        m[k] = s.median;
        cells[c] = runs.length === 1 ? fmt(s.median) : `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
      }
      med.set(sys, m);
      rows.push({ name: `${SYS_NAME[sys]} @${inf} (${runs.length} run${runs.length === 1 ? '' : 's'})`, cells });
    }
    const mesh = med.get('mesh');
    if (mesh === undefined) continue;
    for (const sys of ['demo', 'noray'] as const) {
      const a = med.get(sys);
      if (a === undefined) continue;
      ratios.push(`@${inf} meshpunch / ${SYS_NAME[sys]}: ` + FIG_COLS.map(([k, c]) => `${c} ${(mesh[k]! / a[k]!).toFixed(2)}`).join(', '));
    }
    const best = (k: keyof KitFigures, up: boolean): number => {
      const v = ['demo', 'noray'].map((s) => med.get(s as KitSystem)?.[k]).filter((x): x is number => x !== undefined);
      return up ? Math.max(...v) : Math.min(...v);
    };
    const demo = med.get('demo');
    ratios.push(`@${inf} targets: admissions/s ${fmt(mesh.admissionsPerS!)} vs ≥ ${fmt(2 * best('admissionsPerS', true))} (2× best anchor)` +
      (demo === undefined ? '' : `; join p50 ${fmt(mesh.joinP50!)} vs ≤ ${fmt(demo.joinP50!)} (demo's)`) +
      `; join p99 ${fmt(mesh.joinP99!)} vs ≤ ${fmt(0.5 * best('joinP99', false))} (0.5× best anchor); KiB/conn ${fmt(mesh.kibPerConn!)} vs ≤ 6; CPU µs/relayed msg ${fmt(mesh.cpuPerRelayUs!)} vs ≤ 10`);
  }
  console.log(`\n${renderTable(cols, rows)}\n`);
  for (const r of ratios) console.log(r);
  console.log(`(ratios of medians; for admissions/s above 1 is better, for the rest below 1 is better. noray's CPU per relayed message is per connect answer; its join is TCP connect → registered. Raw results: ${dir}; load average now ${loadAverage()})\n`);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

const kitWhy = values['no-kit'] === true ? 'skipped (--no-kit)' : kitProblem(values.kit!);
if (kitWhy === undefined) await kitRun(values.kit!);
else console.log(`shared kit not run: ${kitWhy}. No anchor ratios are printed: anchors are only compared within one run.\n`);

if (values['no-lean'] !== true) {
  console.log(`meshpunch alone, lean clients: ${CLIENTS} clients in ${Math.floor(CLIENTS / LOBBY)} lobbies of ${LOBBY}, loopback, ` +
    `${WARMUP > 0 ? `after a warm-up of ${WARMUP} clients admitted and closed, ` : ''}1 service process + ${WORKERS} client processes (${Math.ceil(CLIENTS / WORKERS)} sockets each; ${openFilesLimit()}).`);
  const results: RoundResult[] = [];
  for (const c of CONCURRENCIES) results.push(await round(c));
  const cols = ['admissions/s', 'join p50 ms', 'join p99 ms', 'KiB/conn (rss)', 'KiB/conn (heap)', 'CPU µs/relayed msg', 'CPU µs/admission (service)', 'CPU µs/admission (clients)', 'msgs out/admission', 'messages/s', 'errors'];
  const rows: Row[] = results.map((r) => ({
    name: `meshpunch (lean clients), ${r.concurrency} opening at once`,
    cells: {
      'admissions/s': r.admissionsPerS, 'join p50 ms': r.p50, 'join p99 ms': r.p99, 'KiB/conn (heap)': r.heapPerConn,
      'KiB/conn (rss)': r.rssPerConn, 'CPU µs/relayed msg': r.cpuPerRelayUs, 'CPU µs/admission (service)': r.serverCpuPerAdmissionUs,
      'CPU µs/admission (clients)': r.clientCpuPerAdmissionUs, 'msgs out/admission': r.msgsPerAdmission, 'messages/s': r.msgsPerS, errors: r.errors,
    },
  }));
  console.log(`\n${renderTable(cols, rows)}`);
  for (const r of results) console.log(`after ${r.concurrency}-at-once round the service held ${r.leftover}.`);
  console.log('Lean clients are cheaper than the kit\'s ws driver, so admissions/s and latency here are not comparable with the anchors; ' +
    `same definitions (join = socket open → lobby.joined, hello and lobby request ${values['no-pipeline'] === true ? 'one after the other' : 'pipelined'}; memory = RSS delta per admitted connection).`);
}
if (IDLE > 0) await idleRun(IDLE, IDLE_S);
console.log(`load average at the end: ${loadAverage()} (2 cores; other work on the machine slows every figure above).`);
