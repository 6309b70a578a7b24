// What the core's helpers (pairing.ts, membership.ts) share with SignalingCore (core).
import type { SignalingCoreConfig } from './config.js';
import type { SignalingMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import type { RelayAccess } from './relay-access.js';

/** The core's resolved config, its counters and its output queue; made once per core. */
export interface CoreContext {
  readonly config: SignalingCoreConfig;
  readonly metrics: SignalingMetrics;
  readonly outbox: Outbox;
  /** Relay credentials and membership answers; undefined when the service offers no relay. */
  readonly relay: RelayAccess | undefined;
}
