#!/usr/bin/env node
// The `meshpunch` binary. Start-up time is most of launch → mesh when several agents start at
// once on a small machine (issue #7), so this runs the one-file bundle of the CLI that the build
// makes (scripts/bundle.mjs: one file to read and compile instead of dozens of modules to resolve and
// link) when it is there and no older than the compiled modules it was made from; otherwise the
// compiled modules themselves (bin/cli.ts). MESHPUNCH_NO_BUNDLE=1 forces the modules.
import { readFileSync, statSync } from 'node:fs';

const bundleDir = new URL('../bundle/', import.meta.url);

/** mtime of a file in ms, or undefined when it does not exist. */
function mtimeMs(url: URL): number | undefined {
  try {
    return statSync(url).mtimeMs;
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
  const made = mtimeMs(new URL('meshpunch.mjs', bundleDir));
  if (made === undefined) return false;
  let inputs: unknown;
  try {
    inputs = JSON.parse(readFileSync(new URL('inputs.json', bundleDir), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs)) return false;
  // A missing build-info file (an installed package has none) says nothing against the bundle.
  return inputs.every((rel) => typeof rel === 'string' && (mtimeMs(new URL(rel, bundleDir)) ?? 0) <= made);
}

if (process.env.MESHPUNCH_NO_BUNDLE !== '1' && bundleIsFresh()) await import(new URL('meshpunch.mjs', bundleDir).href);
else await import('./cli.js');
