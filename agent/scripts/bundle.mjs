#!/usr/bin/env node
// Bundles the compiled `meshpunch` CLI (agent/dist/bin/cli.js and everything it imports, across
// the workspaces) into one CommonJS file, agent/dist/bundle/meshpunch.cjs, with a source map,
// then makes V8's code cache for it from a warm-up `join` on loopback (meshpunch.cjs.v8cache;
// agent/bin/meshpunch.cts compiles the bundle with it). Run it
// after `tsc -b` (the root build, test, demo and bench scripts do). The compiled modules stay
// the source of truth: the bundle is made from them, and agent/bin/meshpunch.cts uses it only
// while no workspace was rebuilt after it (inputs.json lists their build-info files).
// Why: 8 agents starting together on 2 cores spend most of launch → mesh resolving, reading
// and linking dozens of ES modules each (issue #7); one file cuts the CPU each start costs.
// Usage: node agent/scripts/bundle.mjs [--quiet]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const agentDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(agentDir, 'dist', 'bundle');
const entry = join(agentDir, 'dist', 'bin', 'cli.js');
const quiet = process.argv.includes('--quiet');

if (!existsSync(entry)) {
  console.error(`[bundle] ${relative(process.cwd(), entry)} is missing: run tsc -b first`);
  process.exit(1);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A bundle is an optimisation: without the bundler the binary runs the compiled modules.
  console.warn('[bundle] esbuild is not installed (a dev dependency); meshpunch runs the compiled modules');
  process.exit(0);
}

/**
 * Modules that load a CommonJS package with `createRequire(import.meta.url)('name')` (cheaper
 * than an ESM import of it, signaling-client.ts with ws) hide it from the bundler; in the
 * CommonJS bundle a plain `require('name')` is the same call, so the package is bundled and
 * code-cached too. A module without that exact form is bundled as it is (the package then loads
 * from node_modules at run time, as before).
 */
const inlineCreateRequire = {
  name: 'inline-create-require',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('createRequire(import.meta.url)(')) return undefined;
      return { contents: text.replace(/createRequire\(import\.meta\.url\)\(('[^']+'|"[^"]+")\)/g, 'require($1)'), loader: 'js' };
    });
  },
};

const version = JSON.parse(readFileSync(join(agentDir, 'package.json'), 'utf8')).version;
mkdirSync(outDir, { recursive: true });
const result = await esbuild.build({
  entryPoints: [entry],
  outfile: join(outDir, 'meshpunch.cjs'),
  bundle: true,
  platform: 'node',
  // CommonJS, not ESM: Node 20 can hand V8 a code cache for a script (node:vm), not for a module.
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // Minified: 342 KiB instead of 785 KiB to read and hand to V8 at every start, ~15 ms less CPU
  // per process here (8 agents starting on 2 cores queue for it). Errors name themselves (each
  // error class sets `name`), and the source map keeps stacks readable.
  minify: true,
  metafile: true,
  logLevel: 'warning',
  // A CommonJS script has no import.meta: its url is the bundle's (nothing bundled calls
  // import.meta.resolve; `meshpunch signal` runs the service's CLI in-process, issue #12).
  define: {
    __MESHPUNCH_VERSION__: JSON.stringify(version),
    'import.meta.url': '__meshpunchImportMetaUrl',
  },
  banner: { js: "var __meshpunchImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [inlineCreateRequire],
  // The Redis client loads only under `meshpunch signal --redis` (signaling/src/cluster):
  // from node_modules then, never read at every agent start.
  external: ['@redis/*'],
});

// The build-info file of every workspace whose compiled output went into the bundle.
const infos = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const parts = input.split(/[\\/]/);
  const at = parts.indexOf('dist');
  if (at <= 0 || parts.includes('node_modules')) continue;
  const info = join(process.cwd(), ...parts.slice(0, at), 'dist', 'tsconfig.tsbuildinfo');
  if (existsSync(info)) infos.add(relative(outDir, info).split(sep).join('/'));
}
if (infos.size === 0) {
  console.error('[bundle] found no tsconfig.tsbuildinfo for the bundled workspaces; is this a tsc -b build?');
  process.exit(1);
}
writeFileSync(join(outDir, 'inputs.json'), `${JSON.stringify([...infos].sort(), null, 2)}\n`);
const cached = await warmUp();
if (!quiet) {
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`[bundle] ${relative(process.cwd(), join(outDir, 'meshpunch.cjs'))}: ${Object.keys(result.metafile.inputs).length} modules, ${(bytes / 1024).toFixed(0)} KiB with its map${cached ? ', code cache from a warm-up join' : ', no code cache'}`);
}

/**
 * Makes meshpunch.cjs.v8cache: three agents on loopback (`join --create-if-missing --wait-peers
 * 3` against a `meshpunch signal` on 127.0.0.1), run from the fresh bundle; one of them writes
 * V8's code cache as it exits, so the cache holds what a join really compiles (both roles of the
 * punch and the ENet handshake). Bounded to 100 s; every process is ended by its own pid. Without
 * a cache the bundle still runs (V8 compiles it instead), so a failed warm-up only warns.
 * @returns true when the cache was written
 */
async function warmUp() {
  // Generous: at load 20 on 2 cores the warm-up (four processes compiling the bundle with no
  // cache yet) missed its former 10 s / 30 s bounds and left no cache (the e2e bundle test then
  // failed); a whole bundle run took 33 s there. A quiet machine finishes in a few seconds.
  const WARM_UP_START_MS = 30_000;
  const WARM_UP_JOIN_S = 60;
  const cacheFile = join(outDir, 'meshpunch.cjs.v8cache');
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  rmSync(cacheFile, { force: true });
  const bin = join(agentDir, 'dist', 'bin', 'meshpunch.cjs');
  const started = [];
  const run = (args, env = {}) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MESHPUNCH_TIMELINE: '', ...env } });
    started.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, output: () => out };
  };
  const deadline = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms).unref());
  try {
    const signal = run(['signal', '--host', '127.0.0.1', '--port', '0']);
    const port = await Promise.race([
      new Promise((resolve, reject) => {
        const look = () => {
          const m = /"event":"listening"[^\n]*"port":(\d+)/.exec(signal.output());
          if (m !== null) resolve(Number(m[1]));
        };
        signal.child.stdout.on('data', look);
        signal.child.stderr.on('data', look);
        signal.exited.then((code) => reject(new Error(`meshpunch signal exited with ${code}`)));
      }),
      deadline(WARM_UP_START_MS, 'starting meshpunch signal'),
    ]);
    const args = ['join', '--signal', `ws://127.0.0.1:${port}`, '--lobby', 'code-cache-warm-up', '--create-if-missing', '--bind', '127.0.0.1', '--wait-peers', '3', '--timeout', String(WARM_UP_JOIN_S)];
    const agents = [run(args, { MESHPUNCH_WRITE_CODE_CACHE: tmp }), run(args), run(args)];
    const codes = await Promise.race([Promise.all(agents.map((a) => a.exited)), deadline(WARM_UP_JOIN_S * 1000 + 10_000, 'the warm-up join')]);
    if (codes.some((c) => c !== 0) || !existsSync(tmp)) throw new Error(`the warm-up join failed (exit codes ${codes.join(', ')}): ${agents[0].output().trim().split('\n').slice(-3).join(' | ')}`);
    renameSync(tmp, cacheFile);
    return true;
  } catch (err) {
    console.warn(`[bundle] no code cache: ${err.message}`);
    return false;
  } finally {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(started.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.on('exit', r)) : undefined)));
    rmSync(tmp, { force: true });
  }
}
