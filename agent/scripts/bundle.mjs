#!/usr/bin/env node
// Bundles the compiled `meshpunch` CLI (agent/dist/bin/cli.js and everything it imports, across
// the workspaces) into one ESM file, agent/dist/bundle/meshpunch.mjs, with a source map. Run it
// after `tsc -b` (the root build, test, demo and bench scripts do). The compiled modules stay
// the source of truth: the bundle is made from them, and agent/bin/meshpunch.ts uses it only
// while no workspace was rebuilt after it (inputs.json lists their build-info files).
// Why: 8 agents starting together on 2 cores spend most of launch → mesh resolving, reading
// and linking dozens of ES modules each (issue #7); one file cuts the CPU each start costs.
// Usage: node agent/scripts/bundle.mjs [--quiet]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const version = JSON.parse(readFileSync(join(agentDir, 'package.json'), 'utf8')).version;
mkdirSync(outDir, { recursive: true });
const result = await esbuild.build({
  entryPoints: [entry],
  outfile: join(outDir, 'meshpunch.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  minify: false,
  metafile: true,
  logLevel: 'warning',
  define: { __MESHPUNCH_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __meshpunchCreateRequire } from 'node:module';\nconst require = __meshpunchCreateRequire(import.meta.url);" },
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
if (!quiet) {
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`[bundle] ${relative(process.cwd(), join(outDir, 'meshpunch.mjs'))}: ${Object.keys(result.metafile.inputs).length} modules, ${(bytes / 1024).toFixed(0)} KiB with its map`);
}
