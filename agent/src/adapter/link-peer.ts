// The ENet peer of a link as the mesh is told about it (adapter): its timeout, the RTT reported for
// the link, and the endpoints of the path (ours on the path used; whether the remote runs here).
import { networkInterfaces } from 'node:os';
import type { ENetPacketPeer } from '@meshpunch/enet';
import type { RankedCandidate } from '@meshpunch/nat/punch';
import type { Endpoint } from '../core/endpoint.js';
import { enetTimeoutWithRelayMs } from '../core/relay-policy.js';
import { sourceAddressToward } from './route-source.js';

/**
 * ENet peer timeout on a link: limit 32 (ENet's default back-off multiple), minimum 1000 ms, and
 * the session's maximum, so a silent peer is dropped within peerTimeoutMs plus one ping interval.
 */
const PEER_TIMEOUT_LIMIT = 32;
const PEER_TIMEOUT_MIN_MS = 1000;

/**
 * ENet's timeout on the peer: with a relay to fall back on, enetTimeoutWithRelayMs whatever
 * the RTO (a lab RTT of 0.1 ms would otherwise reach the retransmission limit in ~1 s, before
 * the path change can land; consent on the path in use still drops a dead peer at
 * peerTimeoutMs); without one, as before.
 */
export function setLinkPeerTimeout(peer: ENetPacketPeer, peerTimeoutMs: number, relayOffered: boolean): void {
  if (relayOffered) {
    const t = enetTimeoutWithRelayMs(peerTimeoutMs);
    peer.setTimeout(PEER_TIMEOUT_LIMIT, t, t);
  } else {
    peer.setTimeout(PEER_TIMEOUT_LIMIT, PEER_TIMEOUT_MIN_MS, peerTimeoutMs);
  }
}

/**
 * The link's RTT: the punch check that proved the path, between the same two sockets, timed
 * to 0.1 ms. ENet's estimate is whole ms, and on the accepting side it starts at 500 ms and
 * converges by 1/8 per sample (libenet's smoothing); it wins only when the check's answer
 * was clearly late (over ENet's by more than its 1 ms resolution), or when no check was timed.
 */
export function linkRttMs(punchRttMs: number | undefined, enetRttMs: number): number {
  return punchRttMs === undefined || punchRttMs > enetRttMs + 1 ? enetRttMs : punchRttMs;
}

/** True when `address` belongs to one of this machine's interfaces (the remote peer runs here). */
export function isOwnAddress(address: string): boolean {
  const bare = address.split('%')[0]!.toLowerCase();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.address.toLowerCase() === bare) return true;
  return false;
}

/** True for the any-address binds (0.0.0.0, ::): the kernel picks the source per destination. */
function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/**
 * The link socket's own endpoint on the path used: its bound address, or for a wildcard bind
 * the kernel's source address toward `remote`, the endpoint ENet talks to (not the first host
 * candidate, which may belong to another interface, nor the first path the punch proved: ENet
 * may have connected over another one, and the report said `local 192.0.2.2` toward
 * `remote 127.0.0.1`); the first host candidate only when there is no route.
 * @param port the link socket's local port
 * @param viaTurn the path in use goes through our TURN allocation
 */
export async function linkLocalEndpoint(bindAddress: string, port: number, viaTurn: boolean, remote: Endpoint, local: readonly RankedCandidate[]): Promise<Endpoint> {
  if (!isWildcard(bindAddress)) return { address: bindAddress, port };
  // A relayed link's socket talks to the relay server, not to `remote`: as before, the host candidate.
  const routed = viaTurn ? undefined : await sourceAddressToward(remote.address, remote.port);
  if (routed !== undefined) return { address: routed, port };
  const host = local.find((c) => c.kind === 'host');
  return { address: host?.address ?? bindAddress, port };
}
