// `npm run bench:mesh`: time from launch to full mesh for 32 agents on loopback (target ≤ 5 s)
// and, when the NAT lab can run here, for 8 agents behind 8 port-restricted NATs with 20 ms
// uplink delay (p50/p95 over 10 runs, target p95 ≤ 1.5 s). Never part of `npm test`.
import { renderTable } from '../common/table.js';
import { loopbackMesh, type MeshRun } from './loopback.js';
import { labMeshRuns } from './lab.js';
import { percentile } from './stats.js';

const LOOPBACK_AGENTS = Number(process.env.MESH_BENCH_AGENTS ?? 32);
const LOOPBACK_RUNS = Number(process.env.MESH_BENCH_RUNS ?? 3);
const LAB_RUNS = Number(process.env.MESH_BENCH_LAB_RUNS ?? 10);

// NODE_EXTRA_CA_CERTS makes Node 20 parse that certificate file at every process start, before
// any of our code runs (~70 ms of CPU each here, where it names the whole system bundle). The
// agents speak ws:// and need no extra CAs; 8 of them starting at once on 2 cores would measure
// that parse, not meshpunch. MESH_BENCH_KEEP_ENV=1 keeps it to see its cost.
if (process.env.NODE_EXTRA_CA_CERTS !== undefined && process.env.MESH_BENCH_KEEP_ENV !== '1') {
  console.log(`agents start without NODE_EXTRA_CA_CERTS (was ${process.env.NODE_EXTRA_CA_CERTS}; MESH_BENCH_KEEP_ENV=1 keeps it)`);
  delete process.env.NODE_EXTRA_CA_CERTS;
}

const rows: Array<{ name: string; cells: Record<string, string | number> }> = [];
function summarise(name: string, runs: readonly MeshRun[], target: string): void {
  const ms = runs.map((r) => r.ms);
  rows.push({
    name,
    cells: { runs: String(runs.length), formed: String(runs.filter((r) => r.failure === undefined).length), 'p50 ms': percentile(ms, 50), 'p95 ms': percentile(ms, 95), 'max ms': percentile(ms, 100), target },
  });
  for (const r of runs) if (r.failure !== undefined) console.log(`  ${name}: failed: ${r.failure}`);
}

console.log(`mesh formation, ${LOOPBACK_AGENTS} agents on loopback (${(LOOPBACK_AGENTS * (LOOPBACK_AGENTS - 1)) / 2} links), ${LOOPBACK_RUNS} runs`);
const loop: MeshRun[] = [];
for (let i = 0; i < LOOPBACK_RUNS; i++) {
  const r = await loopbackMesh(LOOPBACK_AGENTS, 30_000, i);
  console.log(`  run ${i + 1}: ${Number.isFinite(r.ms) ? `${r.ms.toFixed(0)} ms` : 'did not form'}`);
  loop.push(r);
}
summarise(`${LOOPBACK_AGENTS} agents, loopback`, loop, '≤ 5000 ms');

const lab = await labMeshRuns(8, 20, LAB_RUNS, (line) => console.log(line));
if (lab.skipped !== undefined) console.log(`lab: skipped: ${lab.skipped}`);
else {
  summarise('8 agents, NAT lab, 20 ms links: launch → full mesh', lab.runs, 'p95 ≤ 1500 ms');
  const j = lab.fromLastJoinMs ?? [];
  rows.push({ name: '8 agents, NAT lab: last join → full mesh', cells: { runs: String(j.length), formed: String(j.length), 'p50 ms': percentile(j, 50), 'p95 ms': percentile(j, 95), 'max ms': percentile(j, 100), target: '(breakdown)' } });
}

console.log(`\n${renderTable(['runs', 'formed', 'p50 ms', 'p95 ms', 'max ms', 'target'], rows)}`);
process.exit(0);
