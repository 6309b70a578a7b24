#!/usr/bin/env node
// The `meshpunch` binary: runs the CLI with the real commands and exits with its code. The CLI
// modules are light; each command loads its own work when it runs (cli/commands.ts).
import { trace } from '../src/adapter/trace.js';
import { realCommands } from '../src/cli/commands.js';
import { processIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/main.js';

trace('cli loaded');
const code = await runCli(process.argv.slice(2), processIo(), realCommands);
process.exit(code);
