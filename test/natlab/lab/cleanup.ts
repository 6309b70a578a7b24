// NAT lab cleanup: kill what runs in lab namespaces (by pid), delete the namespaces, and reap
// what a crashed run left behind (docs/specs/natlab.md §8).
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.js';

/** pids still running inside a namespace (`ip netns pids`). */
async function nsPids(ns: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', ns], { allowFail: true });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1);
}

/** Kills (by pid) what still runs in the namespaces, waits up to 3 s, then deletes them. */
export async function removeNamespaces(names: readonly string[]): Promise<void> {
  for (const ns of names) {
    for (let i = 0; i < 30; i++) {
      const pids = await nsPids(ns);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, i < 10 ? 'SIGTERM' : 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  await Promise.all(names.map((ns) => run(['ip', 'netns', 'del', ns], { allowFail: true })));
}

/**
 * Deletes lab namespaces (`nlab-<pid36>-<hex>-…`) whose creating process no longer exists,
 * so a crashed run cannot break the next one. Namespaces of live runs are left alone.
 */
export async function reapStaleLabs(): Promise<string[]> {
  const r = await run(['ip', 'netns', 'list'], { allowFail: true });
  const stale: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(nlab-([0-9a-z]+)-[0-9a-f]{4}-\S+)/.exec(line.trim());
    if (!m) continue;
    const pid = parseInt(m[2]!, 36);
    if (pid === process.pid || isAlive(pid)) continue;
    stale.push(m[1]!);
  }
  if (stale.length > 0) await removeNamespaces(stale);
  // Scratch directories of dead runs (configs, pid and lease files) go too.
  for (const name of readdirSync(tmpdir())) {
    const m = /^meshpunch-natlab-([0-9a-z]+)-[0-9a-f]{4}-/.exec(name);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid !== process.pid && !isAlive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  return stale;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
