// The signaling service (SignalingCore) and client (ClientSession) on the simulator's network: the
// simulator's WebSocket stream pieces (packages/sim stream.ts) with this package's cores in them.
import { CAPABILITIES, SUPPORTED_VERSIONS } from '@meshpunch/protocol';
import { SimStreamClient, SimStreamService } from '@meshpunch/sim';
import type { Endpoint, Prng } from '@meshpunch/sim';
import { SignalingCore } from '../../src/core/signaling-core.js';
import type { SignalingCoreOptions } from '../../src/core/config.js';
import { ClientSession } from '../../src/core/client-session.js';
import type { ClientSessionConfig, RequestKind } from '../../src/core/client-session.js';

/** SignalingCore on the simulated network; `restart()` gives a fresh core with the same options. */
export class SimSignalingService extends SimStreamService<SignalingCore> {
  constructor(options: Partial<SignalingCoreOptions>, prng: Prng) {
    super(() => new SignalingCore({ random: (out) => prng.fill(out), connectionsPerSecondPerIp: 0, ...options }));
  }
}

/** ClientSession on the simulated network, with the defaults of SignalingClient. */
export class SimSignalingClient extends SimStreamClient<ClientSession> {
  constructor(local: Endpoint, services: readonly Endpoint[], config: Partial<ClientSessionConfig>, prng: Prng) {
    super(local, services, new ClientSession({
      services: services.map((s) => ({ ...s, url: `ws://${s.address}:${s.port}/` })),
      name: undefined, caps: [...CAPABILITIES], versions: SUPPORTED_VERSIONS,
      requestTimeoutMs: 10_000, connectTimeoutMs: 10_000, retryConnectMs: 0, autoResume: true, reconnectWindowMs: 600_000,
      random: () => prng.float(), linkedPeers: undefined,
      ...config,
    }));
  }

  override request(now: number, body: Record<string, unknown>, kind: RequestKind = 'plain'): number {
    return super.request(now, body, kind);
  }
}
