// Every error a package throws carries a documented code (docs/design.md §4, issue #15): each
// package's error class extends the one base (`MeshpunchError` in @meshpunch/base), no source
// throws a bare Error/RangeError/TypeError, and every code a package can throw (its errors.ts
// code union and every `new XError('CODE'` / `super('CODE'`) has a row in docs/errors.md naming
// that package (or `all`). A row whose code appears nowhere in the source fails too.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './support/repo-files.js';
import { bareThrows, codesInSource, codesOfUnion, docRows } from './support/error-codes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Each package: its folder and the name docs/errors.md gives it in the package column. */
const PACKAGES: Array<[dir: string, name: string]> = [
  ['packages/base', 'base'], ['packages/dtls', 'dtls'], ['packages/enet', 'enet'], ['packages/multiplayer', 'multiplayer'],
  ['packages/nat', 'nat'], ['packages/protocol', 'protocol'], ['packages/sim', 'sim'], ['signaling', 'signaling'], ['agent', 'agent'],
];

const rel = (p: string): string => relative(root, p).split('\\').join('/');

describe('error codes (docs/design.md §4, docs/errors.md)', () => {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = docRows(doc);
  const sources = PACKAGES.map(([dir, name]) => ({
    dir, name,
    files: walkFiles(join(root, dir, 'src'), ['.ts']).map((f) => ({ file: rel(f), text: readFileSync(f, 'utf8') })),
  }));

  it('scans every package and finds codes in each', () => {
    for (const s of sources) expect(s.files.length, `${s.dir}/src`).to.be.greaterThan(0);
    expect(rows.size).to.be.greaterThan(60);
  });

  it('every package error class extends MeshpunchError, the one base', () => {
    for (const s of sources) {
      if (s.name === 'base') continue;
      const errors = join(root, s.dir, 'src', 'errors.ts');
      expect(existsSync(errors), `${s.dir}/src/errors.ts`).to.equal(true);
      expect(readFileSync(errors, 'utf8'), `${s.dir}/src/errors.ts`).to.match(/export class \w+Error extends MeshpunchError</);
    }
    // No other class in the sources derives from Error itself.
    const direct = sources.flatMap((s) => s.files.filter((f) => /class \w+(<[^>]*>)? extends (Error|RangeError|TypeError)\b/.test(f.text)).map((f) => f.file));
    expect(direct).to.deep.equal(['packages/base/src/core/meshpunch-error.ts']);
  });

  it('no source throws an error without a code (bare Error, RangeError, TypeError)', () => {
    const bare = sources.flatMap((s) => s.files.flatMap((f) => bareThrows(f.text).map((line) => `${f.file}:${line}`)));
    expect(bare, `\n${bare.join('\n')}\n`).to.deep.equal([]);
  });

  it('every code a package can throw has a row in docs/errors.md naming the package', () => {
    const missing: string[] = [];
    for (const s of sources) {
      const errors = join(root, s.dir, 'src', 'errors.ts');
      const codes = new Set<string>(existsSync(errors) ? codesOfUnion(readFileSync(errors, 'utf8')) : []);
      for (const f of s.files) for (const c of codesInSource(f.text)) codes.add(c);
      for (const code of codes) {
        const pkgs = rows.get(code);
        if (pkgs === undefined || !(pkgs.has(s.name) || pkgs.has('all'))) missing.push(`${code} (${s.name})`);
      }
    }
    expect(missing, `\nnot in docs/errors.md for that package:\n${missing.join('\n')}\n`).to.deep.equal([]);
  });

  it('every code in docs/errors.md occurs in the source', () => {
    const all = sources.map((s) => s.files.map((f) => f.text).join('\n')).join('\n');
    const stale = [...rows.keys()].filter((code) => !all.includes(`'${code}'`));
    expect(stale).to.deep.equal([]);
  });

  describe('the checker itself', () => {
    it('finds bare throws and coded ones', () => {
      const text = "throw new Error('x');\nthrow new RangeError(`y`);\nthrow new NatError('NAT_X', 'm');\nthrow new TypeError(\n 'z');\n";
      expect(bareThrows(text)).to.deep.equal([1, 2, 4]);
      expect(codesInSource(text)).to.deep.equal(['NAT_X']);
      expect(codesInSource("super('SIM_LIMIT', msg); new AgentError(\n  'AGENT_CLOSED', 'm')")).to.deep.equal(['SIM_LIMIT', 'AGENT_CLOSED']);
    });

    it('reads code unions and doc rows', () => {
      expect(codesOfUnion("export type C =\n  | 'ERR_A'\n  | 'NAT_B' // x\n  | WireErrorCode;\nconst s = 'not a code';")).to.deep.equal(['ERR_A', 'NAT_B']);
      const r = docRows('| code | package | meaning |\n| --- | --- | --- |\n| `ERR_A` | enet, nat | a |\n| `ERR_A` | agent | b |\n');
      expect([...r.get('ERR_A')!].sort()).to.deep.equal(['agent', 'enet', 'nat']);
    });
  });
});
