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
});
