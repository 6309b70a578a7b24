// End-to-end: `close()` releases every socket, timer and mapping — a process that joined a mesh
// and closed everything exits on its own (issue #7: "All sockets, mappings and timers released").
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './agent-process.js';

describe('MeshSession#close (end to end)', function () {
  // A leak keeps the process alive for good; the bound only ends that wait. 25 s held Node's
  // start, two sessions meshing and two bounded closes (5 s each) with little to spare at load ~20.
  this.timeout(90_000);

  it('leaves nothing that keeps the process alive', () => {
    const fixture = join(ROOT, 'test', 'dist', 'e2e', 'fixtures', 'close-exits.js');
    const r = spawnSync(process.execPath, [fixture], { cwd: ROOT, encoding: 'utf8', timeout: 80_000 });
    expect(r.error?.message, 'the process did not exit by itself within 80 s').to.equal(undefined);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout.trim()) as { a: { peers: Array<{ id: number }> }; b: { id: number } };
    expect(report.a.peers.map((p) => p.id)).to.deep.equal([report.b.id]);
  });
});
