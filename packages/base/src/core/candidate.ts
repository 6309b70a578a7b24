// A punch candidate: one transport address a peer may be reached at. The one definition (issue
// #15: nat had `type` with a required priority, protocol `kind`/`family`, and the agent converted
// between them). It lives here, below both: protocol carries candidates on the wire and nat gathers,
// ranks and punches them, and neither depends on the other. Its fields are the wire's
// (docs/protocol.md, `pair.candidates`); which kinds may be sent is protocol's rule, how they rank nat's.

/**
 * Where the address was learned (RFC 8445 §5.1.1): a local interface, a STUN server's view of our
 * NAT mapping, a check from the peer ('prflx': learned during punching, never signalled), a UPnP
 * mapping made on the router, or a TURN allocation's relayed address (relay.md §3).
 */
export type CandidateKind = 'host' | 'srflx' | 'prflx' | 'upnp' | 'relay';

/** A transport address a peer may be reachable at. */
export interface Candidate {
  /** How the address was learned. */
  readonly kind: CandidateKind;
  /** 4 for IPv4, 6 for IPv6; matches `address`. */
  readonly family: 4 | 6;
  /** Dotted-quad IPv4 or RFC 5952 IPv6 text (a zone id only on a local link-local host candidate). */
  readonly address: string;
  /** UDP port, 1..65535. */
  readonly port: number;
  /**
   * RFC 8445 §5.1.2.1 priority; higher is tried and preferred first. Optional on the wire; every
   * candidate nat gathers or validates has one (nat's `RankedCandidate`).
   */
  readonly priority?: number;
}
