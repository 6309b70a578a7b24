// The sans-IO rule of docs/design.md §1 as a checker the purity lint runs over every core folder
// (test layer). Kept apart from the test so that a negative test can feed it known violations.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { walkFiles } from './repo-files.js';

/** What a core file may not do, each with the reason reported when it does. */
export const FORBIDDEN: ReadonlyArray<readonly [RegExp, string]> = [
  [/from\s+['"]node:/, 'imports node:*'],
  [/\bimport\s*\(\s*['"]node:/, 'imports node:* dynamically'],
  [/\brequire\s*\(\s*['"](node:|ws['"]|dgram|net['"]|crypto|os['"]|fs['"])/, 'requires an I/O module'],
  [/from\s+['"](ws|dgram|net|crypto|os|fs|fs\/promises|child_process|http|https|dns|tls|worker_threads)['"]/, 'imports an I/O module'],
  [/from\s+['"][^'"]*\/adapter\//, 'imports adapter/'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'uses a timer'],
  [/\bqueueMicrotask\s*\(/, 'uses a timer'],
  [/\bDate\b/, 'uses Date'],
  [/\bperformance\./, 'uses performance'],
  [/\bMath\.random\b/, 'uses Math.random'],
  [/\bcrypto\.(getRandomValues|randomUUID)\b/, 'uses ambient randomness'],
  [/\bprocess\./, 'uses process'],
  [/\bconsole\./, 'uses console'],
];

/**
 * The core folders of the repository: `src/core` of every workspace package, of `signaling/` and of
 * `agent/`, plus `packages/protocol/src` as a whole (the wire protocol is core by nature and has no
 * adapter). `packages/sim` is the simulator, a test tool that reads `MESHPUNCH_SEED`/`MESHPUNCH_TRACE`
 * from the environment on purpose, so it is not a core.
 */
export function coreFolders(root: string, packageNames: readonly string[]): string[] {
  const dirs = packageNames.map((n) => join(root, 'packages', n, 'src', 'core'));
  dirs.push(join(root, 'signaling', 'src', 'core'), join(root, 'agent', 'src', 'core'), join(root, 'packages', 'protocol', 'src'));
  return dirs.filter((d) => existsSync(d));
}

/** Removes comments (block and line) so that prose about timers or `Date` does not count. */
export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The reasons `source` breaks the rule, empty when it is pure. */
export function violations(source: string): string[] {
  const code = stripComments(source);
  return FORBIDDEN.filter(([re]) => re.test(code)).map(([, why]) => why);
}

/** One scanned file and what it broke. */
export interface PurityReport {
  readonly file: string;
  readonly hits: readonly string[];
}

/** Scans every `.ts` file (declarations excluded) under the given folders. */
export function scanCores(dirs: readonly string[]): PurityReport[] {
  return dirs
    .flatMap((d) => walkFiles(d, ['.ts']))
    .filter((f) => !f.endsWith('.d.ts'))
    .map((file) => ({ file, hits: violations(readFileSync(file, 'utf8')) }));
}
