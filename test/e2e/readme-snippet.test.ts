// End-to-end: the README's library snippet, taken from README.md and run as written in 4
// processes, delivers 12 of 12 messages and every process ends cleanly (issue #12 item 2:
// `close()` delivers what was queued and strands nobody). Only the service URL and the lobby
// name are replaced, so the README cannot drift from what works.
import { expect } from 'chai';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './agent-process.js';
import { useService } from './fixture.js';

/** The ```ts block right after "As a library:" in README.md. */
export function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('As a library: `joinMesh(');
  expect(at, 'README.md has the library section').to.be.greaterThan(0);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(m, 'a ts block after it').to.not.equal(null);
  return m![1]!;
}

describe('README library snippet (end to end)', function () {
  this.timeout(90_000);
  const fx = useService();
  // Inside the repository, so `@meshpunch/agent` resolves from its node_modules.
  const dir = join(ROOT, 'test', 'dist', 'e2e', 'readme-run');

  before(() => {
    mkdirSync(dir, { recursive: true });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('run as written in 4 processes, delivers 12/12 hellos and every process exits 0 by itself', async () => {
    const text = readmeSnippet();
    expect(text).to.include("'ws://127.0.0.1:8787'");
    expect(text).to.include("lobby: 'game'");
    const lobby = `readme-${process.pid}`;
    const script = join(dir, 'snippet.mjs');
    writeFileSync(script, text.replace("'ws://127.0.0.1:8787'", JSON.stringify(fx.signaling.url)).replace("lobby: 'game'", `lobby: ${JSON.stringify(lobby)}`));
    const ps = [0, 1, 2, 3].map(() => fx.spawn([], script));
    const codes = await Promise.all(ps.map((p) => p.exited));
    const tails = ps.map((p) => p.tail(40)).join('\n---\n');
    expect(codes, tails).to.deep.equal([0, 0, 0, 0]);
    const hellos = ps.map((p) => p.stdout.filter((l) => /^\d+ hello$/.test(l)));
    const total = hellos.reduce((n, h) => n + h.length, 0);
    console.log(`      [e2e] README snippet: ${total}/12 messages delivered`);
    expect(hellos.map((h) => h.length), tails).to.deep.equal([3, 3, 3, 3]);
    // Each from a different peer, never from itself.
    for (const h of hellos) expect(new Set(h).size).to.equal(3);
    for (const p of ps) expect(p.stdout.filter((l) => l.startsWith('linked to ')), p.tail()).to.have.length(3);
  });
});
