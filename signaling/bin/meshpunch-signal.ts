#!/usr/bin/env node
// meshpunch-signal: the signaling service binary; all logic lives in src/cli/main.ts.
import { runCli } from '../src/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), process.env);
