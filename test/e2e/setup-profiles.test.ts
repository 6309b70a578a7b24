// The npm scripts' setup step installs only what each needs (issue #12 item 10: `npm run demo`
// ran setup without `--profile demo`, so as root it apt-installed the whole test package list).
// The setup command of each script runs as written, with stand-ins for apt-get, dpkg-query and
// npm first on PATH that record their calls and report every Debian package as missing.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './agent-process.js';

/** The setup part (before the first &&) of an npm script in package.json. */
function setupStep(script: string): string {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const first = scripts[script]!.split('&&')[0]!.trim();
  expect(first, script).to.match(/^node scripts\/setup\.mjs( |$)/);
  return first;
}

/** Runs `command` in the repository with the stand-ins; returns their calls and setup's output. */
function runWithStandIns(command: string): { calls: string[]; output: string; status: number | null } {
  const bin = mkdtempSync(join(tmpdir(), 'meshpunch-setup-'));
  try {
    const log = join(bin, 'calls.log');
    writeFileSync(log, '');
    const record = (name: string, tail: string): void => {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${tail}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    record('apt-get', 'exit 0');
    record('npm', 'exit 0');
    record('dpkg-query', 'exit 1'); // "not installed"
    const r = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    const calls = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
    return { calls, output: `${r.stdout}${r.stderr}`, status: r.status };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('npm scripts\' setup profiles (end to end)', function () {
  this.timeout(60_000);

  for (const script of ['demo', 'build']) {
    it(`\`npm run ${script}\` asks setup for no Debian package at all`, () => {
      const step = setupStep(script);
      expect(step).to.match(new RegExp(`--profile ${script}\\b`));
      const r = runWithStandIns(step);
      expect(r.status, r.output).to.equal(0);
      expect(r.calls.filter((c) => !c.startsWith('npm')), r.output).to.deep.equal([]);
      expect(r.output).to.not.include('stay missing');
    });
  }

  it('`npm test` still asks for the whole test list (the stand-ins see it)', () => {
    const r = runWithStandIns(setupStep('test'));
    expect(r.status, r.output).to.equal(0);
    const asked = r.calls.filter((c) => c.startsWith('dpkg-query')).map((c) => c.split(' ').pop());
    expect(asked).to.include.members(['libenet-dev', 'coturn', 'miniupnpd', 'nftables']);
    if (process.getuid?.() === 0) expect(r.calls.some((c) => c.startsWith('apt-get install'))).to.equal(true);
    else expect(r.output).to.include('stay missing');
  });
});
