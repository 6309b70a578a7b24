// The ENet handshake of one link (adapter): DTLS on the link host first (link-security.ts), then our
// CONNECT toward the proven path or the wait for the peer's, the expected peer only, and the
// hand-over of the connected host to the mesh. It feeds the results to the link's LinkMachine.
import { EventType, PeerStatistic, type ENetConnection, type ENetPacketPeer } from '@meshpunch/enet';
import type { RankedCandidate } from '@meshpunch/nat/punch';
import type { Endpoint } from '../core/endpoint.js';
import type { LinkMachine } from '../core/link-machine.js';
import type { LinkContext } from './link-context.js';
import { linkLocalEndpoint, linkRttMs, setLinkPeerTimeout } from './link-peer.js';
import type { LinkRouter } from './link-router.js';

/** Longest single wait for an ENet event during the handshake, ms (the link deadline bounds the total). */
const SERVICE_WAIT_MS = 250;

/** What the handshake reads of its link (link-runner.ts): read live, the link changes them as it goes. */
export interface HandshakeLink {
  readonly ctx: LinkContext;
  readonly machine: LinkMachine<RankedCandidate>;
  /** The link's host, once gathered. */
  host(): ENetConnection | undefined;
  /** The socket's hooks, once gathered: the PathMux says which path carries the peer. */
  router(): LinkRouter | undefined;
  /** The link let go of everything: nothing more may reach the machine. */
  released(): boolean;
  /** RTT of the punch check that proved the path, ms, when one was timed. */
  punchRttMs(): number | undefined;
  /** Our candidates (the host one stands in for the local endpoint when there is no route). */
  localCandidates(): readonly RankedCandidate[];
  /** Whether a punch proved that `address:port` holds the pair secret. */
  isProvenSource(address: string, port: number): boolean;
  /** Performs the machine's queued actions. */
  drain(): void;
}

/** Drives the ENet side of a link for its LinkRunner. */
export class LinkHandshake {
  /** The ENet peer of the link: ours (connect side) or the one that connected (listen side). */
  peer: ENetPacketPeer | undefined = undefined;
  /** The mesh owns the host (addMeshPeer accepted it). */
  handedOver = false;
  readonly #link: HandshakeLink;
  #servicing = false;

  constructor(link: HandshakeLink) {
    this.#link = link;
  }

  /** Connect side: CONNECT toward `remote` (again on a retry), then service the host. */
  connect(remote: Endpoint): void {
    const link = this.#link;
    const host = link.host();
    if (host === undefined || !this.secure()) return;
    // A retry (LinkMachine HANDSHAKE_ATTEMPTS): the previous attempt's peer goes first, silently.
    this.peer?.reset();
    this.peer = undefined;
    // ENet's endpoint for the peer is fixed now, not at its CONNECT event: a path that changes
    // during the handshake (the direct one lost consent, the listen side answers through its
    // relay) brings the DTLS flights and VERIFY_CONNECT from the peer's relayed address, which
    // the mux hands to ENet as this endpoint only once it is set; before, they were dropped as
    // from a stranger and the link ended in connect-timeout (NAT lab at load 17–24).
    link.router()?.mux.setVirtual(remote);
    try {
      // Godot's convention: the CONNECT data is our unique id (godot-enet.md §2.5).
      this.peer = host.connectToHost(remote.address, remote.port, 0, link.ctx.ownId);
      setLinkPeerTimeout(this.peer, link.ctx.config.peerTimeoutMs, link.ctx.relayOffered);
    } catch (err) {
      link.machine.handleLost(link.ctx.now(), `connectToHost failed: ${(err as Error).message}`);
      link.drain();
      return;
    }
    void this.service();
  }

  /**
   * Sets up DTLS on the link host before its ENet handshake (link-security.ts); false when the
   * link failed instead (`auth-failed`: the peer named no certificate). Plain ENet without security.
   */
  secure(): boolean {
    const link = this.#link;
    const security = link.ctx.security;
    const host = link.host();
    if (security === undefined || host === undefined) return true;
    const refused = (detail: string): void => {
      if (link.released()) return;
      link.machine.handleAuthFailed(link.ctx.now(), detail);
      link.drain();
    };
    const secured = (): void => {
      if (!link.released()) link.ctx.onSecured?.();
    };
    const role = link.ctx.start.role;
    const problem = security.apply(host, role, (address, port) => role === 'connect' || link.isProvenSource(address, port), refused, secured);
    if (problem === undefined) return true;
    refused(problem);
    return false;
  }

  /** Waits for the ENet CONNECT (or DISCONNECT) of the handshake; the link deadline bounds it. */
  async service(): Promise<void> {
    if (this.#servicing) return;
    this.#servicing = true;
    const link = this.#link;
    try {
      while (!link.released() && !this.handedOver && (link.machine.phase === 'connecting' || link.machine.phase === 'accepting')) {
        const host = link.host();
        if (host === undefined) return;
        const ev = await host.service(SERVICE_WAIT_MS);
        if (link.released() || this.handedOver) return;
        if (ev.type === EventType.CONNECT && ev.peer !== undefined) await this.#onConnect(ev.peer, ev.data);
        else if (ev.type === EventType.DISCONNECT) {
          // Another attempt follows while the machine allows one (a 'connect' action on the connect side).
          link.machine.handleHandshakeFailed(link.ctx.now(), 'the ENet handshake was refused or timed out');
          link.drain();
        } else if (ev.type === EventType.ERROR) {
          // The link's socket failed or closed underneath: service() would answer ERROR at once
          // forever, so the link is lost rather than polled in a tight loop.
          link.machine.handleLost(link.ctx.now(), 'the link socket failed during the ENet handshake');
          link.drain();
          return;
        }
      }
    } finally {
      this.#servicing = false;
    }
  }

  /** Hands the connected host to the mesh (the machine's addMeshPeer action). */
  handOver(): void {
    const link = this.#link;
    const host = link.host();
    if (host === undefined) return;
    try {
      link.ctx.addMeshPeer(host);
      this.handedOver = true;
      link.machine.handleAdded(link.ctx.now());
    } catch (err) {
      link.machine.handleAddFailed(link.ctx.now(), (err as Error).message);
    }
    link.drain();
  }

  async #onConnect(peer: ENetPacketPeer, data: number): Promise<void> {
    const link = this.#link;
    const machine = link.machine;
    const phase = machine.phase;
    // Exactly one peer, the expected one: someone else reaching our pinhole is reset.
    if ((phase === 'accepting' && data !== link.ctx.start.remoteId) || (phase !== 'accepting' && phase !== 'connecting')) {
      peer.reset();
      return;
    }
    this.peer = peer;
    setLinkPeerTimeout(peer, link.ctx.config.peerTimeoutMs, link.ctx.relayOffered);
    const remote = { address: peer.getRemoteAddress(), port: peer.getRemotePort() };
    // ENet's endpoint for the peer from now on, whatever path carries it (PathMux).
    link.router()?.mux.setVirtual(remote);
    // The link's RTT as reported: the punch check's, unless ENet's is clearly better (link-peer.ts).
    const rtt = linkRttMs(link.punchRttMs(), peer.getStatistic(PeerStatistic.ROUND_TRIP_TIME));
    const local = await linkLocalEndpoint(link.ctx.config.bindAddress, link.host()?.getLocalPort() ?? 0, link.router()?.mux.active?.via === 'turn', remote, link.localCandidates());
    if (link.released() || this.handedOver || (machine.phase !== 'accepting' && machine.phase !== 'connecting')) return;
    machine.handleConnected(link.ctx.now(), local, remote, rtt, link.router()?.mux.active?.kind);
    link.drain();
  }
}
