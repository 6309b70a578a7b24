// Enforces the sans-IO rule of STYLE.md §1: files under src/core never touch I/O, timers,
// wall clocks, ambient randomness, the process or the console.
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'imports node:*'],
  [/from\s+['"](ws|dgram|net|crypto|os|fs)['"]/, 'imports an I/O module'],
  [/from\s+['"][^'"]*\/adapter\//, 'imports adapter/'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'uses a timer'],
  [/\bDate\b/, 'uses Date'],
  [/\bperformance\./, 'uses performance'],
  [/\bMath\.random\b/, 'uses Math.random'],
  [/\bprocess\./, 'uses process'],
  [/\bconsole\./, 'uses console'],
];

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('src/core purity (STYLE.md §1)', () => {
  const pkgs = ['packages/enet', 'packages/nat', 'packages/protocol', 'packages/multiplayer', 'signaling', 'agent'];
  const files = pkgs.flatMap((p) => tsFiles(join(root, p, 'src', 'core')));

  it('scans the core folders that exist', () => {
    expect(existsSync(join(root, 'packages'))).to.equal(true);
  });

  for (const file of files) {
    it(`${relative(root, file)} touches no I/O, timer, clock or ambient randomness`, () => {
      const src = stripComments(readFileSync(file, 'utf8'));
      const hits = FORBIDDEN.filter(([re]) => re.test(src)).map(([, why]) => why);
      expect(hits, relative(root, file)).to.deep.equal([]);
    });
  }
});
