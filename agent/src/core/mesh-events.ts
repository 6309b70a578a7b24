// The live report of a mesh session (core, types only): one event per step, in order.

import type { LinkFailureReason, LinkPhase, LinkRole, PathKind } from './link-machine.js';

/** Progress events emitted by a mesh session (`session.on('progress', e)`). */
export type MeshEvent =
  | { readonly type: 'signalConnected'; readonly url: string }
  /** `viewUrl`: the lobby's live web view, when the service serves one (`meshpunch-signal --ui`). */
  | { readonly type: 'joined'; readonly id: number; readonly lobby: string; readonly created: boolean; readonly members: readonly number[]; readonly viewUrl?: string }
  | { readonly type: 'memberJoined'; readonly id: number }
  | { readonly type: 'memberLeft'; readonly id: number }
  | { readonly type: 'linkPhase'; readonly remoteId: number; readonly role: LinkRole; readonly phase: LinkPhase }
  /** The link's DTLS handshake with `remoteId` completed (its certificate matched the signaled fingerprint); the ENet handshake follows. */
  | { readonly type: 'linkSecured'; readonly remoteId: number }
  | { readonly type: 'linkUp'; readonly remoteId: number; readonly path: PathKind; readonly rttMs: number; readonly local: string; readonly remote: string }
  /** Candidates of the peer that were refused and never probed (nat candidate-policy.ts: `reason` is its CandidateRejection). */
  | { readonly type: 'candidatesRejected'; readonly remoteId: number; readonly candidates: ReadonlyArray<{ readonly kind: string; readonly address: string; readonly port: number; readonly reason: string }> }
  | { readonly type: 'linkFailed'; readonly remoteId: number; readonly reason: LinkFailureReason; readonly detail: string }
  /** Our TURN allocation for the link to `remoteId` is up (listen side; relay.md §3). */
  | { readonly type: 'relayAllocated'; readonly remoteId: number; readonly relayed: string; readonly server: string }
  /** The live link to `remoteId` moved between the relay and a direct path; the ENet peer stayed. */
  | { readonly type: 'pathChanged'; readonly remoteId: number; readonly from: PathKind; readonly to: PathKind }
  | { readonly type: 'peerRemoved'; readonly remoteId: number; readonly why: 'left' | 'disconnected' }
  /** The signaling connection dropped; the mesh stays. `willRetry`: the client is getting the lobby back. */
  | { readonly type: 'signalDown'; readonly detail: string; readonly willRetry: boolean }
  /** An attempt to get back to the service failed; the next one, to `url`, starts in `inMs`. */
  | { readonly type: 'signalRetry'; readonly attempt: number; readonly url: string; readonly inMs: number; readonly detail: string }
  /** Back on the service at `url`: `restored` when it had lost the lobby and we re-registered it (same id). */
  | { readonly type: 'signalBack'; readonly url: string; readonly restored: boolean }
  /** The signaling connection is gone for good (closed, or no way back within the reconnect window); links stay. */
  | { readonly type: 'signalLost'; readonly detail: string }
  | { readonly type: 'messages'; readonly from: number; readonly count: number }
  /** LAN mode (issue #16): we host the lobby's signaling service at `address`, or joined the host there; `handOver` after the previous host left. */
  | { readonly type: 'lanRole'; readonly role: 'host' | 'member'; readonly lobby: string; readonly address: string; readonly handOver: boolean };
