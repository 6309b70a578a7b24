#!/usr/bin/env node
// Builds the live view's page (signaling/ui/*.ts, app.css) into signaling/dist/ui/ with esbuild,
// the project's one bundler: one ES module, minified, with a source map, no framework, nothing
// fetched at run time (the service serves both files itself, ui-server.ts). Run after `tsc -b`
// (the root build and test scripts do). `--check` type-checks the page first (tsc, DOM lib).
// Usage: node signaling/scripts/bundle-ui.mjs [--quiet] [--check]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');
const uiDir = join(dir, 'ui');
const outDir = join(dir, 'dist', 'ui');
const quiet = process.argv.includes('--quiet');

if (process.argv.includes('--check')) {
  const tsc = join(dir, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(uiDir, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('[bundle-ui] esbuild is not installed (a dev dependency): the live view cannot be built');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(uiDir, 'app.ts')],
  outfile: join(outDir, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // ES2020: every browser of the last few years (Chromium, Firefox, Safari ≥ 14) runs it as is.
  target: 'es2020',
  minify: true,
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(join(uiDir, 'app.css'), join(outDir, 'app.css'));
if (!quiet) {
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`[bundle-ui] ${relative(process.cwd(), outDir)}: app.js ${(bytes / 1024).toFixed(1)} KiB, app.css`);
}
