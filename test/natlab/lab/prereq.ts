// NAT lab: prerequisite checks (root, network namespaces, the Debian tools) and the skip/fail
// rule of docs/design.md: outside CI a missing prerequisite skips with one clear line, under
// CI=true it fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Programs the lab runs, and the Debian package that brings each (scripts/setup.mjs installs them). */
const TOOLS: ReadonlyArray<readonly [string, string]> = [
  ['ip', 'iproute2'],
  ['nft', 'nftables'],
  ['iptables', 'iptables'],
  ['conntrack', 'conntrack'],
  ['turnserver', 'coturn'],
  ['turnutils_natdiscovery', 'coturn'],
  ['miniupnpd', 'miniupnpd'],
  ['gcc', 'gcc'],
];

let cached: string | null | undefined;

/**
 * Why the lab cannot run here, or null when it can. Checked once per process: root, every
 * tool on PATH, the libnetfilter-queue headers, and that `ip netns add` is allowed.
 */
export function labUnavailableReason(): string | null {
  if (cached !== undefined) return cached;
  cached = check();
  return cached;
}

function check(): string | null {
  if (process.platform !== 'linux') return `the NAT lab needs Linux network namespaces (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (network namespaces, nftables); run the tests as root';
  const missing = TOOLS.filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
  if (!existsSync('/usr/include/libnetfilter_queue/libnetfilter_queue.h')) missing.push(['libnetfilter_queue.h', 'libnetfilter-queue-dev']);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
    return `the NAT lab needs Debian packages that are missing: ${pkgs} (scripts/setup.mjs installs them as root)`;
  }
  const probe = `nlab-probe-${process.pid.toString(36)}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `the NAT lab cannot create network namespaces here: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/**
 * For a mocha `before` hook: skips the suite with one line when the lab cannot run, but under
 * CI=true throws instead, so a missing prerequisite fails CI.
 */
export function requireLab(ctx: Mocha.Context): void {
  const reason = labUnavailableReason();
  if (reason === null) return;
  if (process.env.CI === 'true') throw new Error(`NAT lab prerequisite missing under CI=true: ${reason}`);
  console.log(`      [natlab] skipped: ${reason}`);
  ctx.skip();
}
