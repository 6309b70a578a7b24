// npm run bench:signaling — 10 000 WebSocket clients in 1 000 lobbies of 10 on loopback against
// one meshpunch-signal process: admissions/s, join latency p50/p99 (at 64 and 256 sockets
// opening at once), messages/s, memory per connection and server CPU per relayed message,
// compared with the targets and anchors of shared/BENCHMARKS.md.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable, ratio } from '../common/table.js';
import type { Row } from '../common/table.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
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
  },
});
const CLIENTS = Number(values.clients);
const LOBBY = Number(values['lobby-size']);
const WORKERS = Number(values.workers);
const CONCURRENCIES = values.concurrency!.split(',').map(Number);
const INFLIGHT = Number(values.inflight);
const WARMUP = Number(values.warmup);

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
  msgsPerS: number;
  errors: number;
  leftover: string;
}

async function round(concurrency: number): Promise<RoundResult> {
  const prof = process.env.MESHPUNCH_BENCH_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.MESHPUNCH_BENCH_PROF}`];
  // MESHPUNCH_BENCH_SERVER_ARGS: extra node flags for the service process only (e.g. --trace-gc).
  const extra = (process.env.MESHPUNCH_BENCH_SERVER_ARGS ?? '').split(' ').filter((a) => a !== '');
  const server = fork(join(here, 'server-proc.js'), [], { execArgv: ['--expose-gc', ...prof, ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await waitFor(server, 'ready');
  const url = `ws://127.0.0.1:${port as number}/`;
  // MESHPUNCH_BENCH_CLIENT_ARGS: extra node flags for the client processes (e.g. --cpu-prof).
  const clientArgs = (process.env.MESHPUNCH_BENCH_CLIENT_ARGS ?? '').split(' ').filter((a) => a !== '');
  const workers = Array.from({ length: WORKERS }, () => fork(join(here, 'client-worker.js'), [], { execArgv: clientArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const lobbies = Math.floor(CLIENTS / LOBBY);
    // Lobby l belongs to worker l % WORKERS; its owner creates it by name, then the others join.
    const admitPhase = async (create: boolean, count = lobbies): Promise<{ latencies: number[]; errors: number; clientCpuUs: number }> => {
      const parts = workers.map(() => [] as Array<{ lobby: string; create: boolean }>);
      for (let l = 0; l < count; l++) {
        const n = create ? 1 : LOBBY - 1;
        for (let k = 0; k < n; k++) parts[l % WORKERS]!.push({ lobby: `bench-${l}`, create });
      }
      const done = workers.map((w) => waitFor(w, 'admitted'));
      workers.forEach((w, i) => w.send({ cmd: 'admit', url, items: parts[i], concurrency: Math.max(1, Math.round(concurrency / WORKERS)), pipeline: values['no-pipeline'] !== true }));
      const res = await Promise.all(done);
      return {
        latencies: res.flatMap((r) => r.latencies as number[]), errors: res.reduce((n, r) => n + (r.errors as number), 0),
        clientCpuUs: res.reduce((n, r) => n + (r.cpuUs as number), 0),
      };
    };
    if (WARMUP > 0) {
      // --warmup N: admit and close N clients first, so the figures below are those of a service
      // whose hot paths are already compiled (a long-running service), not of a cold process.
      const n = Math.max(1, Math.floor(WARMUP / LOBBY));
      await admitPhase(true, n);
      await admitPhase(false, n);
      const closeDone = workers.map((w) => waitFor(w, 'closed'));
      for (const w of workers) w.send({ cmd: 'close' });
      await Promise.all(closeDone);
      for (let i = 0; i < 100 && (await stats(server)).connections! > 0; i++) await new Promise((r) => setTimeout(r, 50));
    }
    const base = await stats(server);
    const t0 = performance.now();
    const a = await admitPhase(true);
    const b = await admitPhase(false);
    const admitMs = performance.now() - t0;
    const admitted = await stats(server);
    const serverCpuPerAdmission = (admitted.cpuUs! - base.cpuUs!) / (a.latencies.length + b.latencies.length);
    // Kernel share: on loopback the sender's write runs the receiver's TCP input path too.
    const serverSysPerAdmission = (admitted.sysUs! - base.sysUs!) / (a.latencies.length + b.latencies.length);
    const clientCpuPerAdmission = (a.clientCpuUs + b.clientCpuUs) / (a.latencies.length + b.latencies.length);
    const latencies = [...a.latencies, ...b.latencies].sort((x, y) => x - y);
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
    console.log(`  ${concurrency} at once: admitted ${latencies.length}/${CLIENTS} in ${admitMs.toFixed(0)} ms (${a.errors + b.errors} errors); ` +
      `relayed ${sent} pair.candidates (${received} delivered, ${relayErrors} errors) in ${relayMs.toFixed(0)} ms ` +
      `(service ${((relayEnd.cpuUs! - relayStart.cpuUs!) / sent).toFixed(1)} µs CPU each, ${((relayEnd.sysUs! - relayStart.sysUs!) / sent).toFixed(1)} µs of it in the kernel); ` +
      `server rss ${(joined.rss! / 2 ** 20).toFixed(1)} MiB (V8 heap ${(joined.heapUsed! / 2 ** 20).toFixed(1)} used of ${(joined.heapTotal! / 2 ** 20).toFixed(1)} MiB reserved, external ${(joined.external! / 2 ** 20).toFixed(1)} MiB) with ${n} connections; server CPU ${serverCpuPerAdmission.toFixed(0)} µs per admission ` +
      `(${serverSysPerAdmission.toFixed(0)} µs of it in the kernel) ` +
      `(${((admitted.cpuUs! - base.cpuUs!) / 1000 / admitMs * 100).toFixed(0)}% of one core during admission), client processes ${clientCpuPerAdmission.toFixed(0)} µs per admission`);
    return {
      concurrency,
      admissionsPerS: (latencies.length / admitMs) * 1000,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      heapPerConn: (joined.heapUsed! + joined.external! - base.heapUsed! - base.external!) / n / 1024,
      rssPerConn: (joined.rss! - base.rss!) / n / 1024,
      cpuPerRelayUs: (relayEnd.cpuUs! - relayStart.cpuUs!) / sent,
      serverCpuPerAdmissionUs: serverCpuPerAdmission,
      clientCpuPerAdmissionUs: clientCpuPerAdmission,
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

console.log(`meshpunch signaling benchmark: ${CLIENTS} clients in ${Math.floor(CLIENTS / LOBBY)} lobbies of ${LOBBY}, loopback, ` +
  `${WARMUP > 0 ? `after a warm-up of ${WARMUP} clients admitted and closed, ` : ''}1 service process + ${WORKERS} client processes (${Math.ceil(CLIENTS / WORKERS)} sockets each; ${openFilesLimit()}), machine has 2 cores shared by all of them.`);
const results: RoundResult[] = [];
for (const c of CONCURRENCIES) results.push(await round(c));

const cols = ['admissions/s', 'join p50 ms', 'join p99 ms', 'KiB/conn (heap)', 'KiB/conn (rss)', 'CPU µs/relayed msg', 'CPU µs/admission (service)', 'CPU µs/admission (clients)', 'messages/s', 'errors'];
const rows: Row[] = results.map((r) => ({
  name: `meshpunch, ${r.concurrency} opening at once`,
  cells: {
    'admissions/s': r.admissionsPerS, 'join p50 ms': r.p50, 'join p99 ms': r.p99, 'KiB/conn (heap)': r.heapPerConn,
    'KiB/conn (rss)': r.rssPerConn, 'CPU µs/relayed msg': r.cpuPerRelayUs, 'CPU µs/admission (service)': r.serverCpuPerAdmissionUs,
    'CPU µs/admission (clients)': r.clientCpuPerAdmissionUs, 'messages/s': r.msgsPerS, errors: r.errors,
  },
}));
rows.push(
  { name: 'target (BENCHMARKS.md)', cells: { 'admissions/s': '≥ 5,000', 'join p99 ms': '≤ 15 @64', 'KiB/conn (rss)': '≤ 6', 'CPU µs/relayed msg': '≤ 15' } },
  { name: 'godot demo server (BENCHMARKS.md)', cells: { 'admissions/s': 1823, 'join p99 ms': '107.5 @256 / 28.5 @64', 'KiB/conn (rss)': 8.2, 'CPU µs/relayed msg': 27 } },
  { name: 'noray (BENCHMARKS.md)', cells: { 'admissions/s': 2394, 'join p99 ms': '137.8 @256 / 51.7 @64', 'KiB/conn (rss)': 9.0, 'CPU µs/relayed msg': '87 (connect)' } },
);
console.log(`\n${renderTable(cols, rows)}`);
const at64 = results.find((r) => r.concurrency === 64);
if (at64 !== undefined) {
  console.log(`\nratios vs BENCHMARKS.md (64 at once): admissions ${ratio(at64.admissionsPerS, 1823).toFixed(1)}× godot demo, ${ratio(at64.admissionsPerS, 2394).toFixed(1)}× noray; ` +
    `join p99 ${ratio(at64.p99, 28.5).toFixed(2)}× godot demo's, ${ratio(at64.p99, 51.7).toFixed(2)}× noray's; ` +
    `CPU per relayed message ${ratio(at64.cpuPerRelayUs, 27).toFixed(2)}× godot demo's (below 1 is better for these two).`);
}
for (const r of results) console.log(`after ${r.concurrency}-at-once round the service held ${r.leftover}.`);
console.log(`load average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores; other work on the machine slows every figure above).`);
console.log(`Anchor figures are copied from shared/BENCHMARKS.md (same machine type, not re-run here). Join latency = open socket → lobby.joined, ` +
  `${values['no-pipeline'] === true ? 'hello and join sent one after the other' : 'hello and lobby.join pipelined in one write (the anchors admit with one message; --no-pipeline waits for welcome first)'}; ` +
  'client CPU included (client processes share the 2 cores).');
