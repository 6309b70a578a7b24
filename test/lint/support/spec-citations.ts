// Finds spec citations (`docs/specs/enet-protocol.md §7.2`, `relay.md §2(b)`, `docs/design.md`) in
// the repository's sources and checks that each points at a file inside the repository and at a
// section heading that exists there (test layer; used by test/lint/spec-citations.test.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * File names that are specs or design pages wherever they are mentioned, with or without a path and a
 * section. The upper-case ones are the names of the pre-repository notes (outside the repository);
 * mentioning them at all is an error now that `docs/design.md` and `docs/benchmarks.md` hold them.
 */
export const SPEC_NAMES = new Set([
  'enet-protocol.md', 'godot-enet.md', 'nat-traversal.md', 'natlab.md', 'relay.md',
  'design.md', 'benchmarks.md', 'DESIGN.md', 'STYLE.md', 'BENCHMARKS.md', 'HELPERS.md',
]);

/** Folders searched, in order, for a spec cited by bare file name (`natlab.md §3.5`). */
export const SPEC_DIRS = ['docs/specs', 'docs'];

/** One section id: `7`, `5.4`, `0.2`, `2(b)`. */
const SECTION = String.raw`\d+(?:\.\d+)*(?:\([a-z]\))?`;

/**
 * A `.md` file name, optionally with a path, then optionally a closing backtick/quote and a list of
 * sections: `§2.2`, `§2.2–2.4`, `§2–§3`, `§5.3, §5.4`, `§5.3 and §5.4`.
 */
const CITATION = new RegExp(
  String.raw`([A-Za-z0-9_.\/-]*?)([A-Za-z0-9_-]+\.md)` +
    String.raw`(?:[\x60'"]?,?\s?(§\s?${SECTION}(?:[\x60'"]?\s*(?:[,–-]|and|or|to)\s*§?\s?${SECTION})*))?`,
  'g',
);

/** Paths into the notes that lived outside the repository before docs/specs existed. */
const OUTSIDE_NOTES = /(?:^|[^A-Za-z0-9_-])(?:\/work\/)?shared\/(?:specs|natlab|DESIGN|STYLE|BENCHMARKS|HELPERS|anchors)\b/;

/** A citation found in a source file. */
export interface Citation {
  /** Repository-relative path of the citing file. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** The citation as written. */
  readonly text: string;
  /** The path as written (may be a bare name). */
  readonly target: string;
  /** Section ids cited, possibly empty. */
  readonly sections: readonly string[];
}

/** Citations in one file's text; `file` is only copied into the results. */
export function findCitations(file: string, text: string): Citation[] {
  const out: Citation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes('.md')) continue;
    CITATION.lastIndex = 0;
    for (let m = CITATION.exec(line); m !== null; m = CITATION.exec(line)) {
      const path = m[1]! + m[2]!;
      const name = m[2]!;
      const sectionText = m[3] ?? '';
      const isSpecPath = /(?:^|\/)(?:shared|specs)\//.test(path);
      if (!SPEC_NAMES.has(name) && !isSpecPath && sectionText === '') continue;
      const sections = [...sectionText.matchAll(new RegExp(SECTION, 'g'))].map((s) => s[0]);
      out.push({ file, line: i + 1, text: m[0].trim(), target: path, sections });
    }
  }
  return out;
}

/** Lines that mention the notes outside the repository by path (`../shared/specs`, `shared/natlab.md`). */
export function findOutsideMentions(file: string, text: string): Citation[] {
  const out: Citation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = OUTSIDE_NOTES.exec(lines[i]!);
    if (m !== null) out.push({ file, line: i + 1, text: lines[i]!.trim(), target: m[0], sections: [] });
  }
  return out;
}

/** Section ids of a Markdown file's headings: `## 7. RTT` → `7`, `### 2(b) Embedded` → `2(b)`. */
export function headingSections(markdown: string): Set<string> {
  const ids = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+§?\s?(\d+(?:\.\d+)*)(\([a-z]\))?[.\s)]/.exec(line + ' ');
    if (m === null) continue;
    ids.add(m[1]!);
    if (m[2] !== undefined) ids.add(m[1]! + m[2]);
  }
  return ids;
}

/** How strictly paths are judged. */
export interface CheckOptions {
  /**
   * Accept the names of the notes that lived outside the repository (`../shared/specs/X.md`,
   * `shared/natlab.md`, `STYLE.md`, `DESIGN.md`, …) as aliases of their copies under docs/, so that the
   * sections they cite are checked before the paths are rewritten. False once the rewrite has landed.
   */
  readonly legacyAliases: boolean;
}

/** Where each pre-repository note now lives, by file name. */
const LEGACY_HOME: Readonly<Record<string, string>> = {
  'DESIGN.md': 'docs/design.md',
  'STYLE.md': 'docs/design.md',
  'HELPERS.md': 'docs/design.md',
  'BENCHMARKS.md': 'docs/benchmarks.md',
};

/** Why a citation is wrong, or undefined when it is fine. */
export function checkCitation(root: string, c: Citation, options: CheckOptions = { legacyAliases: false }): string | undefined {
  const target = options.legacyAliases ? resolveLegacy(root, c) ?? resolveTarget(root, c) : resolveTarget(root, c);
  if (typeof target !== 'string') return target.error;
  if (c.sections.length === 0) return undefined;
  const have = headingSections(readFileSync(target, 'utf8'));
  const missing = c.sections.filter((s) => !have.has(s));
  if (missing.length === 0) return undefined;
  return `${relative(root, target)} has no heading for §${missing.join(', §')}`;
}

/** The docs/ copy of a note cited by its old name or path, if it is one. */
function resolveLegacy(root: string, c: Citation): string | undefined {
  const name = c.target.slice(c.target.lastIndexOf('/') + 1);
  const legacy = /(?:^|\/)shared\//.test(c.target) || /^(?:\.\.\/)*specs\//.test(c.target) || !c.target.includes('/');
  if (!legacy) return undefined;
  const home = LEGACY_HOME[name] ?? `docs/specs/${name}`;
  const p = join(root, home);
  return isFile(p) ? p : undefined;
}

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..') && !r.startsWith(sep) && !/^[A-Za-z]:/.test(r);
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** The cited file inside the repository, or why there is none. */
function resolveTarget(root: string, c: Citation): string | { error: string } {
  if (/(?:^|\/)shared\//.test(c.target)) return { error: `${c.target} is outside the repository (use docs/specs/ or docs/)` };
  if (!c.target.includes('/')) {
    if (/^(DESIGN|STYLE|BENCHMARKS|HELPERS)\.md$/.test(c.target)) {
      return { error: `${c.target} is not in the repository (docs/design.md, docs/benchmarks.md hold it)` };
    }
    const here = resolve(root, dirname(c.file), c.target);
    if (isFile(here) && inside(root, here)) return here;
    for (const d of SPEC_DIRS) {
      const p = join(root, d, c.target);
      if (isFile(p)) return p;
    }
    return { error: `${c.target} is not under ${SPEC_DIRS.join(' or ')}` };
  }
  const candidates = [resolve(root, dirname(c.file), c.target), resolve(root, c.target)];
  for (const p of candidates) if (isFile(p) && inside(root, p)) return p;
  return { error: `${c.target} does not exist in the repository` };
}

/** One line of a failure message: `file:line: citation — why`. */
export function formatProblem(c: Citation, why: string): string {
  return `${c.file}:${c.line}: ${c.text} — ${why}`;
}
