// No import cycles inside a package's sources (issue #15: the enet core's host.ts ↔ receive.ts /
// transmit.ts cycle). A cycle, even of `import type`, means two files that can only be read
// together; the passes over a host reach it through core/host-context.ts instead. Packages join
// CHECKED once they are free of cycles (dtls and signaling still have some).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './support/repo-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const CHECKED = ['packages/enet/src'];

/** Relative imports and re-exports of `text` (`import type` included), as absolute .ts paths. */
export function relativeImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Every cycle found by a depth-first walk of `graph`, each as the files around it. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const done = new Set<string>();
  const onPath = new Set<string>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string): void => {
    done.add(n);
    onPath.add(n);
    path.push(n);
    for (const d of graph.get(n) ?? []) {
      if (onPath.has(d)) cycles.push([...path.slice(path.indexOf(d)), d]);
      else if (!done.has(d) && graph.has(d)) visit(d);
    }
    path.pop();
    onPath.delete(n);
  };
  for (const n of graph.keys()) if (!done.has(n)) visit(n);
  return cycles;
}

describe('import cycles (issue #15)', () => {
  it('finds a cycle when there is one (the checker itself)', () => {
    const g = new Map([['/a.ts', ['/b.ts']], ['/b.ts', ['/c.ts']], ['/c.ts', ['/a.ts']], ['/d.ts', ['/a.ts']]]);
    expect(findCycles(g)).to.deep.equal([['/a.ts', '/b.ts', '/c.ts', '/a.ts']]);
    expect(relativeImports('/p/core/x.ts', "import type { A } from './a.js';\nexport { B } from '../b.js';\nimport { C } from '@scope/c';\n"))
      .to.deep.equal(['/p/core/a.ts', '/p/b.ts']);
  });

  for (const dir of CHECKED) {
    it(`has none in ${dir}`, () => {
      const files = walkFiles(join(root, dir), ['.ts']);
      expect(files.length).to.be.greaterThan(10);
      const graph = new Map(files.map((f) => [f, relativeImports(f, readFileSync(f, 'utf8'))] as const));
      const cycles = findCycles(graph).map((c) => c.map((f) => relative(root, f)).join(' → '));
      expect(cycles).to.deep.equal([]);
    });
  }
});
