// `meshpunch signal` (cli layer): the signaling service's own command line (meshpunch-signal's
// runCli), run in this process. One process, so its pid is the service's: a signal to it stops
// the service, and no child can outlive it holding the port (issue #12 item 3).

import type { CliIo } from './io.js';

/**
 * Runs the signaling service with `argv` until SIGTERM / SIGINT; resolves with its exit code
 * (meshpunch-signal's: 0 clean stop, 1 could not start, 2 bad usage).
 * @param version printed by `--version`, as `meshpunch --version` prints it
 */
export async function runSignal(argv: readonly string[], io: CliIo, version: string): Promise<number> {
  const { runCli } = await import('@meshpunch/signaling/cli');
  return runCli(argv, process.env, {
    out: (t) => io.stdout.write(t),
    err: (t) => io.stderr.write(t),
    version,
    isTty: io.stderr.isTTY === true,
    // This process runs only the service (as meshpunch-signal does).
    capYoungGeneration: true,
  });
}
