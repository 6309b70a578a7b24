// An in-process signaling service on loopback (adapter), for the demo, tests and benchmarks:
// the real @meshpunch/signaling server with its embedded STUN responder, logging silenced.

import { SignalingServer } from '@meshpunch/signaling';

/** A running embedded service. */
export interface EmbeddedSignaling {
  /** `ws://127.0.0.1:PORT/`. */
  readonly url: string;
  /** `127.0.0.1:PORT` of the STUN responder, or undefined without one. */
  readonly stunAddress: string | undefined;
  /** Lobbies currently open (tests wait for the creator's lobby before starting joiners). */
  lobbyCount(): number;
  close(): Promise<void>;
}

/**
 * Starts the service on 127.0.0.1 with a free port (STUN on a free UDP port too). `lobbyKeyOf`:
 * LAN mode's fixed lobby keys (signaling config.ts).
 * @throws the service's SIG_LISTEN_FAILED error when it cannot bind.
 */
export async function startEmbeddedSignaling(host = '127.0.0.1', lobbyKeyOf?: (code: string) => string): Promise<EmbeddedSignaling> {
  const server = await SignalingServer.start({ host, port: 0, log: () => {}, ...(lobbyKeyOf === undefined ? {} : { lobbyKeyOf }) });
  return {
    url: server.url,
    stunAddress: server.stunPort === undefined ? undefined : `${host}:${server.stunPort}`,
    lobbyCount: () => server.core.lobbyCount,
    close: () => server.close(),
  };
}
