// End-to-end: the one-file bundle of the CLI (agent/scripts/bundle.mjs) and the `meshpunch`
// binary's choice between it and the compiled modules (agent/bin/meshpunch.cts, issue #7).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedSignaling } from '@meshpunch/agent';
import { AgentProcess, MESHPUNCH, ROOT, stopAll } from './agent-process.js';

const BUNDLE_DIR = join(ROOT, 'agent', 'dist', 'bundle');
const BUNDLE = join(BUNDLE_DIR, 'meshpunch.cjs');

/** bundle.mjs's own bound (its code-cache warm-up allows 30 s to start a service and 70 s to join) and some. */
const BUNDLE_TIMEOUT_MS = 150_000;

function bundle(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'agent', 'scripts', 'bundle.mjs'), '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: BUNDLE_TIMEOUT_MS });
  expect(r.status, r.stderr).to.equal(0);
}

/** The timeline lines of `meshpunch --version` that say how the CLI was loaded, and its stdout. */
function versionRun(env: Record<string, string> = {}): { loaded: string; compiled: string; stdout: string } {
  const r = spawnSync(process.execPath, [MESHPUNCH, '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, MESHPUNCH_TIMELINE: '1', ...env } });
  expect(r.status, r.stderr).to.equal(0);
  const line = (s: string): string => r.stderr.split('\n').find((l) => l.includes(s)) ?? '';
  return { loaded: line('cli loaded'), compiled: line('bundle compiled'), stdout: r.stdout };
}

describe('meshpunch bundle (end to end)', function () {
  this.timeout(60_000);
  const version = (JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')) as { version: string }).version;

  before(function () {
    this.timeout(BUNDLE_TIMEOUT_MS + 10_000);
    bundle();
  });

  after(function () {
    this.timeout(BUNDLE_TIMEOUT_MS + 10_000);
    // Leave a fresh bundle behind, as the build does.
    bundle();
  });

  it('is one file with a source map, a code cache and the list of build-info files it was made from', () => {
    expect(existsSync(BUNDLE)).to.equal(true);
    expect(existsSync(`${BUNDLE}.map`)).to.equal(true);
    expect(statSync(`${BUNDLE}.v8cache`).size).to.be.greaterThan(10_000);
    const inputs = JSON.parse(readFileSync(join(BUNDLE_DIR, 'inputs.json'), 'utf8')) as string[];
    for (const ws of ['agent', 'signaling', 'packages/enet', 'packages/nat', 'packages/protocol', 'packages/multiplayer']) {
      expect(inputs.some((p) => statSync(join(BUNDLE_DIR, p)).isFile() && join(BUNDLE_DIR, p) === join(ROOT, ws, 'dist', 'tsconfig.tsbuildinfo')), ws).to.equal(true);
    }
  });

  it('runs when fresh, compiled from its code cache, reporting the package version; MESHPUNCH_NO_BUNDLE=1 runs the modules', () => {
    const b = versionRun();
    expect(b.compiled).to.match(/bundle compiled \(code cache used\)$/);
    expect(b.loaded).to.match(/cli loaded \(bundle\)$/);
    expect(b.stdout).to.equal(`meshpunch ${version}\n`);
    const m = versionRun({ MESHPUNCH_NO_BUNDLE: '1' });
    expect(m.loaded).to.match(/cli loaded$/);
    expect(m.compiled).to.equal('');
    expect(m.stdout).to.equal(`meshpunch ${version}\n`);
  });

  it('runs from `node agent/dist/bin/meshpunch.js` too (the ES module entry of the same binary)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'agent', 'dist', 'bin', 'meshpunch.js'), '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, MESHPUNCH_TIMELINE: '1' } });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`meshpunch ${version}\n`);
    expect(r.stderr).to.match(/cli loaded \(bundle\)$/m);
  });

  it('is passed over for the modules once a workspace was rebuilt after it', function () {
    this.timeout(BUNDLE_TIMEOUT_MS + 30_000);
    const old = new Date(Date.UTC(2001, 0, 1));
    utimesSync(BUNDLE, old, old);
    expect(versionRun().loaded).to.match(/cli loaded$/);
    bundle();
    expect(versionRun().loaded).to.match(/cli loaded \(bundle\)$/);
  });

  it('joins a lobby from the bundle', async () => {
    const signaling = await startEmbeddedSignaling();
    // AgentProcess passes this process's environment on: the timeline says which form ran.
    process.env.MESHPUNCH_TIMELINE = '1';
    const p = new AgentProcess(['join', '--signal', signaling.url, '--lobby', 'bundle-solo', '--create-if-missing', '--bind', '127.0.0.1', '--wait-peers', '1', '--json']);
    delete process.env.MESHPUNCH_TIMELINE;
    try {
      expect(await p.exited, p.tail()).to.equal(0);
      expect(p.stderr.some((l) => l.endsWith('cli loaded (bundle)')), p.tail()).to.equal(true);
      expect(JSON.parse(p.stdout.join('\n'))).to.deep.equal({ id: 1, lobby: 'bundle-solo', secure: true, peers: [], failures: [], signaling: { state: 'connected', outages: 0 } });
    } finally {
      await stopAll([p]);
      await signaling.close();
    }
  });
});
