// The real work behind the CLI's commands (cli layer wiring): joinMesh for `join`, the netcheck
// adapter for `netcheck`, the signaling service's own CLI, in this process, for `signal`. Each is imported when its
// command runs: a process loads only what its command needs (8 agents starting at once on 2
// cores spend most of their launch → join time loading modules, issue #7).

import { readFileSync } from 'node:fs';
import { trace } from '../adapter/trace.js';
import type { MeshEvent } from '../core/mesh-events.js';
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

/** Without --timeout, how long `join` keeps trying to reach the service at start, ms (10 min, as the reconnect window). */
const RETRY_WITHOUT_TIMEOUT_MS = 600_000;

/** The commands as the `meshpunch` binary runs them. */
export const realCommands: CliCommands = {
  version,
  join: async (flags, onProgress, limits) => {
    const { joinMesh } = await import('../adapter/join-mesh.js');
    const trail = (e: MeshEvent): void => {
      trace(`event ${e.type}${'remoteId' in e ? ` ${e.remoteId}` : ''}${e.type === 'linkPhase' ? ` ${e.phase}` : ''}`);
      onProgress(e);
    };
    // With --timeout the service is retried until then (one attempt at most 10 s); without, for
    // as long as a lost service is (the reconnect window): agents may start before the service.
    const retryMs = limits.timeoutMs ?? RETRY_WITHOUT_TIMEOUT_MS;
    if (flags.lan) {
      return joinMesh({
        lan: true,
        signalRetryMs: Math.ceil(retryMs),
        lobby: flags.lobby,
        ...(flags.password === undefined ? {} : { password: flags.password }),
        ...(flags.waitPeers === undefined ? {} : { expectedPeers: flags.waitPeers }),
        bindAddress: flags.bind,
      }, trail);
    }
    return joinMesh(
      {
        signal: flags.signals,
        signalRetryMs: Math.ceil(retryMs),
        signalAttemptMs: Math.max(1, Math.ceil(Math.min(10_000, retryMs))),
        lobby: flags.lobby,
        create: flags.create,
        createIfMissing: flags.createIfMissing,
        ...(flags.password === undefined ? {} : { password: flags.password }),
        ...(flags.claimSecret === undefined ? {} : { claimSecret: flags.claimSecret }),
        ...(flags.maxPeers === undefined ? {} : { maxPeers: flags.maxPeers }),
        ...(flags.waitPeers === undefined ? {} : { expectedPeers: flags.waitPeers }),
        upnp: flags.upnp,
        secure: !flags.insecure,
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
  lobbies: async (flags) => (await import('../lan/lobbies.js')).listLanLobbies(flags.bind, Math.round(flags.timeoutS * 1000)),
  signal: async (argv, io) => (await import('./signal-command.js')).runSignal(argv, io, version),
};
