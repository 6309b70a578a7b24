// Every bench answers --help with its usage and an unknown option with a clear error and the usage
// (exit 2), instead of node's parseArgs stack trace or — for bench:mesh, which reads the
// environment — starting a full run. The benches themselves never run in `npm test`.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BENCHES = ['enet/main', 'dtls/main', 'relay/main', 'webui/main', 'mesh/main', 'signaling/main', 'signaling/cluster'];

describe('bench command lines', function () {
  this.timeout(60_000);
  for (const b of BENCHES) {
    const script = join(root, 'bench', 'dist', `${b}.js`);
    it(`bench/${b}: --help prints the usage (exit 0), an unknown option is an error with the usage (exit 2)`, () => {
      expect(existsSync(script), `${script} is built`).to.equal(true);
      const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 20_000 });
      expect(help.status, help.stderr).to.equal(0);
      expect(help.stdout).to.match(/usage|Usage/);
      const bad = spawnSync(process.execPath, [script, '--no-such-option'], { encoding: 'utf8', timeout: 20_000 });
      expect(bad.status, bad.stdout + bad.stderr).to.equal(2);
      expect(bad.stderr).to.include('--no-such-option');
      expect(bad.stderr).not.to.match(/\n\s+at /);
    });
  }

  it('bench/mesh: --help names the untimed lab warm-up (MESH_BENCH_LAB_WARMUP)', () => {
    const help = spawnSync(process.execPath, [join(root, 'bench', 'dist', 'mesh', 'main.js'), '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(help.stdout).to.include('MESH_BENCH_LAB_WARMUP (1: untimed lab rounds first)');
  });

  it('bench/mesh: MESH_BENCH_COMPARE naming a checkout without a built agent fails at once with one sentence (exit 2), before any run', () => {
    const script = join(root, 'bench', 'dist', 'mesh', 'main.js');
    const missing = join(root, 'no-such-checkout');
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, MESH_BENCH_COMPARE: missing, MESH_BENCH_RUNS: '0', MESH_BENCH_WARMUP: '0', MESH_BENCH_LAB_RUNS: '0' } });
    expect(r.status, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.include(`${missing}/agent/dist/bin/meshpunch.cjs does not exist`);
    expect(r.stdout).not.to.include('mesh formation');
  });
});
