// The CLI's entry: runs the CLI with the real commands and exits with its code. The `meshpunch`
// binary (meshpunch.ts) runs this file, or the one-file bundle the build makes of it
// (scripts/bundle.mjs). The CLI modules are light; each command loads its own work when it runs
// (cli/commands.ts). No top-level await: the bundle is CommonJS-compatible code.
import { trace } from '../src/adapter/trace.js';
import { realCommands } from '../src/cli/commands.js';
import { processIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/main.js';

/** Defined (as the version) only in the bundle: the timeline says which form runs. */
declare const __MESHPUNCH_VERSION__: string | undefined;

trace(typeof __MESHPUNCH_VERSION__ === 'string' ? 'cli loaded (bundle)' : 'cli loaded');
void runCli(process.argv.slice(2), processIo(), realCommands).then((code) => process.exit(code));
