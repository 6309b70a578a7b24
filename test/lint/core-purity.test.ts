// Enforces the sans-IO rule of docs/design.md §1 on every core folder: files there never touch I/O,
// timers, wall clocks, ambient randomness, the process or the console. The scan counts what it
// covers, and a negative test proves the checker flags each kind of violation.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreFolders, scanCores, stripComments, violations } from './support/core-purity.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Every workspace package under packages/ (a new package's core is scanned without editing this list). */
const packageNames = readdirSync(join(root, 'packages')).filter((n) => statSync(join(root, 'packages', n)).isDirectory());

/** Folders that must be among those scanned: a renamed or lost core folder fails the lint. */
const EXPECTED_FOLDERS = [
  'agent/src/core',
  'packages/base/src/core',
  'packages/dtls/src/core',
  'packages/enet/src/core',
  'packages/multiplayer/src/core',
  'packages/nat/src/core',
  'packages/protocol/src',
  'signaling/src/core',
];

describe('src/core purity (docs/design.md §1)', () => {
  const folders = coreFolders(root, packageNames);
  const reports = scanCores(folders);
  const rel = (p: string): string => relative(root, p).split('\\').join('/');

  describe('coverage', () => {
    it('scans every core folder: packages/*/src/core, signaling, agent and packages/protocol/src', () => {
      expect(folders.map(rel)).to.include.members(EXPECTED_FOLDERS);
    });

    it('finds source files in each scanned folder and in total', () => {
      const perFolder = folders.map((d) => ({ folder: rel(d), files: reports.filter((r) => r.file.startsWith(d + '/')).length }));
      for (const { folder, files } of perFolder) expect(files, `${folder} has no .ts file to scan`).to.be.greaterThan(0);
      // 84 files on 2026-12-06; a floor well below that still catches a walk that silently finds nothing.
      expect(reports.length).to.be.greaterThan(40);
    });
  });

  describe('core files', () => {
    for (const { file, hits } of reports) {
      it(`${rel(file)} touches no I/O, timer, clock or ambient randomness`, () => {
        expect(hits, rel(file)).to.deep.equal([]);
      });
    }
  });

  describe('the checker itself', () => {
    /** One fixture per rule: a core file that breaks it, and the reason the checker must give. */
    const FIXTURES: Array<[string, string, string]> = [
      ['node-import.ts', "import { createSocket } from 'node:dgram';\nexport const s = createSocket;\n", 'imports node:*'],
      ['dynamic-import.ts', "export const load = () => import('node:fs');\n", 'imports node:* dynamically'],
      ['ws-import.ts', "import { WebSocket } from 'ws';\nexport const W = WebSocket;\n", 'imports an I/O module'],
      ['adapter-import.ts', "import { x } from '../adapter/socket.js';\nexport const y = x;\n", 'imports adapter/'],
      ['timer.ts', 'export function later(f: () => void): void { setTimeout(f, 10); }\n', 'uses a timer'],
      ['date.ts', 'export const now = (): number => Date.now();\n', 'uses Date'],
      ['performance.ts', 'export const now = (): number => performance.now();\n', 'uses performance'],
      ['random.ts', 'export const roll = (): number => Math.random();\n', 'uses Math.random'],
      ['web-crypto.ts', 'export const fill = (b: Uint8Array) => crypto.getRandomValues(b);\n', 'uses ambient randomness'],
      ['process.ts', "export const seed = process.env['SEED'];\n", 'uses process'],
      ['console.ts', "export function log(): void { console.log('x'); }\n", 'uses console'],
    ];
    let dir = '';

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'meshpunch-purity-'));
      for (const [name, src] of FIXTURES) writeFileSync(join(dir, name), src);
      writeFileSync(join(dir, 'pure.ts'), '// setTimeout, Date and console.log in a comment are fine\n/* process.exit() too */\nexport const add = (a: number, b: number): number => a + b;\n');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('flags each fixture with the rule it breaks and leaves the pure file alone', () => {
      const byName = new Map(scanCores([dir]).map((r) => [relative(dir, r.file), r.hits]));
      expect(byName.size).to.equal(FIXTURES.length + 1);
      for (const [name, , why] of FIXTURES) expect(byName.get(name), name).to.include(why);
      expect(byName.get('pure.ts')).to.deep.equal([]);
    });

    it('ignores comments but not code that follows a URL string', () => {
      expect(stripComments("const u = 'http://x'; setTimeout(f);")).to.contain('setTimeout');
      expect(violations("const u = 'http://x'; setTimeout(f);")).to.deep.equal(['uses a timer']);
    });
  });
});
