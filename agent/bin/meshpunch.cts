#!/usr/bin/env node
// The `meshpunch` binary, CommonJS: Node 20 starts a CommonJS entry ~10 ms of CPU faster than an
// ES module one (whose loader the bundle then never needs). Start-up time is most of launch →
// mesh when several agents start at once on a small machine (issue #7), so this runs the one-file bundle of the CLI that the build
// makes (scripts/bundle.mjs: one file to read instead of dozens of modules to resolve and link,
// compiled from V8's code cache when the build left one) when it is there and no older than the
// compiled modules it was made from; otherwise the compiled modules themselves (bin/cli.ts).
// MESHPUNCH_NO_BUNDLE=1 forces the modules.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const bundleDir = join(__dirname, '..', 'bundle');
const bundleFile = join(bundleDir, 'meshpunch.cjs');
const cacheFile = `${bundleFile}.v8cache`;

/** mtime of a file in ms, or undefined when it does not exist. */
function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * True when the bundle exists and every build-info file it lists (`inputs.json`, written with
 * it: each workspace's tsconfig.tsbuildinfo, which `tsc -b` rewrites whenever it emits that
 * workspace) is older: a `tsc -b` after the last bundling makes the modules the newer code.
 */
function bundleIsFresh(): boolean {
  const made = mtimeMs(bundleFile);
  if (made === undefined) return false;
  let inputs: unknown;
  try {
    inputs = JSON.parse(readFileSync(join(bundleDir, 'inputs.json'), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs)) return false;
  // A missing build-info file (an installed package has none) says nothing against the bundle.
  return inputs.every((rel) => typeof rel === 'string' && (mtimeMs(join(bundleDir, rel)) ?? 0) <= made);
}

/**
 * Runs the CommonJS bundle as Node runs a CommonJS module, but compiled through node:vm so V8's
 * code cache (made by the build, scripts/bundle.mjs) can skip parsing and compiling what a
 * `join` runs. A cache V8 rejects (another Node version, changed flags) only costs the compile.
 */
function runBundle(): void {
  const source = readFileSync(bundleFile, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: bundleFile, ...(cachedData === undefined ? {} : { cachedData }) });
  // The build's warm-up run (scripts/bundle.mjs) names a file: after a real join, the cache
  // holds every function the run compiled.
  const writeTo = process.env.MESHPUNCH_WRITE_CODE_CACHE;
  if (writeTo !== undefined && writeTo !== '') process.once('exit', () => writeFileSync(writeTo, script.createCachedData()));
  if (process.env.MESHPUNCH_TIMELINE === '1') {
    // The timeline's format (src/adapter/trace.ts), which loads only inside the bundle.
    const cache = cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used';
    process.stderr.write(`trace ${performance.now().toFixed(1)} ms bundle compiled (code cache ${cache})\n`);
  }
  const module = { exports: {} };
  const main = script.runInThisContext() as (...args: unknown[]) => void;
  main(module.exports, createRequire(bundleFile), module, bundleFile, dirname(bundleFile));
}

if (process.env.MESHPUNCH_NO_BUNDLE !== '1' && bundleIsFresh()) runBundle();
else void import('./cli.js');
