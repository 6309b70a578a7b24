#!/usr/bin/env node
// Rewrites citations of the notes that lived outside the repository (`../shared/specs/X.md`,
// `shared/natlab.md`, `STYLE.md §4`, `DESIGN.md`, `BENCHMARKS.md`) to their copies in the repository
// (`docs/specs/X.md`, `docs/design.md`, `docs/benchmarks.md`). Section numbers are unchanged: the
// copies keep the notes' numbering. Idempotent; prints each file it changed.
// Usage: node scripts/rewrite-spec-citations.mjs [--check]   (--check: change nothing, exit 1 if
// anything would change). test/lint/spec-citations.test.ts fails on what this script would fix.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const EXTENSIONS = ['.ts', '.cts', '.mts', '.mjs', '.cjs', '.md', '.c', '.sh'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** The copies themselves (they cite each other by bare name, which resolves) and the lint's own data. */
const SKIPPED_FILES = new Set([
  'scripts/rewrite-spec-citations.mjs',
  'test/lint/spec-citations.test.ts',
  'test/lint/support/spec-citations.ts',
  'docs/design.md',
  'docs/benchmarks.md',
]);
const SKIPPED_PREFIXES = ['docs/specs/'];

const SPECS = '(enet-protocol|godot-enet|nat-traversal|natlab|relay)';
/** Anything that may precede the old notes' folder: `../`, `../../`, `/work/`. */
const UP = String.raw`(?:\.\.\/)*(?:\/work\/)?`;
/** Not preceded by a path or word character, so `docs/specs/natlab.md` is left alone. */
const BARE = String.raw`(?<![\w./-])`;

/**
 * [pattern, replacement], applied in order. A bare spec name (`relay.md §2`) is left alone: it
 * resolves to docs/specs/ (test/lint/spec-citations.test.ts checks it there), so rewriting it
 * would only churn files.
 */
const RULES = [
  [new RegExp(String.raw`\(HELPERS\.md hard rules\)`, 'g'), '(docs/design.md, "Test layers")'],
  [new RegExp(String.raw`\(HELPERS\.md network rule\)`, 'g'), '(docs/design.md, "Network rule")'],
  [new RegExp(String.raw`${BARE}${UP}shared\/specs\/${SPECS}\.md`, 'g'), 'docs/specs/$1.md'],
  [new RegExp(String.raw`${BARE}${UP}shared\/natlab\.md`, 'g'), 'docs/specs/natlab.md'],
  [new RegExp(String.raw`${BARE}${UP}shared\/(?:DESIGN|STYLE|HELPERS)\.md`, 'g'), 'docs/design.md'],
  [new RegExp(String.raw`${BARE}${UP}shared\/BENCHMARKS\.md`, 'g'), 'docs/benchmarks.md'],
  [new RegExp(String.raw`${BARE}${UP}shared\/specs\b`, 'g'), 'docs/specs'],
  [new RegExp(String.raw`${BARE}(?:\.\.\/)*specs\/${SPECS}\.md`, 'g'), 'docs/specs/$1.md'],
  [new RegExp(String.raw`${BARE}(?:DESIGN|STYLE|HELPERS)\.md`, 'g'), 'docs/design.md'],
  [new RegExp(String.raw`${BARE}BENCHMARKS\.md`, 'g'), 'docs/benchmarks.md'],
];

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...walk(p));
    } else if (EXTENSIONS.some((x) => e.name.endsWith(x))) {
      out.push(p);
    }
  }
  return out;
}

let changed = 0;
let replacements = 0;
for (const file of walk(root)) {
  const rel = relative(root, file).split('\\').join('/');
  if (SKIPPED_FILES.has(rel) || SKIPPED_PREFIXES.some((p) => rel.startsWith(p))) continue;
  const before = readFileSync(file, 'utf8');
  let after = before;
  for (const [re, to] of RULES) {
    after = after.replace(re, (...m) => {
      replacements++;
      return typeof m[1] === 'string' ? to.replace('$1', m[1]) : to;
    });
  }
  if (after === before) continue;
  changed++;
  console.log(rel);
  if (!check) writeFileSync(file, after);
}
console.log(`${changed} file(s), ${replacements} citation(s) ${check ? 'would change' : 'rewritten'}`);
if (check && changed > 0) process.exit(1);
