// NAT lab: builds the lab's small C helpers with gcc on first use and caches them by the hash
// of their source, so parallel runs share one binary and a changed source rebuilds.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
/** test/natlab/tools in the source tree (this file runs from test/dist/natlab/lab). */
export const TOOLS_SRC_DIR = join(here, '..', '..', '..', 'natlab', 'tools');

const builds = new Map<string, Promise<string>>();

/** Compiles tools/<name>.c with the given libraries (once per source hash) and returns the binary's path. */
export function buildTool(name: string, libs: readonly string[]): Promise<string> {
  let p = builds.get(name);
  if (p === undefined) {
    p = compile(name, libs);
    builds.set(name, p);
  }
  return p;
}

/** The NFQUEUE delay/jitter/loss helper (tools/nfq-delay.c, docs/specs/natlab.md §4). */
export function nfqDelayBinary(): Promise<string> {
  // Both libraries: libnetfilter_queue alone fails to link with "DSO missing" (§9).
  return buildTool('nfq-delay', ['-lnetfilter_queue', '-lnfnetlink']);
}

async function compile(name: string, libs: readonly string[]): Promise<string> {
  const src = join(TOOLS_SRC_DIR, `${name}.c`);
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'meshpunch-natlab-tools');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}-${hash}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  await run(['gcc', '-O2', '-Wall', '-o', tmp, src, ...libs], { timeoutMs: 60_000 });
  // rename is atomic: a parallel run sees either no binary or a complete one.
  renameSync(tmp, out);
  return out;
}
