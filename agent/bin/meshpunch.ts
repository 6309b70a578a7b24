#!/usr/bin/env node
// The `meshpunch` binary: runs the CLI with the real commands and exits with its code.
import { realCommands } from '../src/cli/commands.js';
import { processIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/main.js';

const code = await runCli(process.argv.slice(2), processIo(), realCommands);
process.exit(code);
