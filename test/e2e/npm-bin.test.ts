// End-to-end: the `meshpunch` and `meshpunch-signal` bins npm links (issue #12 item 4). npm links
// a bin only when its target exists at install time; in a fresh clone nothing is built yet, so
// the target must be a committed file.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './agent-process.js';

const PACKAGES = [
  { dir: 'agent', bin: 'meshpunch' },
  { dir: 'signaling', bin: 'meshpunch-signal' },
];

describe('npm bins (end to end)', function () {
  this.timeout(120_000);

  it('are committed files (tracked by git), so they exist before any build', () => {
    for (const { dir, bin } of PACKAGES) {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
      const target = pkg.bin[bin]!;
      const r = spawnSync('git', ['ls-files', '--error-unmatch', join(dir, target)], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, `${dir}/${target} is not tracked: ${r.stderr}`).to.equal(0);
    }
  });

  it('are linked by an npm install of an unbuilt clone-like tree, and say how to build when run there', () => {
    // The packages' committed package.json and launcher, nothing built. Dependencies are dropped
    // so the offline install needs no registry; bin linking does not depend on them.
    const tmp = mkdtempSync(join(tmpdir(), 'meshpunch-npm-bin-'));
    try {
      for (const { dir } of PACKAGES) {
        const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
        delete pkg.dependencies;
        delete pkg.devDependencies;
        mkdirSync(join(tmp, dir));
        writeFileSync(join(tmp, dir, 'package.json'), JSON.stringify(pkg));
        cpSync(join(ROOT, dir, 'launcher'), join(tmp, dir, 'launcher'), { recursive: true });
      }
      writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'clone', private: true, workspaces: PACKAGES.map((p) => p.dir) }));
      const install = spawnSync('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: tmp, encoding: 'utf8', timeout: 90_000 });
      expect(install.status, install.stderr).to.equal(0);
      for (const { dir, bin } of PACKAGES) {
        const link = join(tmp, 'node_modules', '.bin', bin);
        expect(readlinkSync(link), bin).to.be.a('string');
        expect(realpathSync(link).startsWith(realpathSync(join(tmp, dir, 'launcher')))).to.equal(true);
        const r = spawnSync(link, ['--version'], { cwd: tmp, encoding: 'utf8', timeout: 20_000 });
        expect(r.status, r.stderr).to.equal(1);
        expect(r.stdout).to.equal('');
        expect(r.stderr).to.match(new RegExp(`^${bin}: not built yet \\(.*dist/bin/${bin}\\.c?js is missing\\): run \`npm run build\` in the repository root first\\n$`));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('run the built binaries through npx in this (built) tree, as docs/cli.md says', () => {
    for (const { bin } of PACKAGES) {
      const r = spawnSync('npx', ['--no-install', bin, '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^meshpunch \d+\.\d+\.\d+\n$/);
    }
  });
});
