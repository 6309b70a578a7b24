// Starts a SignalingServer on loopback for a test and stops it afterwards.
import { SignalingServer } from '../../src/adapter/signaling-server.js';
import type { SignalingServerOptions } from '../../src/adapter/signaling-server.js';
import { testHash } from './core-harness.js';

/** Starts a quiet service on 127.0.0.1 with a free port and no per-IP connection limit. */
export function startTestServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  return SignalingServer.start({ host: '127.0.0.1', port: 0, stun: false, log: () => undefined, hashSecret: testHash, connectionsPerSecondPerIp: 0, ...options });
}
