#!/usr/bin/env node
// The `meshpunch` bin that npm links (package.json "bin"). Plain committed JavaScript, not a build
// output: it exists in a fresh clone, so `npm ci` links node_modules/.bin/meshpunch and `npx
// meshpunch` works once the workspace is built (issue #12 item 4). It runs the built binary
// (dist/bin/meshpunch.cjs, which picks the bundle), or says in one line how to build it.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'bin', 'meshpunch.cjs');
if (existsSync(built)) {
  require(built);
} else {
  process.stderr.write(`meshpunch: not built yet (${built} is missing): run \`npm run build\` in the repository root first\n`);
  process.exitCode = 1;
}
