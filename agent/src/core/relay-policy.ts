// When a link uses the relay (core, pure; relay.md §3 "When to allocate"). Not up front: one
// allocation per link would cost a lobby N(N−1)/2 of them while lab punches succeed in 2–153 ms.
// A pair whose NAT hints rule punching out (symmetric ↔ symmetric, symmetric ↔ port-restricted)
// allocates at once; any other pair only when nothing is proven RELAY_AFTER_MS after probing
// began. Punching goes on meanwhile, and a direct path wins whenever it proves.

import type { NatHint } from '@meshpunch/protocol';
import { canHolePunch, type NatProfile } from '@meshpunch/nat/punch';
import { addressClass } from './address-class.js';

/**
 * Wait before allocating for a pair not predicted hard, ms: ten times the slowest lab punch
 * (153 ms, README matrix) so a loaded machine's late punch does not cost an allocation, and
 * short against the 5 s punch limit so the relayed link is up long before it.
 */
export const RELAY_AFTER_MS = 1500;

/**
 * Consent timeout of a direct path when the relay can take over, ms: five keepalives (500 ms)
 * unanswered. Shorter (1.6 s) moved healthy direct links to the relay on a lab machine at load
 * 29 on 2 cores (event-loop stalls); the fallback still lands well inside ENet's timeout
 * (enetTimeoutWithRelayMs), so ENet never times out on a path change.
 */
export const DIRECT_CONSENT_WITH_RELAY_MS = 2500;

/**
 * How long a link that lost its only path waits for the relay fallback to prove, ms: what is
 * left of peerTimeoutMs after the consent timeout that noticed the loss, so a peer that died
 * (rather than its path) is still dropped peerTimeoutMs after it last answered — the same as
 * without a relay — instead of at ENet's doubled limit (enetTimeoutWithRelayMs). At least 1 s:
 * an allocation, a candidate through the service and a relayed check take ~0.1 s on loopback.
 */
export function fallbackDeadlineMs(peerTimeoutMs: number, consentTimeoutMs: number): number {
  return Math.max(1000, peerTimeoutMs - consentTimeoutMs);
}

/** A relayed link probes for a direct path again this long after its last direct punch ended, ms (Tailscale's upgradeInterval is 60 s); option directReprobeMs. */
export const DIRECT_REPROBE_MS = 60_000;

/**
 * How long a link that moved from the relay to a direct path keeps its allocation, ms (relay.md
 * §3: a direct path that just appeared may fail again, and falling back to a live allocation
 * takes one consent timeout instead of an Allocate round trip); option relayReleaseMs.
 */
export const RELAY_RELEASE_MS = 30_000;

/** The NAT profile a hint stands for ('unknown' / 'none' tell nothing about hardness). */
function profileOf(h: NatHint | undefined): NatProfile {
  if (h === undefined) return {};
  return {
    ...(h.mapping === 'unknown' ? {} : { mapping: h.mapping }),
    ...(h.filtering === 'unknown' ? {} : { filtering: h.filtering }),
  };
}

/** True when both hints together rule hole punching out: the listen side allocates at once. */
export function predictedHard(ours: NatHint | undefined, theirs: NatHint | undefined): boolean {
  return !canHolePunch(profileOf(ours), profileOf(theirs));
}

/**
 * ENet's own timeout on a link that may change path, ms: twice the consent timeout. A path that
 * dies costs DIRECT_CONSENT_WITH_RELAY_MS before the relay takes over, and meanwhile ENet backs
 * its retransmissions off (RTO doubling), so its next try over the new path may come seconds
 * later; with ENet's limit at peerTimeoutMs that race lost the peer in the simulator (5 % loss,
 * 40 ms RTT). A dead peer is still dropped at peerTimeoutMs: consent on the path in use ends it.
 */
export function enetTimeoutWithRelayMs(peerTimeoutMs: number): number {
  return 2 * peerTimeoutMs;
}

/**
 * The peer addresses a link asks its relay to permit (RFC 8656 §9: permissions are IP-only),
 * from the peer's candidates: those the relay can reach — public ones, and when the relay itself
 * sits on a LAN or this machine, addresses of that class too — not asked already (`asked`).
 * A private host address permitted on a public relay is refused (403: the relay never sends into
 * a private network) and would never carry the peer's datagrams anyway: they come from its
 * NAT's public address, known from its srflx / upnp candidates, which may come later (trickle).
 */
export function relayPermissionIps(peer: readonly { readonly address: string }[], relayAddress: string, asked: ReadonlySet<string>): string[] {
  const relayClass = addressClass(relayAddress);
  const out: string[] = [];
  for (const { address } of peer) {
    const c = addressClass(address);
    if (c !== 'public' && c !== relayClass) continue;
    if (asked.has(address) || out.includes(address)) continue;
    out.push(address);
  }
  return out;
}
