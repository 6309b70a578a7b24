// Small files named after what they hold (docs/design.md, issue #15): every source file that is not a
// test stays within MAX_LINES, so the next file to outgrow it is split when it happens rather than
// found at 900 lines by the next reader. Tests are left out (a suite of one component may be long).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './support/repo-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The house limit (docs/design.md: split past ~800 lines). */
const MAX_LINES = 800;

/** Where the project's own code lives (node_modules, dist and .git are skipped by walkFiles). */
const SOURCE_ROOTS = ['packages', 'signaling', 'agent', 'bench', 'scripts'];
const CODE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Files allowed past MAX_LINES, each with its reason (an entry whose file is back under the limit fails: remove it). None today. */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map();

/** A path inside a test folder (`test/`, `packages/x/test/`, …) or a declaration file. */
function isTestOrDeclaration(file: string): boolean {
  return file.split('/').includes('test') || file.endsWith('.d.ts');
}

/** Lines of `text` as an editor counts them (a final newline ends the last line, it does not start one). */
export function lineCount(text: string): number {
  if (text.length === 0) return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

describe(`source files stay within ${MAX_LINES} lines (issue #15)`, () => {
  const files = SOURCE_ROOTS.flatMap((d) => walkFiles(join(root, d), CODE_EXTENSIONS))
    .map((f) => relative(root, f).split('\\').join('/'))
    .filter((f) => !isTestOrDeclaration(f))
    .map((file) => ({ file, lines: lineCount(readFileSync(join(root, file), 'utf8')) }));

  it('counts lines as an editor does (the checker itself)', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb'), lineCount('a\nb\n'), lineCount('\n\n')]).to.deep.equal([0, 1, 1, 2, 2, 2]);
  });

  it('scans the sources of every package, the benches and the scripts', () => {
    // 310 files on 2026-12-07; a floor well below that still catches a walk that finds nothing.
    expect(files.length).to.be.greaterThan(200);
    for (const dir of ['packages/enet/src/', 'signaling/src/', 'agent/src/', 'bench/', 'scripts/']) {
      expect(files.some((f) => f.file.startsWith(dir)), `nothing scanned under ${dir}`).to.equal(true);
    }
    expect(files.some((f) => f.file.includes('/test/')), 'a test file was scanned').to.equal(false);
  });

  it(`has no file over ${MAX_LINES} lines (split it by concern, or list it in EXCEPTIONS with the reason)`, () => {
    const over = files.filter((f) => f.lines > MAX_LINES && !EXCEPTIONS.has(f.file)).map((f) => `${f.file}: ${f.lines} lines`);
    expect(over).to.deep.equal([]);
  });

  it('lists only exceptions that are still over the limit', () => {
    const byFile = new Map(files.map((f) => [f.file, f.lines]));
    const stale = [...EXCEPTIONS.keys()].filter((f) => (byFile.get(f) ?? 0) <= MAX_LINES);
    expect(stale).to.deep.equal([]);
  });
});
