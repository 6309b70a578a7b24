#!/usr/bin/env node
// `node agent/dist/bin/meshpunch.js`, as before: the same binary as meshpunch.cjs (the package's
// bin), reached through Node's ES module loader first.
import './meshpunch.cjs';
