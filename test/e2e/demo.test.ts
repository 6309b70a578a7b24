// End-to-end: `npm run demo` exactly as the README says (issue #7: "The demo command runs in CI
// exactly as the README says").
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ROOT } from './agent-process.js';

describe('npm run demo (end to end)', function () {
  this.timeout(180_000);

  it('forms the four-agent mesh, delivers every reliable message and exits 0', () => {
    const r = spawnSync('npm', ['run', 'demo'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out).to.equal(0);
    expect(r.stdout).to.match(/full mesh in \d+ ms/);
    // The 4×4 matrix: a header row and four rows with three links each.
    const rows = r.stdout.split('\n').filter((l) => /^\d+\s+(—|lan)/.test(l));
    expect(rows, out).to.have.length(4);
    for (const row of rows) expect(row.match(/lan \d+\.\dms/g), row).to.have.length(3);
    expect(r.stdout).to.match(/reliable\s+120\s+120\s+100\.0 %/);
    expect(r.stdout).to.include('demo: OK');
  });
});
