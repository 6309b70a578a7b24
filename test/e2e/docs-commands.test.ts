// The command lines README.md and docs/cli.md show work as written (issue #12 items 4, 7): each
// parses with the binaries' own flag parsers (HOST standing for 127.0.0.1), the binaries they
// name exist after the build, and netcheck points at the port where the service's STUN listens.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommand } from '@meshpunch/agent';
import { parseCli } from '@meshpunch/signaling';
import { ROOT } from './agent-process.js';

/** How a documented line starts → the binary it runs. */
const PREFIXES: Array<[RegExp, 'meshpunch' | 'meshpunch-signal', string | undefined]> = [
  [/^node agent\/dist\/bin\/meshpunch\.c?js /, 'meshpunch', 'agent/dist/bin/meshpunch.cjs'],
  [/^node signaling\/dist\/bin\/meshpunch-signal\.js /, 'meshpunch-signal', 'signaling/dist/bin/meshpunch-signal.js'],
  [/^npx meshpunch-signal /, 'meshpunch-signal', undefined],
  [/^npx meshpunch /, 'meshpunch', undefined],
  [/^meshpunch-signal /, 'meshpunch-signal', undefined],
  [/^meshpunch /, 'meshpunch', undefined],
];

interface DocCommand { readonly where: string; readonly bin: 'meshpunch' | 'meshpunch-signal'; readonly file: string | undefined; readonly args: string[] }

/** Command lines in ```sh blocks and in `code spans` with an option, of a Markdown file (placeholders like <x> or … skipped). */
function commands(rel: string): DocCommand[] {
  const text = readFileSync(join(ROOT, rel), 'utf8');
  const lines: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) lines.push(...block[1]!.split('\n'));
  // A span is a command when it has an option (`meshpunch join` alone names the command).
  for (const span of text.matchAll(/`([^`\n]+)`/g)) if (span[1]!.includes(' --')) lines.push(span[1]!);
  const out: DocCommand[] = [];
  for (const raw of lines) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (/[<>…]/.test(line)) continue;
    for (const [re, bin, file] of PREFIXES) {
      if (!re.test(`${line} `)) continue;
      const args = `${line} `.replace(re, '').trim().split(/\s+/).filter((a) => a !== '').map((a) => a.replace(/HOST/g, '127.0.0.1'));
      out.push({ where: `${rel}: ${line}`, bin, file, args });
      break;
    }
  }
  return out;
}

describe('documented command lines (end to end)', () => {
  const all = [...commands('README.md'), ...commands('docs/cli.md')];

  it('finds the README and docs/cli.md examples', () => {
    expect(all.filter((c) => c.where.startsWith('README.md')).length).to.be.greaterThanOrEqual(6);
    expect(all.filter((c) => c.where.startsWith('docs/cli.md')).length).to.be.greaterThanOrEqual(3);
  });

  it('every one parses with its binary\'s flag parser and names a binary the build makes', () => {
    for (const c of all) {
      if (c.file !== undefined) expect(existsSync(join(ROOT, c.file)), c.where).to.equal(true);
      if (c.bin === 'meshpunch-signal') {
        expect(() => parseCli(c.args, {}), c.where).to.not.throw();
        continue;
      }
      const cmd = parseCommand(c.args);
      if (cmd.kind === 'signal') expect(() => parseCli(cmd.argv, {}), c.where).to.not.throw();
    }
  });

  it('the --version and --help ones run and exit 0', () => {
    const quick = all.filter((c) => c.args.some((a) => a === '--version' || a === '--help') && c.args.every((a) => ['--version', '--help', 'signal'].includes(a)));
    expect(quick.length).to.be.greaterThanOrEqual(3);
    for (const c of quick) {
      const file = c.file ?? (c.bin === 'meshpunch' ? 'agent/dist/bin/meshpunch.cjs' : 'signaling/dist/bin/meshpunch-signal.js');
      const r = spawnSync(process.execPath, [join(ROOT, file), ...c.args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, `${c.where}: ${r.stderr}`).to.equal(0);
    }
  });

  it('netcheck in the README asks the STUN port of the service the README starts (the service\'s own port)', () => {
    const readme = commands('README.md');
    const signal = readme.find((c) => c.bin === 'meshpunch' && c.args[0] === 'signal');
    const netcheck = readme.find((c) => c.bin === 'meshpunch' && c.args[0] === 'netcheck');
    expect(signal).to.not.equal(undefined);
    expect(netcheck).to.not.equal(undefined);
    const settings = parseCli(signal!.args.slice(1), {});
    const stunPort = settings.stunPort ?? settings.port;
    const cmd = parseCommand(netcheck!.args);
    expect(cmd.kind === 'netcheck' && cmd.flags.stun.map((s: { port: number }) => s.port)).to.deep.equal([stunPort]);
  });
});
