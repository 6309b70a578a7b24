#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies when missing or stale and, as root,
// the Debian packages the tests, the NAT lab and the benchmarks use. Idempotent and quick when
// everything is already there. Usage: node scripts/setup.mjs [--quiet] [--profile test|bench|demo|build]
// Each npm script names the smallest profile it needs (package.json): `build`, `demo` and
// `bench:signaling` install no Debian package at all; only `test` (and `bench:mesh`, which runs
// the NAT lab) installs the whole list (issue #12 item 10).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const profileAt = args.indexOf('--profile');
const profile = profileAt >= 0 ? args[profileAt + 1] : 'test';

/** Debian packages per profile; the NAT lab list follows docs/specs/natlab.md §1. */
const DEBIAN = {
  // The demo runs on loopback in one process (agent/src/demo), the build is tsc + esbuild.
  build: [],
  demo: [],
  bench: ['gcc', 'libc6-dev', 'libenet-dev', 'coturn'],
  test: ['gcc', 'libc6-dev', 'libenet-dev', 'iproute2', 'iptables', 'nftables', 'conntrack', 'coturn',
    'miniupnpd', 'libnetfilter-queue-dev', 'libnfnetlink-dev', 'openssl', 'redis-server',
    // The live web view's browser tests (test/webui) drive Debian's Chromium with puppeteer-core.
    'chromium',
    // test/interop/godot3 runs a GDScript NetworkedMultiplayerENet peer in a real Godot engine
    // (3.2.3, headless; Godot 4 has no Debian package) against our ENet.
    'godot3-server'],
};

function log(msg) {
  if (!quiet) console.log(`[setup] ${msg}`);
}

function run(cmd, argv, env = process.env) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', env });
  if (r.status !== 0) {
    console.error(`[setup] ${cmd} ${argv.join(' ')} failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

function npmIsStale() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  const lock = join(root, 'package-lock.json');
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs;
}

function missingDebian(names) {
  return names.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

if (!Object.hasOwn(DEBIAN, profile)) {
  console.error(`[setup] --profile must be one of ${Object.keys(DEBIAN).join(', ')}, got ${profile}`);
  process.exit(2);
}

const missing = missingDebian(DEBIAN[profile]);
if (missing.length > 0) {
  if (process.getuid?.() === 0) {
    log(`installing Debian packages: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], env);
  } else {
    console.warn(`[setup] not root, so these Debian packages stay missing: ${missing.join(' ')}; tests that need them will say so`);
  }
}

if (npmIsStale()) {
  const lock = existsSync(join(root, 'package-lock.json'));
  log(lock ? 'npm ci' : 'npm install');
  run('npm', lock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
}

try {
  execFileSync(process.execPath, ['-e', 'require.resolve("typescript")'], { cwd: root, stdio: 'ignore' });
} catch {
  console.error('[setup] typescript is not installed after npm ci; see the output above');
  process.exit(1);
}
