// Every spec citation in the repository's sources (`enet-protocol.md §7.2`, `docs/design.md §5.6`,
// `relay.md §2(b)`) must name a file that exists in the repository, under docs/specs or docs/, and
// each cited § must be a heading there — so a clone of the repository alone can follow every
// reference. A negative test proves the checker rejects what it should.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './support/repo-files.js';
import { checkCitation, findCitations, formatProblem, headingSections, type CheckOptions } from './support/spec-citations.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Source kinds that carry comments or prose with citations. */
const EXTENSIONS = ['.ts', '.cts', '.mts', '.mjs', '.cjs', '.md', '.c', '.sh'];

/** Files that quote citation shapes as data (this lint and its support), not as citations. */
const NOT_SOURCES = new Set(['test/lint/spec-citations.test.ts', 'test/lint/support/spec-citations.ts', 'scripts/rewrite-spec-citations.mjs']);

/**
 * The notes' old locations (`../shared/specs/X.md`, `STYLE.md`) are no aliases any more: every
 * citation was rewritten to its repository path (scripts/rewrite-spec-citations.mjs), so one
 * written the old way again fails here.
 */
const OPTIONS: CheckOptions = { legacyAliases: false };

describe('spec citations (docs/design.md §7)', () => {
  const files = walkFiles(root, EXTENSIONS)
    .map((f) => relative(root, f).split('\\').join('/'))
    .filter((f) => !NOT_SOURCES.has(f));
  const citations = files.flatMap((f) => findCitations(f, readFileSync(join(root, f), 'utf8')));

  it('finds the citations to check', () => {
    // 280+ citations in 130+ files on 2026-12-06; a floor far below catches a scan that finds nothing.
    expect(files.length).to.be.greaterThan(100);
    expect(citations.length).to.be.greaterThan(100);
    expect(citations.filter((c) => c.sections.length > 0).length).to.be.greaterThan(50);
  });

  it('every cited file is in the repository and every cited § is a heading in it', () => {
    const problems = citations.flatMap((c) => {
      const why = checkCitation(root, c, OPTIONS);
      return why === undefined ? [] : [formatProblem(c, why)];
    });
    expect(problems, `\n${problems.join('\n')}\n`).to.deep.equal([]);
  });

  describe('the checker itself', () => {
    let dir = '';

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'meshpunch-citations-'));
      mkdirSync(join(dir, 'docs', 'specs'), { recursive: true });
      writeFileSync(join(dir, 'docs', 'specs', 'relay.md'), '# Relay\n## 1. Protocol\n## 2. Server\n### 2(b) Embedded\n```\n## 9. inside a fence\n```\n');
      writeFileSync(join(dir, 'docs', 'design.md'), '# Design\n## 5. Hot path\n### 5.6 Copies\n');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const check = (text: string, options: CheckOptions = { legacyAliases: false }): Array<string | undefined> =>
      findCitations('src/x.ts', text).map((c) => checkCitation(dir, c, options));

    it('reads section ids from headings, not from fenced blocks', () => {
      const ids = headingSections(readFileSync(join(dir, 'docs', 'specs', 'relay.md'), 'utf8'));
      expect([...ids].sort()).to.deep.equal(['1', '2', '2(b)']);
    });

    it('accepts a bare spec name, a repository path, lists and ranges of sections that exist', () => {
      expect(check('// see relay.md §1, §2(b) and docs/design.md §5.6; relay.md §1–2')).to.deep.equal([undefined, undefined, undefined]);
    });

    it('rejects a section that is not a heading', () => {
      expect(check('// relay.md §9 and docs/design.md §5.7')).to.deep.equal([
        'docs/specs/relay.md has no heading for §9',
        'docs/design.md has no heading for §5.7',
      ]);
    });

    it('rejects paths outside the repository and names that are not in it', () => {
      expect(check('// ../shared/specs/relay.md §1, STYLE.md §5, docs/specs/nat.md')).to.deep.equal([
        '../shared/specs/relay.md is outside the repository (use docs/specs/ or docs/)',
        'STYLE.md is not in the repository (docs/design.md, docs/benchmarks.md hold it)',
        'docs/specs/nat.md does not exist in the repository',
      ]);
    });

    it('with legacy aliases, still checks the sections the old names cite', () => {
      expect(check('// ../shared/specs/relay.md §2(b); STYLE.md §5.6; STYLE.md §5.9', { legacyAliases: true })).to.deep.equal([
        undefined,
        undefined,
        'docs/design.md has no heading for §5.9',
      ]);
    });
  });
});
