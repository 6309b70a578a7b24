// A link's socket with its candidates (adapter): a fresh ENet host on its own UDP port, the
// intercept transport that STUN answers and punch probes share with ENet on that socket
// (docs/design.md rule 2), and the candidates gathered from it (LAN addresses, STUN-reflexive through
// the same socket, a UPnP mapping of it). LinkRunner gathers one when a pair starts; the
// SocketPool (socket-pool.ts) gathers some before the pairs exist.

import { ENetConnection } from '@meshpunch/enet';
import { candidatePriority, createInterceptTransport, gatherCandidates, validateCandidate, type InterceptTransport, type RankedCandidate } from '@meshpunch/nat/punch';
import type { DatagramTransport } from '@meshpunch/nat';
import type { Endpoint } from '../core/endpoint.js';
import type { LinkFailureReason } from '../core/link-machine.js';
import { reflexiveFromRelay } from '../core/relay-reflexive.js';
import { AgentError } from '../errors.js';
import type { LinkRouter, RelayAccess } from './link-router.js';
import { trace } from './trace.js';

/** Gathering's STUN schedule: RTO 200 ms, 3 requests (gives up after 200+400+800 ms). */
const GATHER_STUN_RTO_MS = 200;
const GATHER_STUN_REQUESTS = 3;
/** A mapping refresh's STUN schedule: RTO 200 ms, 2 requests (a lost answer costs one re-probe interval). */
const REFRESH_STUN_RTO_MS = 200;
const REFRESH_STUN_REQUESTS = 2;
/** A bound link socket and its candidates; `host` is the caller's to destroy. */
export interface LinkSocket {
  readonly host: ENetConnection;
  readonly transport: InterceptTransport;
  readonly candidates: readonly RankedCandidate[];
  /**
   * Whether any STUN server answered while gathering (its mapping may equal a host address: no
   * NAT, so no srflx candidate): without an answer the link may ask its relay (relayReflexive).
   */
  readonly stunAnswered: boolean;
  /**
   * The UPnP candidate, when a mapping was asked (`mapPort`): settles when the router answered
   * (undefined when it refused, or no gateway), never rejects. Gathering does not wait for it —
   * the link sends its other candidates at once and this one after them (trickle, protocol
   * `pair.candidates`): waited for inside the 3000 ms gathering deadline, a router or a CPU slow
   * to map (miniupnpd at load 10–25: 2.5 s and more) cost the link (gather-failed, or the peer's
   * exchange-timeout) — natlab full mesh with u1, 2 runs in 4.
   */
  readonly upnp?: Promise<RankedCandidate | undefined>;
}

/**
 * Why gathering a link socket failed: the link's failure reason and a one-sentence detail; code
 * ERR_CANT_CREATE (bind-failed) or AGENT_GATHER_FAILED (gather-failed).
 */
export class LinkSocketError extends AgentError {
  override readonly name = 'LinkSocketError';
  readonly reason: Extract<LinkFailureReason, 'bind-failed' | 'gather-failed'>;
  constructor(reason: 'bind-failed' | 'gather-failed', message: string) {
    super(reason === 'bind-failed' ? 'ERR_CANT_CREATE' : 'AGENT_GATHER_FAILED', message, { reason });
    this.reason = reason;
  }
}

/** What gathering needs. */
export interface LinkSocketOptions {
  /** Local address to bind (0.0.0.0, ::, or one address). */
  readonly bindAddress: string;
  /** STUN servers to ask from the socket (resolved addresses). */
  readonly stunServers: readonly Endpoint[];
  /** Maps the bound port on the router (UPnP) and gives the public endpoint, or undefined. */
  readonly mapPort?: (port: number) => Promise<Endpoint | undefined>;
  /** Called with the host as soon as it is bound, so a caller that gives up can destroy it. */
  readonly onBound?: (host: ENetConnection) => void;
}

/** The family of a link socket's candidates: IPv6 only when bound to one IPv6 address (`::` stays IPv4). */
export function linkSocketFamily(bindAddress: string): 4 | 6 {
  return bindAddress.includes(':') && bindAddress !== '::' ? 6 : 4;
}

/**
 * Asks `stunServers` (those of `family`) for the link socket's mapping again, through the
 * socket's own transport: the server-reflexive candidates not in `known`, at most `max`. A
 * server that does not answer adds nothing; never rejects.
 */
export async function refreshReflexive(transport: DatagramTransport, stunServers: readonly Endpoint[], family: 4 | 6, known: readonly RankedCandidate[], max: number): Promise<RankedCandidate[]> {
  const { stunBinding } = await import('@meshpunch/nat');
  const fresh: RankedCandidate[] = [];
  for (const server of stunServers) {
    if (fresh.length >= max) break;
    if ((server.address.includes(':') ? 6 : 4) !== family) continue;
    const mapped = await stunBinding(transport, server, { rtoMs: REFRESH_STUN_RTO_MS, requestCount: REFRESH_STUN_REQUESTS }).then((r) => r.mapped, () => undefined);
    if (mapped === undefined || [...known, ...fresh].some((c) => c.address === mapped.address && c.port === mapped.port)) continue;
    const v = validateCandidate({ kind: 'srflx', family, address: mapped.address, port: mapped.port, priority: candidatePriority('srflx') });
    if (v.ok) fresh.push(v.candidate);
  }
  return fresh;
}

/**
 * The link socket's server-reflexive address as its relay sees it (LinkRouter.mappedByRelay: an
 * Allocate's XOR-MAPPED-ADDRESS, the allocation deleted at once), when it is none of `local()`
 * (read after the answer, so a srflx STUN gave meanwhile is not sent twice); at most one. For a
 * link whose STUN never answered (issue 11). Never rejects.
 */
export async function relayReflexive(router: LinkRouter, access: () => Promise<RelayAccess | undefined>, local: () => readonly RankedCandidate[]): Promise<RankedCandidate[]> {
  const a = await access().catch(() => undefined);
  if (a === undefined) return [];
  const mapped = await router.mappedByRelay(a);
  trace(`relay mapping ${mapped === undefined ? 'none' : `${mapped.address}:${mapped.port}`}`);
  const c = reflexiveFromRelay(local(), mapped);
  return c === undefined ? [] : [c];
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/**
 * Binds a fresh ENet host (one peer: add_mesh_peer wants exactly one, godot-enet.md §2.9) and
 * gathers its candidates.
 * @throws LinkSocketError bind-failed when no socket could be bound (nothing to clean up);
 *   gather-failed when no candidate could be gathered (the host is destroyed).
 */
export async function gatherLinkSocket(o: LinkSocketOptions): Promise<LinkSocket> {
  const host = new ENetConnection();
  // No CONNECT is taken until a link runner knows whom to accept (LinkRunner.guardHost): a pooled
  // socket waits for its pair, and a stranger's CONNECT must not take its one slot meanwhile.
  host.acceptFrom(() => false);
  try {
    await host.createHostBound(o.bindAddress, 0, 1, 0, 0, 0);
  } catch (err) {
    throw new LinkSocketError('bind-failed', (err as Error).message);
  }
  o.onBound?.(host);
  // A STUN transaction or punch check still retransmitting from a timer when its link was
  // released finds the host destroyed, and socketSend throws there (ERR_UNCONFIGURED): the
  // datagram is dropped instead of the exception ending the process (seen in bench:mesh when
  // a 32-agent session closed while links were still gathering).
  const transport = createInterceptTransport((address, port, bytes) => {
    try {
      host.socketSend(address, port, bytes);
    } catch {
      // The host is gone (or the address is of a family it cannot reach): nothing to send from.
    }
  });
  host.intercept = (from, bytes) => transport.intercept(bytes, from);
  const port = host.getLocalPort();
  const bind = o.bindAddress;
  // A socket bound to one IPv6 address (::1 included) has IPv6 candidates and asks IPv6 STUN
  // servers only; it cannot send to IPv4 ones (issue #12 item 9: --bind ::1 ended in
  // gather-failed with IPv4 host candidates filtered out). 0.0.0.0 and :: stay IPv4.
  const family = linkSocketFamily(bind);
  try {
    // Asked while STUN runs; never awaited here (LinkSocket.upnp).
    const upnp = o.mapPort === undefined ? undefined : o.mapPort(port).then(upnpCandidate, () => undefined);
    const r = await gatherCandidates(transport.transport, {
      port,
      stunServers: o.stunServers.filter((s) => (s.address.includes(':') ? 6 : 4) === family).map((s) => ({ address: s.address, port: s.port })),
      family,
      families: [family],
      includeLoopback: isLoopback(bind),
      ...(bind === '0.0.0.0' || bind === '::' ? {} : { bindAddress: bind }),
      rtoMs: GATHER_STUN_RTO_MS,
      requestCount: GATHER_STUN_REQUESTS,
    });
    return { host, transport, candidates: r.candidates, stunAnswered: r.reflexive.length > 0, ...(upnp === undefined ? {} : { upnp }) };
  } catch (err) {
    host.intercept = null;
    host.destroy();
    throw new LinkSocketError('gather-failed', (err as Error).message);
  }
}

/** A mapping's public endpoint as a `upnp` candidate; undefined for none, or one that does not validate. */
function upnpCandidate(ep: Endpoint | undefined): RankedCandidate | undefined {
  if (ep === undefined) return undefined;
  const v = validateCandidate({ kind: 'upnp', family: ep.address.includes(':') ? 6 : 4, address: ep.address, port: ep.port, priority: candidatePriority('upnp') });
  return v.ok ? v.candidate : undefined;
}
