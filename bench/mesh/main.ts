// `npm run bench:mesh`: time from launch to full mesh for 32 agents on loopback (target p50 ≤ 2.5 s,
// ≤ 5 s) and, when the NAT lab can run here, for 8 agents behind 8 port-restricted NATs with 20 ms
// uplink delay (p50/p95 over 10 runs, target p95 ≤ 1.5 s), each for the default, `--insecure` and
// a `--no-relay` service side by side (variants.ts, interleaved run by run), with every link's
// time split into its phases (phases.ts). Never part of `npm test`.
// Environment: MESH_BENCH_AGENTS (32), MESH_BENCH_RUNS (3, loopback), MESH_BENCH_WARMUP (1 untimed
// loopback round first), MESH_BENCH_LAB_RUNS (10), MESH_BENCH_LAB_WARMUP (1 untimed lab round first: lab.ts),
// MESH_BENCH_VARIANTS (e.g. "default,insecure"; all by default), MESH_BENCH_TRACE=1 (lab timelines),
// MESH_BENCH_COMPARE=<another built checkout> (the lab's agents from both, interleaved: variants.ts).
import { existsSync } from 'node:fs';
import { benchArgs, benchUsage } from '../common/args.js';
import { renderTable, type Row } from '../common/table.js';
import { loopbackMesh, type MeshRun } from './loopback.js';
import { labMeshRuns } from './lab.js';
import { PHASE_COLUMNS, phaseCells } from './phases.js';
import { percentile } from './stats.js';
import { selectVariants, withComparison, type MeshVariant } from './variants.js';

// Options come from the environment (npm passes them through); the command line takes only --help.
benchArgs(benchUsage('npm run bench:mesh', 'time from launch to full mesh: N agents on loopback and 8 in the NAT lab, for the default,\n--insecure and a --no-relay service side by side, each link split into its phases.', {},
  'Environment: MESH_BENCH_AGENTS (32), MESH_BENCH_RUNS (3, loopback), MESH_BENCH_WARMUP (1: untimed\nloopback rounds first), MESH_BENCH_LAB_RUNS (10), MESH_BENCH_LAB_WARMUP (1: untimed lab rounds first), MESH_BENCH_VARIANTS (e.g. "default,insecure"; all by default), MESH_BENCH_TRACE=1 (lab timelines),\nMESH_BENCH_KEEP_ENV=1 (keep NODE_EXTRA_CA_CERTS), MESH_BENCH_COMPARE=<another built checkout> (lab rows for its agents too,\ninterleaved run by run with ours: before/after on a shared machine).'), {});
const LOOPBACK_AGENTS = Number(process.env.MESH_BENCH_AGENTS ?? 32);
const LOOPBACK_RUNS = Number(process.env.MESH_BENCH_RUNS ?? 3);
const LOOPBACK_WARMUP = Number(process.env.MESH_BENCH_WARMUP ?? 1);
const LAB_RUNS = Number(process.env.MESH_BENCH_LAB_RUNS ?? 10);
const LAB_WARMUP = Number(process.env.MESH_BENCH_LAB_WARMUP ?? 1);
const VARIANTS = selectVariants(process.env.MESH_BENCH_VARIANTS);
const LAB_VARIANTS = withComparison(VARIANTS, process.env.MESH_BENCH_COMPARE);
if (LAB_VARIANTS.length > VARIANTS.length && !existsSync(LAB_VARIANTS[1]!.agentBin!)) {
  console.error(`bench:mesh: MESH_BENCH_COMPARE names no built checkout: ${LAB_VARIANTS[1]!.agentBin!} does not exist (run npm ci and tsc -b there first)`);
  process.exit(2);
}

// NODE_EXTRA_CA_CERTS makes Node 20 parse that certificate file at every process start, before
// any of our code runs (~70 ms of CPU each here, where it names the whole system bundle). The
// agents speak ws:// and need no extra CAs; 8 of them starting at once on 2 cores would measure
// that parse, not meshpunch. MESH_BENCH_KEEP_ENV=1 keeps it to see its cost.
if (process.env.NODE_EXTRA_CA_CERTS !== undefined && process.env.MESH_BENCH_KEEP_ENV !== '1') {
  console.log(`agents start without NODE_EXTRA_CA_CERTS (was ${process.env.NODE_EXTRA_CA_CERTS}; MESH_BENCH_KEEP_ENV=1 keeps it)`);
  delete process.env.NODE_EXTRA_CA_CERTS;
}
// The in-process agents of the loopback runs would print their trace lines into this output.
delete process.env.MESHPUNCH_TIMELINE;

const rows: Row[] = [];
const phaseRows: Row[] = [];
function summarise(name: string, runs: readonly MeshRun[], target: string): void {
  const ms = runs.map((r) => r.ms);
  const fromJoin = runs.map((r) => r.fromLastJoinMs);
  rows.push({
    name,
    cells: {
      runs: String(runs.length), formed: String(runs.filter((r) => r.failure === undefined).length),
      'p50 ms': percentile(ms, 50), 'p95 ms': percentile(ms, 95), 'max ms': percentile(ms, 100),
      'last join → mesh p50 / p95': `${percentile(fromJoin, 50).toFixed(0)} / ${percentile(fromJoin, 95).toFixed(0)}`, target,
    },
  });
  phaseRows.push({ name, cells: phaseCells(runs.flatMap((r) => r.timelines)) });
  for (const r of runs) if (r.failure !== undefined) console.log(`  ${name}: failed: ${r.failure}`);
}

console.log(`mesh formation, ${LOOPBACK_AGENTS} agents on loopback (${(LOOPBACK_AGENTS * (LOOPBACK_AGENTS - 1)) / 2} links), ${LOOPBACK_RUNS} runs of ${VARIANTS.map((v) => v.name).join(', ')} (interleaved)`);
const loop = new Map<MeshVariant, MeshRun[]>(VARIANTS.map((v) => [v, []]));
// The first mesh this process forms runs cold (module loading, JIT, heap growth), whichever setting
// it uses: 16 agents took 8.2-8.8 s first and 2.6-7 s after, --insecure first as much as the
// default. The settings ran in a fixed order, so the default always paid it in run 1, and with
// MESH_BENCH_RUNS=1 the comparison was cold default against warm --insecure. So untimed rounds
// come first, and each measured round starts with the next setting in turn.
for (let i = 0; i < LOOPBACK_WARMUP; i++) {
  for (const v of VARIANTS) {
    const r = await loopbackMesh(LOOPBACK_AGENTS, 30_000, 1000 + i, v);
    console.log(`  warm-up ${v.name} (untimed): ${Number.isFinite(r.ms) ? `${r.ms.toFixed(0)} ms` : `did not form: ${r.failure}`}`);
  }
}
for (let i = 0; i < LOOPBACK_RUNS; i++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const v = VARIANTS[(i + k) % VARIANTS.length]!;
    const r = await loopbackMesh(LOOPBACK_AGENTS, 30_000, i, v);
    console.log(`  run ${i + 1} ${v.name}: ${Number.isFinite(r.ms) ? `${r.ms.toFixed(0)} ms, ${r.fromLastJoinMs.toFixed(0)} ms from the last join` : `did not form: ${r.failure}`}`);
    loop.get(v)!.push(r);
  }
}
for (const v of VARIANTS) summarise(`${LOOPBACK_AGENTS} agents, loopback, ${v.name}`, loop.get(v)!, 'p50 ≤ 2500 ms');

const lab = await labMeshRuns(8, 20, LAB_RUNS, LAB_VARIANTS, (line) => console.log(line), LAB_WARMUP);
if (lab.skipped !== undefined) console.log(`lab: skipped: ${lab.skipped}`);
else for (const v of LAB_VARIANTS) summarise(`8 agents, NAT lab 20 ms, ${v.name}`, lab.runs.get(v)!, 'p95 ≤ 1500 ms');

console.log(`\nlaunch → full mesh\n${renderTable(['runs', 'formed', 'p50 ms', 'p95 ms', 'max ms', 'last join → mesh p50 / p95', 'target'], rows)}`);
console.log(`\nper phase, ms p50 / p95 (join: agent start → lobby joined, per agent; the rest per link side, from pair.start: gather → candidates sent; exchange → peer's candidates known; punch → path proven; dtls → DTLS up; enet → ENet connected; add → in the mesh)\n${renderTable(PHASE_COLUMNS, phaseRows)}`);
process.exit(0);
