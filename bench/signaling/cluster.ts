// npm run bench:signaling:cluster — meshpunch-signal with its lobbies in memory, on one node
// with Redis, and as --workers 2 with Redis (issue 14), driven by bench:signaling's lean client
// processes (client-worker.ts: same definitions — join = socket open → lobby.joined with hello and
// the lobby request pipelined, lobbies of 10, owner creates by name, the others join).
// Service CPU is read from /proc for every service process (the primary and its workers), and
// redis-server's own CPU is reported apart.
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, benchUsage } from '../common/args.js';
import { ratio, renderTable } from '../common/table.js';
import type { Row } from '../common/table.js';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '../../..');
const LAUNCHER = join(project, 'signaling', 'launcher', 'meshpunch-signal.mjs');
const TICKS_PER_S = 100;

const OPTIONS = {
  clients: { type: 'string', default: '6000' },
  concurrency: { type: 'string', default: '64' },
  workers: { type: 'string', default: '2' },
  only: { type: 'string' },
  probes: { type: 'string', default: '300' },
} as const;
const values = benchArgs(benchUsage('npm run bench:signaling:cluster --', 'meshpunch-signal in memory, on one node with Redis and as --workers 2 with Redis: admissions/s,\njoin p50/p99, service and redis-server CPU per admission.', OPTIONS), OPTIONS);
const CLIENTS = Number(values.clients);
const CONCURRENCY = Number(values.concurrency);
const CLIENT_PROCS = Number(values.workers);
const LOBBY = 10;
const PROBES = Number(values.probes);

type Msg = Record<string, unknown> & { kind: string };

function waitFor(child: ChildProcess, kind: string): Promise<Msg> {
  return new Promise((res, rej) => {
    const onMsg = (m: Msg): void => {
      if (m.kind !== kind) return;
      child.off('message', onMsg);
      child.off('exit', onExit);
      res(m);
    };
    const onExit = (code: number | null): void => rej(new Error(`child exited (${code}) while waiting for ${kind}`));
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** CPU (µs) and RSS (bytes) of a process and its children (the --workers primary's workers). */
function usage(pid: number): { cpuUs: number; rss: number; ownCpuUs: number; byPid: Map<number, number> } {
  const byPid = new Map<number, number>();
  let cpuUs = 0;
  let rss = 0;
  let ownCpuUs = 0;
  const pids = [pid];
  try {
    pids.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number));
  } catch {
    // no children file: the process alone
  }
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = ((Number(f[11]) + Number(f[12])) / TICKS_PER_S) * 1e6;
      cpuUs += us;
      byPid.set(p, us);
      if (p === pid) ownCpuUs = us;
      rss += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return { cpuUs, rss, ownCpuUs, byPid };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** Starts meshpunch-signal on a free port; resolves once /healthz answers 200 (every worker up). */
async function startService(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [LAUNCHER, '--host', '127.0.0.1', '--port', String(port), '--no-stun', '--no-relay', '--log-format', 'json', '--log-level', 'warn',
    '--connections-per-second-per-ip', '0', '--messages-per-second', '0', '--max-connections', '30000', '--max-lobbies', '10000', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const deadline = Date.now() + 20_000;
  for (let ok = 0; ok < 4;) {
    await new Promise((r) => setTimeout(r, 100));
    // Several 200s in a row: with --workers each connection may land on another worker.
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
    ok = status === 200 ? ok + 1 : 0;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`meshpunch-signal did not start: ${log}`);
  }
  return { child, port };
}

/** A node's store round trips (sum s, count) and lobby writes so far, from /metrics (one node: all of it). */
async function storeFigures(port: number): Promise<{ rttSum: number; rttCount: number; writes: number }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  const get = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rttSum: get('meshpunch_signal_cluster_store_rtt_seconds_sum'), rttCount: get('meshpunch_signal_cluster_store_rtt_seconds_count'), writes: get('meshpunch_signal_cluster_lobby_writes_total') };
}

/**
 * --workers: how the connections went, summed over the workers' own /metrics (`?worker=N`):
 * sent on before their upgrade (forwarded), moved after it, and bus entries (in + out).
 */
async function routeFigures(port: number, workers: number): Promise<{ forwarded: number; moved: number; bus: number }> {
  const sum = { forwarded: 0, moved: 0, bus: 0 };
  for (let w = 0; w < workers; w++) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics?worker=${w}`).then((r) => r.text(), () => '');
    const get = (name: string): number => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    sum.forwarded += get('meshpunch_signal_cluster_worker_connections_total{route="forwarded"}');
    sum.moved += get('meshpunch_signal_cluster_worker_connections_total{route="moved"}');
    sum.bus += get('meshpunch_signal_cluster_bus_messages_total{direction="in"}') + get('meshpunch_signal_cluster_bus_messages_total{direction="out"}');
  }
  return sum;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function admit(workers: ChildProcess[], url: string, create: boolean, hint: boolean): Promise<{ latencies: number[]; opens: number[]; errors: number; clientCpuUs: number }> {
  const parts = workers.map(() => [] as Array<{ lobby: string; create: boolean }>);
  const lobbies = Math.floor(CLIENTS / LOBBY);
  for (let l = 0; l < lobbies; l++) for (let k = 0; k < (create ? 1 : LOBBY - 1); k++) parts[l % workers.length]!.push({ lobby: `bench-${l}`, create });
  const done = workers.map((w) => waitFor(w, 'admitted'));
  workers.forEach((w, i) => w.send({ cmd: 'admit', url, items: parts[i], concurrency: Math.max(1, Math.round(CONCURRENCY / workers.length)), pipeline: true, hint }));
  const res = await Promise.all(done);
  return { latencies: res.flatMap((r) => r.latencies as number[]), opens: res.flatMap((r) => r.opens as number[]), errors: res.reduce((n, r) => n + (r.errors as number), 0), clientCpuUs: res.reduce((n, r) => n + (r.cpuUs as number), 0) };
}

interface Result { cpuPerRelayedUs: number; forwardedPct: number; movedPct: number; busPerAdmission: number; probeStoreRttMs: number; probeWritesPerJoin: number; workerCpuPerAdmissionUs: number[]; clientCpuPerAdmissionUs: number; projectedPerS: number; probeJoinP50: number; probeJoinP99: number; probeCreateP50: number; admissionsPerS: number; p50: number; p99: number; openP50: number; relayedPerS: number; kibPerConn: number; cpuPerAdmissionUs: number; primaryCpuPerAdmissionUs: number; redisCpuPerAdmissionUs: number; errors: number }

async function run(args: string[], redisPid: number | undefined, hint: boolean): Promise<Result> {
  const { child, port } = await startService(args);
  const url = `ws://127.0.0.1:${port}/`;
  const workers = Array.from({ length: CLIENT_PROCS }, () => fork(join(here, 'client-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const u0 = usage(child.pid!);
    const r0 = redisPid === undefined ? undefined : usage(redisPid);
    const t0 = performance.now();
    const a = await admit(workers, url, true, hint);
    const b = await admit(workers, url, false, hint);
    const ms = performance.now() - t0;
    const u1 = usage(child.pid!);
    const workerCount = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : 0;
    const routes = workerCount > 0 ? await routeFigures(port, workerCount) : { forwarded: Number.NaN, moved: Number.NaN, bus: Number.NaN };
    const r1 = redisPid === undefined ? undefined : usage(redisPid);
    const n = a.latencies.length + b.latencies.length;
    // Per process: each worker's CPU over the admissions (the primary's is ownCpuUs).
    const workerCpu = [...u1.byPid].filter(([p]) => p !== child.pid).map(([p, us]) => (us - (u0.byPid.get(p) ?? 0)) / n);
    // The busiest process sets the rate once each has a core of its own (the load driver and
    // redis-server on others): admissions / its CPU time.
    const busiest = Math.max((u1.ownCpuUs - u0.ownCpuUs) / n, ...workerCpu);
    await new Promise((r) => setTimeout(r, 1000));
    const held = usage(child.pid!);
    const tr = performance.now();
    const relayDone = workers.map((w) => waitFor(w, 'relayed'));
    for (const w of workers) w.send({ cmd: 'relay', inflight: 64 });
    const relayed = await Promise.all(relayDone);
    const relayMs = performance.now() - tr;
    const relayCpuUs = usage(child.pid!).cpuUs - held.cpuUs;
    const sent = relayed.reduce((s, r) => s + (r.sent as number), 0);
    const received = relayed.reduce((s, r) => s + (r.received as number), 0);
    // Idle join probes (the shared kit's --join-probes) with every admitted client connected.
    const s0 = await storeFigures(port);
    const probed = waitFor(workers[0]!, 'probed');
    workers[0]!.send({ cmd: 'probe', url, probes: PROBES, hint });
    const p = await probed;
    const s1 = await storeFigures(port);
    const probeJoin = (p.join as number[]).sort((x, y) => x - y);
    const probeCreate = (p.create as number[]).sort((x, y) => x - y);
    const lat = [...a.latencies, ...b.latencies].sort((x, y) => x - y);
    const opens = [...a.opens, ...b.opens].sort((x, y) => x - y);
    const admitted = a.latencies.length + b.latencies.length;
    return {
      forwardedPct: (100 * routes.forwarded) / admitted, movedPct: (100 * routes.moved) / admitted, busPerAdmission: routes.bus / admitted,
      workerCpuPerAdmissionUs: workerCpu, clientCpuPerAdmissionUs: (a.clientCpuUs + b.clientCpuUs) / n, projectedPerS: 1e6 / busiest,
      probeStoreRttMs: ((s1.rttSum - s0.rttSum) / Math.max(1, s1.rttCount - s0.rttCount)) * 1000,
      probeWritesPerJoin: (s1.writes - s0.writes) / Math.max(1, probeJoin.length),
      probeJoinP50: percentile(probeJoin, 50), probeJoinP99: percentile(probeJoin, 99), probeCreateP50: percentile(probeCreate, 50),
      admissionsPerS: (n / ms) * 1000, p50: percentile(lat, 50), p99: percentile(lat, 99), openP50: percentile(opens, 50),
      // Each relayed pair.candidates is one message in, one ok out and one message to the other side.
      relayedPerS: (sent / relayMs) * 1000,
      // Service CPU over the relay phase per message sent (its ok and its delivery included).
      cpuPerRelayedUs: relayCpuUs / Math.max(1, sent),
      kibPerConn: (held.rss - u0.rss) / n / 1024,
      cpuPerAdmissionUs: (u1.cpuUs - u0.cpuUs) / n,
      // --workers: the primary's share (accepting and handing over); one node: all of it.
      primaryCpuPerAdmissionUs: (u1.ownCpuUs - u0.ownCpuUs) / n,
      redisCpuPerAdmissionUs: r0 === undefined || r1 === undefined ? Number.NaN : (r1.cpuUs - r0.cpuUs) / n,
      errors: a.errors + b.errors + (sent - received) + (p.errors as number),
    };
  } finally {
    for (const w of workers) w.kill();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

type RedisHelper = { haveRedis(): boolean; startRedis(): Promise<{ url: string; pid: number; stop(): Promise<void> }> };
const redisHelper = (await import(join(project, 'signaling', 'dist', 'test', 'support', 'redis-server.js'))) as RedisHelper;
const rows: Row[] = [];
// Clients name their lobby in the URL (`?lobby=`, as SignalingClient does) except in the last
// rows: clients without the hint, whose connections reach any worker (their members on the
// other worker move to the home at their join, or with --no-worker-moves are relayed over Redis).
const settings: Array<{ name: string; args: (url: string) => string[]; redis: boolean; hint: boolean }> = [
  { name: 'one node, in memory', args: () => [], redis: false, hint: true },
  { name: 'one node, Redis', args: (u) => ['--redis', u], redis: true, hint: true },
  { name: '--workers 2, Redis', args: (u) => ['--redis', u, '--workers', '2'], redis: true, hint: true },
  { name: '--workers 2, Redis, no ?lobby= hint', args: (u) => ['--redis', u, '--workers', '2'], redis: true, hint: false },
  // The same clients with the members on the other worker relayed over Redis pub/sub (before moves).
  { name: '--workers 2, Redis, no ?lobby= hint, --no-worker-moves', args: (u) => ['--redis', u, '--workers', '2', '--no-worker-moves'], redis: true, hint: false },
];
console.log(`meshpunch-signal, lean clients: ${CLIENTS} clients in lobbies of ${LOBBY}, ${CONCURRENCY} opening at once, ${CLIENT_PROCS} client processes, loopback, 2 cores (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
for (const s of settings) {
  if (values.only !== undefined && !values.only.split(',').some((o) => s.name.includes(o))) continue;
  if (s.redis && !redisHelper.haveRedis()) {
    console.log(`  ${s.name}: skipped (redis-server is not installed)`);
    continue;
  }
  const redis = s.redis ? await redisHelper.startRedis() : undefined;
  try {
    const r = await run(s.args(redis?.url ?? ''), redis?.pid, s.hint);
    rows.push({
      name: s.name,
      cells: {
        'idle join p50 ms': r.probeJoinP50, 'idle store RTT ms': s.args('').includes('--workers') ? Number.NaN : r.probeStoreRttMs, 'idle writes/probe': s.args('').includes('--workers') ? Number.NaN : r.probeWritesPerJoin, 'idle join p99 ms': r.probeJoinP99, 'idle create p50 ms': r.probeCreateP50,
        'admissions/s': r.admissionsPerS, 'open p50 ms': r.openP50, 'join p50 ms': r.p50, 'join p99 ms': r.p99, 'relayed msgs/s': r.relayedPerS, 'CPU µs/relayed msg (service)': r.cpuPerRelayedUs, 'KiB/conn (rss)': r.kibPerConn,
        'CPU µs/admission (service)': r.cpuPerAdmissionUs, '(of which primary)': s.args('').includes('--workers') ? r.primaryCpuPerAdmissionUs : Number.NaN,
        '(workers)': r.workerCpuPerAdmissionUs.length === 0 ? '—' : r.workerCpuPerAdmissionUs.map((x) => x.toFixed(0)).join(' + '),
        'admissions/s, a core each': r.projectedPerS, 'CPU µs/admission (clients)': r.clientCpuPerAdmissionUs, 'CPU µs/admission (redis)': r.redisCpuPerAdmissionUs, errors: r.errors,
        '% sent on before upgrade': r.forwardedPct, '% moved after upgrade': r.movedPct, 'bus entries/admission': r.busPerAdmission,
      },
    });
  } finally {
    await redis?.stop();
  }
}
console.log(`\n${renderTable(['idle join p50 ms', 'idle join p99 ms', 'idle store RTT ms', 'idle writes/probe', 'idle create p50 ms', 'admissions/s', 'open p50 ms', 'join p50 ms', 'join p99 ms', 'relayed msgs/s', 'CPU µs/relayed msg (service)', 'KiB/conn (rss)', 'CPU µs/admission (service)', '(of which primary)', '(workers)', 'CPU µs/admission (redis)', 'CPU µs/admission (clients)', 'admissions/s, a core each', '% sent on before upgrade', '% moved after upgrade', 'bus entries/admission', 'errors'], rows)}\n`);

// Ratios from this run's rows (issue 14's targets: two workers ≥ 1.6 × one node; Redis adds ≤ 1 ms
// to join p50), for the rows that ran.
const cell = (name: string, col: string): number | undefined => {
  const v = rows.find((r) => r.name === name)?.cells[col];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const diff = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '—' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)} ms`);
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)} ×` : '—');
const MEM = 'one node, in memory';
const ONE = 'one node, Redis';
console.log(`Redis / memory (one node): join p50 ${diff(cell(ONE, 'join p50 ms'), cell(MEM, 'join p50 ms'))} (64 opening), idle join p50 ${diff(cell(ONE, 'idle join p50 ms'), cell(MEM, 'idle join p50 ms'))}; CPU µs/admission ${x(ratio(cell(ONE, 'CPU µs/admission (service)'), cell(MEM, 'CPU µs/admission (service)')))}; admissions/s ${x(ratio(cell(ONE, 'admissions/s'), cell(MEM, 'admissions/s')))}`);
for (const w of settings.filter((s) => s.name.startsWith('--workers')).map((s) => s.name)) {
  if (cell(w, 'admissions/s') === undefined) continue;
  console.log(`${w} / one node, Redis: admissions/s ${x(ratio(cell(w, 'admissions/s'), cell(ONE, 'admissions/s')))} (target ≥ 1.6 ×), with a core each ${x(ratio(cell(w, 'admissions/s, a core each'), cell(ONE, 'admissions/s, a core each')))}; CPU µs/admission ${x(ratio(cell(w, 'CPU µs/admission (service)'), cell(ONE, 'CPU µs/admission (service)')))}; join p50 ${x(ratio(cell(w, 'join p50 ms'), cell(ONE, 'join p50 ms')))}, p99 ${x(ratio(cell(w, 'join p99 ms'), cell(ONE, 'join p99 ms')))}`);
}
