// The routing layer of one link's socket (adapter; relay.md §1 demultiplexing, §3 PathMux): the
// ENet host's intercept and egress hooks. Inbound datagrams are split by *source* first:
//   1. from our TURN server → the TurnSocketClient (responses, Data indications, ChannelData);
//      unwrapped peer data re-enters as if from the peer's address (rule 3);
//   2. from the peer's relayed address (a `relay` candidate it sent) → the relay path;
//   3. anything else → the direct path (STUN to the gather/punch transport, else ENet).
// STUN on the relay path goes to its own transport, so the direct punch never learns a relayed
// address as a "direct" one. ENet datagrams from a proven path other than ENet's virtual
// endpoint are handed to ENet as if from that endpoint (PathMux.aliasOf); ENet's outgoing
// datagrams follow the mux's active route.

import type { ENetConnection } from '@meshpunch/enet';
import type { TurnSocketClient } from '@meshpunch/nat';
import { createInterceptTransport, type InterceptTransport } from '@meshpunch/nat/punch';
import { sameEndpoint, type Endpoint } from '../core/endpoint.js';
import { PathMux } from '../core/path-mux.js';
import { AgentError } from '../errors.js';

/** TURN credentials and the server to use them on (relay.credentials, host resolved). */
export interface RelayAccess {
  readonly server: Endpoint;
  readonly username: string;
  readonly password: string;
}

/** How long a Refresh(0) may take on release before the client is stopped, ms. */
const RELAY_CLOSE_WAIT_MS = 1000;

/** What the router counted. */
export interface LinkRouterCounters {
  /** Sends that failed because the host's socket was gone. */
  sendErrors: number;
  /** ChannelBind requests that failed (the peer stays on Send indications). */
  bindFailures: number;
  /** CreatePermission requests the relay refused (that address only; the others stand). */
  permissionsRefused: number;
}

/** The hooks of one link socket: direct and relay transports, the TURN client, the PathMux. */
export class LinkRouter {
  readonly mux = new PathMux();
  /** STUN of the direct path (candidate gathering and the direct punch). */
  readonly direct: InterceptTransport;
  /** STUN of the relay path (the relay punch), sent through the allocation or to the peer's relayed address. */
  readonly relay: InterceptTransport;
  readonly counters: LinkRouterCounters = { sendErrors: 0, bindFailures: 0, permissionsRefused: 0 };
  private readonly host: ENetConnection;
  private turn: TurnSocketClient | undefined = undefined;
  /** An allocation being released (Refresh 0 in flight): its answers still go to it. */
  private releasing: TurnSocketClient | undefined = undefined;
  /** Settles when that release is over: a new allocation from this socket waits for it (else 437). */
  private released: Promise<void> = Promise.resolve();
  /** The peer's relayed address (its `relay` candidate), when it allocated. */
  private peerRelay: Endpoint | undefined = undefined;
  /** Peer IPs our allocation was asked to permit (each asked once; relayPermissionIps skips them). */
  readonly permissionsAsked = new Set<string>();
  /** Peer addresses seen through our allocation (ChannelBind asked once each). */
  private readonly turnPeers = new Set<string>();
  private closed = false;
  /** An allocation made only to learn the socket's mapping (mappedByRelay), until it is released. */
  private probe: TurnSocketClient | undefined = undefined;
  private readonly directHook: (from: Endpoint, bytes: Uint8Array) => boolean;
  private allocStarted = false;

  constructor(host: ENetConnection, direct: InterceptTransport) {
    this.host = host;
    this.direct = direct;
    // Our allocation's STUN goes through it; the peer's goes as plain UDP to its relayed address.
    this.relay = createInterceptTransport((address, port, bytes) => {
      if (this.turn !== undefined) this.turn.send({ address, port }, bytes);
      else this.socketSend(address, port, bytes);
    });
    // The direct path keeps the hook the socket had (gatherLinkSocket's: STUN to `direct`).
    const prev = host.intercept;
    this.directHook = prev ?? ((from, bytes) => direct.intercept(bytes, from));
    host.intercept = (from, bytes) => this.inbound(from, bytes);
    host.egress = (to, bytes) => this.outbound(to, bytes);
  }

  /** Whether we hold an allocation (or are making one). */
  get allocating(): boolean {
    return this.allocStarted;
  }

  /** The TURN client, once `allocate` was called. */
  get turnClient(): TurnSocketClient | undefined {
    return this.turn;
  }

  /**
   * Allocates a relay on this socket and permits the peer's IPs (RFC 8656: permissions are
   * IP-only, so a symmetric peer's unknown port is covered). Resolves with the relayed address;
   * a refused permission fails that address only (`permit`); and with it the socket's mapping as
   * the relay saw it (XOR-MAPPED-ADDRESS, RFC 8656 §7.3), when the server sent one.
   * @throws NatError NAT_TURN_FAILED (the allocation was refused).
   */
  async allocate(access: RelayAccess, peerIps: readonly string[]): Promise<{ relayed: Endpoint; mapped: Endpoint | undefined }> {
    if (this.turn !== undefined || this.allocStarted) throw new AgentError('ERR_ALREADY_IN_USE', 'allocate() called twice on one link');
    this.allocStarted = true;
    // The TURN client loads only on links that relay (the punch entry stays small).
    const { TurnSocketClient } = await import('@meshpunch/nat');
    await this.released;
    if (this.closed) throw new AgentError('AGENT_CLOSED', 'the link was released while allocating');
    const turn = new TurnSocketClient((a, p, b) => this.socketSend(a, p, b), { server: access.server, username: access.username, password: access.password });
    this.turn = turn;
    turn.on('data', (payload, peer) => this.fromTurn(turn, payload, peer));
    const { relayed, mapped } = await turn.allocate();
    await this.permit(peerIps);
    return { relayed: { address: relayed.address, port: relayed.port }, mapped: mapped === undefined ? undefined : { address: mapped.address, port: mapped.port } };
  }

  /**
   * The socket's mapping as the relay sees it, from an allocation made for that alone and
   * deleted at once (Refresh 0): the connect side, which never allocates for its link, learns
   * its server-reflexive address this way when STUN gave none (core/relay-reflexive.ts). It is
   * not `turn`, so the relay punch never sends through it; a later `allocate` waits for its
   * release (else 437 from the same 5-tuple). Resolves undefined when the relay refused, sent no
   * mapping, or an allocation of the link's own is under way; never rejects.
   */
  async mappedByRelay(access: RelayAccess): Promise<Endpoint | undefined> {
    if (this.turn !== undefined || this.allocStarted || this.closed || this.probe !== undefined) return undefined;
    const { TurnSocketClient } = await import('@meshpunch/nat');
    await this.released;
    if (this.turn !== undefined || this.allocStarted || this.closed || this.probe !== undefined) return undefined;
    const probe = new TurnSocketClient((a, p, b) => this.socketSend(a, p, b), { server: access.server, username: access.username, password: access.password });
    this.probe = probe;
    try {
      const { mapped } = await probe.allocate();
      return mapped === undefined ? undefined : { address: mapped.address, port: mapped.port };
    } catch {
      return undefined;
    } finally {
      this.probe = undefined;
      this.end(probe);
    }
  }

  /**
   * Asks our allocation to permit `ips` (those not asked before), all at once. A refusal (403
   * for an address the relay will not reach, 508 past its limit) counts against that address
   * only: the peer's other addresses, and those it announces later, still get theirs.
   * Resolves with the refused ones and why; never rejects.
   */
  async permit(ips: readonly string[]): Promise<{ ip: string; detail: string }[]> {
    const turn = this.turn;
    const fresh = [...new Set(ips)].filter((ip) => !this.permissionsAsked.has(ip));
    if (turn === undefined || fresh.length === 0) return [];
    for (const ip of fresh) this.permissionsAsked.add(ip);
    const results = await Promise.allSettled(fresh.map(async (ip) => turn.createPermission(ip)));
    const refused: { ip: string; detail: string }[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      this.counters.permissionsRefused++;
      refused.push({ ip: fresh[i]!, detail: (r.reason as Error).message });
    });
    return refused;
  }

  /** The peer's `relay` candidate: datagrams from it belong to the relay path. */
  setPeerRelay(ep: Endpoint): void {
    this.peerRelay = { address: ep.address, port: ep.port };
  }

  /** Ends the allocation (Refresh 0, bounded) and unhooks the host. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.turn !== undefined) this.end(this.turn);
    // A mapping probe still allocating gives up (mappedByRelay then releases what it made).
    this.probe?.stop();
  }

  /**
   * The link no longer needs the relay (it moved to a direct path, relay.md §3): our allocation
   * is deleted (Refresh 0, bounded) and the peer's relayed address forgotten. A later
   * `allocate` starts afresh (after the release is over). Returns whether an allocation ended.
   */
  releaseRelay(): boolean {
    const turn = this.turn;
    this.turn = undefined;
    this.allocStarted = false;
    this.turnPeers.clear();
    this.permissionsAsked.clear();
    this.peerRelay = undefined;
    if (turn === undefined) return false;
    this.end(turn);
    return true;
  }

  /** Refresh 0 on `turn`, then stops it; its answers keep reaching it meanwhile (bounded wait). */
  private end(turn: TurnSocketClient): void {
    this.releasing = turn;
    this.released = new Promise<void>((resolve) => {
      const stop = setTimeout(() => turn.stop(), RELAY_CLOSE_WAIT_MS);
      stop.unref();
      turn.close().catch(() => undefined).finally(() => {
        clearTimeout(stop);
        turn.stop();
        if (this.releasing === turn) this.releasing = undefined;
        resolve();
      });
    });
  }

  /** Unhooks the host (it is destroyed by its owner). */
  detach(): void {
    this.host.intercept = null;
    this.host.egress = null;
  }

  private inbound(from: Endpoint, bytes: Uint8Array): boolean {
    if (this.turn !== undefined && this.turn.intercept(bytes, from)) return true;
    if (this.releasing !== undefined && this.releasing.intercept(bytes, from)) return true;
    if (this.probe !== undefined && this.probe.intercept(bytes, from)) return true;
    const pr = this.peerRelay;
    // The relay server's address on another port is an allocation's relayed address too (the
    // peer's checks through its allocation came from one we were never told of): relay traffic,
    // never a direct path. Handed to the direct punch, it was learned as a peer-reflexive
    // "direct" path — this side said it went direct while its datagrams crossed the relay, and
    // the peer, which saw no direct check, stayed relayed (natlab relay upgrade: 1 run in 4).
    if (pr !== undefined && pr.address === from.address) {
      if (this.relay.intercept(bytes, from)) return true;
    } else if (this.directHook(from, bytes)) {
      return true;
    }
    const alias = this.mux.aliasOf(from);
    if (alias === undefined) return false;
    this.host.deliver(alias, bytes);
    return true;
  }

  /**
   * Peer data unwrapped from an allocation of ours (rule 3): STUN to the relay punch, else ENet.
   * `from` is the client that unwrapped it: one being released still delivers what was in flight.
   */
  private fromTurn(from: TurnSocketClient, payload: Uint8Array, peer: Endpoint): void {
    const key = `${peer.address}:${peer.port}`;
    if (from === this.turn && !this.closed && !this.turnPeers.has(key) && this.turnPeers.size < 64) {
      this.turnPeers.add(key);
      // A symmetric peer's port is known only now (relay.md §1): bind it for 4-byte framing.
      // bindChannel throws synchronously (ERR_UNCONFIGURED) when the allocation is not
      // 'allocated' (lost, refreshing to 0): thrown out of the host's intercept hook it lost
      // the datagram being delivered (ENet's interceptErrors), so it is counted like a refused bind.
      try {
        from.bindChannel(peer).catch(() => this.counters.bindFailures++);
      } catch {
        this.counters.bindFailures++;
      }
    }
    const bytes = payload.slice();
    if (this.relay.intercept(bytes, peer)) return;
    this.host.deliver(this.mux.aliasOf(peer) ?? peer, bytes);
  }

  private outbound(to: Endpoint, bytes: Uint8Array): boolean {
    const r = this.mux.route(to);
    if (r === undefined) return false;
    if (r.via === 'turn') return this.turn?.send(r.to, bytes) ?? false;
    if (sameEndpoint(r.to, to)) return false;
    this.socketSend(r.to.address, r.to.port, bytes);
    return true;
  }

  private socketSend(address: string, port: number, bytes: Uint8Array): void {
    try {
      this.host.socketSend(address, port, bytes);
    } catch {
      // The host was destroyed under us (the link ended): nothing to send on.
      this.counters.sendErrors++;
    }
  }
}
