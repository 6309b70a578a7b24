// The real work behind the CLI's commands (cli layer wiring): joinMesh for `join`, the netcheck
// adapter for `netcheck`, the signaling service's own CLI, in this process, for `signal`. Each is imported when its
// command runs: a process loads only what its command needs (8 agents starting at once on 2
// cores spend most of their launch → join time loading modules, issue #7).

import { readFileSync } from 'node:fs';
import { trace } from '../adapter/trace.js';
import type { CliCommands } from './main.js';

/** Set by the bundler (scripts/bundle.mjs) to agent/package.json's version: a bundle has no package.json next to it. */
declare const __MESHPUNCH_VERSION__: string | undefined;

function packageVersion(): string {
  if (typeof __MESHPUNCH_VERSION__ === 'string') return __MESHPUNCH_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const version = packageVersion();

/** The commands as the `meshpunch` binary runs them. */
export const realCommands: CliCommands = {
  version,
  join: async (flags, onProgress) => {
    const { joinMesh } = await import('../adapter/join-mesh.js');
    return joinMesh(
      {
        signal: flags.signal,
        lobby: flags.lobby,
        create: flags.create,
        createIfMissing: flags.createIfMissing,
        ...(flags.password === undefined ? {} : { password: flags.password }),
        ...(flags.maxPeers === undefined ? {} : { maxPeers: flags.maxPeers }),
        ...(flags.waitPeers === undefined ? {} : { expectedPeers: flags.waitPeers }),
        upnp: flags.upnp,
        stun: flags.stun,
        bindAddress: flags.bind,
      },
      (e) => {
        trace(`event ${e.type}${'remoteId' in e ? ` ${e.remoteId}` : ''}${e.type === 'linkPhase' ? ` ${e.phase}` : ''}`);
        onProgress(e);
      },
    );
  },
  netcheck: async (flags) => (await import('../adapter/netcheck.js')).runNetcheck(flags),
  signal: async (argv, io) => (await import('./signal-command.js')).runSignal(argv, io, version),
};
