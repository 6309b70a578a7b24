// The real work behind the CLI's commands (cli layer wiring): joinMesh for `join`, the netcheck
// adapter for `netcheck`, the signaling service's own CLI for `signal`.

import { readFileSync } from 'node:fs';
import { joinMesh } from '../adapter/mesh-session.js';
import { runNetcheck } from '../adapter/netcheck.js';
import type { CliCommands } from './main.js';
import { runSignal } from './signal-command.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The commands as the `meshpunch` binary runs them. */
export const realCommands: CliCommands = {
  version: packageVersion(),
  join: (flags, onProgress) =>
    joinMesh(
      {
        signal: flags.signal,
        lobby: flags.lobby,
        create: flags.create,
        ...(flags.password === undefined ? {} : { password: flags.password }),
        ...(flags.maxPeers === undefined ? {} : { maxPeers: flags.maxPeers }),
        upnp: flags.upnp,
        stun: flags.stun,
        bindAddress: flags.bind,
      },
      onProgress,
    ),
  netcheck: (flags) => runNetcheck(flags),
  signal: (argv) => runSignal(argv),
};
