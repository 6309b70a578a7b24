// What a LinkRunner needs from its mesh session (adapter): the pair's start, the session's config
// and services (STUN servers, UPnP gateway, relay credentials, NAT hint) and the callbacks through
// which the link reports back. The session builds one per pair (mesh-session.ts); tests build their own.
import type { ENetConnection } from '@meshpunch/enet';
import type { UpnpGateway } from '@meshpunch/nat';
import type { Candidate, RejectedCandidate } from '@meshpunch/nat/punch';
import type { NatHint } from '@meshpunch/protocol';
import type { Endpoint } from '../core/endpoint.js';
import type { LinkOutcome, LinkPhase, LinkStart, LinkTimeouts, PathKind } from '../core/link-machine.js';
import type { RelayAccess } from './link-router.js';
import type { LinkSecurity } from './link-security.js';
import type { LinkSocket } from './link-socket.js';
import type { JoinMeshConfig } from './options.js';

/** What a LinkRunner needs from its session. */
export interface LinkContext {
  readonly ownId: number;
  readonly start: LinkStart;
  /** The pair secret from pair.start (16 bytes): keys the punch probes' MESSAGE-INTEGRITY. */
  readonly secret: Uint8Array;
  readonly config: JoinMeshConfig;
  /** DTLS on the link socket pinned to the peer's fingerprint (issue 18); undefined with --insecure (plain ENet). */
  readonly security?: LinkSecurity | undefined;
  /** STUN servers to ask from this link's socket (resolved addresses). */
  readonly stunServers: readonly Endpoint[];
  readonly timeouts: LinkTimeouts;
  /** A socket gathered before the pair started (socket-pool.ts); undefined in it: gather one now. */
  readonly prepared?: Promise<LinkSocket | undefined> | undefined;
  /** The session's UPnP gateway (discovered once), when --upnp is on and one answered. */
  upnpGateway(): Promise<UpnpGateway | undefined>;
  now(): number;
  /**
   * Sends candidates to the peer (again for a late `relay` one), with our NAT hint when known;
   * `done` false when more of ours are on the way (trickle: a UPnP mapping, a late srflx). Default true.
   */
  sendCandidates(candidates: Candidate[], nat: NatHint | undefined, done?: boolean): void;
  /** Our NAT hint (session-wide discovery), undefined until known. */
  natHint(): NatHint | undefined;
  /** Whether the service offers a relay (welcome.relay). */
  readonly relayOffered: boolean;
  /** TURN credentials for the service's relay, or undefined when it gave none. */
  relayAccess(): Promise<RelayAccess | undefined>;
  /** Our allocation for this link is up (listen side). */
  onRelayAllocated?(relayed: Endpoint, server: Endpoint): void;
  /** The live link changed path (relay ↔ direct); the ENet peer stays. */
  onPathChanged?(from: PathKind, to: PathKind): void;
  onPhase(phase: LinkPhase): void;
  /** The DTLS handshake with the peer completed (secure links only; before the ENet handshake ends). */
  onSecured?(): void;
  /** The peer's candidates that were refused (malformed, or an address class we never probe: nat candidate-policy.ts). */
  onCandidatesRejected?(rejected: readonly RejectedCandidate[]): void;
  /** Hands the connected host to the mesh. @throws when addMeshPeer refuses it. */
  addMeshPeer(host: ENetConnection): void;
  onOutcome(outcome: LinkOutcome): void;
}
