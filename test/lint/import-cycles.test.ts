// No import cycles inside a package's sources (issue #15: the enet core's host.ts ↔ receive.ts /
// transmit.ts cycle), in every workspace package: packages/*, signaling and agent.
//
// `import type` counts too. A type-only cycle costs nothing at run time (TypeScript erases it), but
// the lint is about reading, not loading: two files that name each other can only be read, moved or
// split together, and every type-only cycle found so far was a layering slip with a cheap fix (a type
// declared in the file that uses it rather than in its caller: stun-responder's options lived in
// signaling-server.ts; a helper imported back through a re-export: protocol's probe-fields.ts; a
// parser in the checker instead of the options: dtls). The one exception, ALLOWED_CYCLES, is a type
// cycle that mirrors the objects themselves: two classes whose instances point at each other. An
// allowed cycle that is gone fails too, so the list cannot go stale.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './support/repo-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Every workspace package's sources: a new package under packages/ is checked without editing this list. */
const CHECKED = [
  ...readdirSync(join(root, 'packages')).filter((n) => statSync(join(root, 'packages', n)).isDirectory()).map((n) => `packages/${n}/src`),
  'signaling/src',
  'agent/src',
];

/** Cycles allowed, each with its reason; a cycle is named by its files, sorted. */
const ALLOWED_CYCLES: ReadonlyArray<{ files: readonly string[]; why: string }> = [
  {
    files: ['signaling/src/core/connection.ts', 'signaling/src/core/lobby.ts'],
    why: 'type-only: a Connection knows its Member (conn.member) and a Member its Connection (member.conn), ' +
      'a link both sides of the core follow; Member cannot leave lobby.ts (it holds its Lobby), so breaking the ' +
      'cycle means one file for lobbies and connections or a type parameter every user of Connection spells out',
  },
];

/** A cycle's identity: its distinct files, sorted (the walk may enter it at any file). */
function cycleKey(files: readonly string[]): string {
  return [...new Set(files)].sort().join(' ↔ ');
}

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

  it('checks every workspace package', () => {
    expect(CHECKED).to.include.members(['packages/enet/src', 'packages/nat/src', 'packages/dtls/src', 'packages/protocol/src', 'signaling/src', 'agent/src']);
  });

  // Walked once, when the suite is defined: each test below reads the result, whatever runs first.
  const allowed = new Set(ALLOWED_CYCLES.map((c) => cycleKey(c.files)));
  const byDir = CHECKED.map((dir) => {
    const files = walkFiles(join(root, dir), ['.ts']);
    const graph = new Map(files.map((f) => [f, relativeImports(f, readFileSync(f, 'utf8'))] as const));
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(root, f).split('\\').join('/')));
    return { dir, files: files.length, cycles };
  });

  for (const { dir, files, cycles } of byDir) {
    it(`has none in ${dir}`, () => {
      expect(files, `${dir} has no .ts file`).to.be.greaterThan(0);
      expect(cycles.filter((c) => !allowed.has(cycleKey(c))).map((c) => c.join(' → '))).to.deep.equal([]);
    });
  }

  it('still finds every allowed cycle (a fixed one leaves ALLOWED_CYCLES)', () => {
    const found = new Set(byDir.flatMap((d) => d.cycles.map(cycleKey)));
    expect([...allowed].filter((k) => !found.has(k))).to.deep.equal([]);
  });
});
