// What the core's helpers (pairing.ts, membership.ts) share with SignalingCore (core).
import type { CandidatesSpan } from '@meshpunch/protocol';
import type { SignalingCoreConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import type { Lobby } from './lobby.js';
import type { Outbox } from './outbox.js';
import type { RelayAccess } from './relay-access.js';

/** The core's resolved config, its counters and its output queue; made once per core. */
export interface CoreContext {
  readonly config: SignalingCoreConfig;
  readonly metrics: SignalingMetrics;
  readonly outbox: Outbox;
  /** Relay credentials and membership answers; undefined when the service offers no relay. */
  readonly relay: RelayAccess | undefined;
  /**
   * Lobbies whose stored state changed since the adapter last asked (SignalingCore.takeChanged);
   * undefined unless the adapter keeps lobby state in a store (cluster mode), so one process
   * pays nothing for it.
   */
  changed?: Set<Lobby> | undefined;
  /**
   * While a fast-decoded pair.candidates whose candidates array is in its canonical form is
   * carried out: the frame it came in, the array being candidatesSpan of it, so the relay can
   * forward those bytes (forwarded-candidates.ts); null otherwise.
   */
  candidatesFrame: Uint8Array | null;
  readonly candidatesSpan: CandidatesSpan;
}

/** Notes that `lobby`'s state (members, tokens, owner, seal, pairs) changed. */
export function touch(ctx: CoreContext, lobby: Lobby): void {
  ctx.changed?.add(lobby);
}
