#!/usr/bin/env node
// The `meshpunch-signal` bin that npm links (package.json "bin"). Plain committed JavaScript, not a
// build output: it exists in a fresh clone, so `npm ci` links node_modules/.bin/meshpunch-signal
// (issue #12 item 4). It runs the built binary, or says in one line how to build it.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/meshpunch-signal.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(`meshpunch-signal: not built yet (${built.pathname} is missing): run \`npm run build\` in the repository root first\n`);
  process.exitCode = 1;
}
