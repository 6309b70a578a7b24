// The options of a link's punches (adapter): the direct punch on the link socket and the punch
// through the relay, paced and kept alive the same way; what differs is when each starts, the LAN
// grace and how soon a direct path is given up when a relay can take over.
import type { PunchSessionOptions, RankedCandidate } from '@meshpunch/nat/punch';
import { lanGraceMs } from '../core/lan-grace.js';
import { DIRECT_CONSENT_WITH_RELAY_MS } from '../core/relay-policy.js';
import type { LinkContext } from './link-context.js';

/** Consent keepalive on a link's chosen path, ms: a dead peer is noticed within peerTimeoutMs + this. */
const CONSENT_KEEPALIVE_MS = 500;
/**
 * Probe interval while spraying, ms. The punch sends one check per interval, highest priority
 * first, so a NATed peer's private host candidate (unreachable from another site) is probed
 * before its server-reflexive one: at RFC 8445's Ta of 50 ms that costs every link across two
 * NATs ~40 ms before the probe that opens the pinhole leaves (issue #7). A link has a handful of
 * checks (up to ~20 with port prediction), so 10 ms stays a light trickle.
 */
const PUNCH_PACE_MS = 10;
/** Spray at PUNCH_PACE_MS this long, then back off (the punch doubles the interval per period up to 500 ms): about as many probes as the defaults (50 ms for 2 s) send. */
const PUNCH_BURST_MS = 500;

/**
 * A direct punch on the link socket (the first one, or a re-probe of a relayed link).
 * @param local our candidates, passed by reference: a re-probe's refreshed ones join the list
 * @param now the link's clock (LinkContext.now)
 */
export function directPunchOptions(ctx: LinkContext, local: RankedCandidate[], remote: readonly RankedCandidate[], startAt: number, now: number): PunchSessionOptions {
  const grace = lanGraceMs(local, remote);
  return {
    role: ctx.start.role,
    pairId: ctx.start.pairId,
    secret: ctx.secret,
    // Probe as soon as both candidate sets are known rather than at the service's scheduled
    // time: the peer sent its candidates, so it is ready too, and its own probes (or ours
    // once its NAT has sent to us) open the pinholes. The schedule exists for peers that
    // cannot know that; it costs up to max(100 ms, 2 × RTT) (unknown RTT: 500 ms).
    startAt: Math.max(0, Math.floor(Math.min(startAt, now))),
    remoteCandidates: remote,
    // Ours decide which remote address classes may be probed (loopback, LAN: nat candidate-policy.ts).
    localCandidates: local,
    timeoutMs: ctx.timeouts.punchMs,
    paceMs: PUNCH_PACE_MS,
    burstMs: PUNCH_BURST_MS,
    // Behind different NATs there is no LAN path to wait for (core/lan-grace.ts).
    ...(grace === undefined ? {} : { lanGraceMs: grace }),
    // Consent freshness (RFC 7675) on the chosen path doubles as the link's liveness check:
    // ENet's own timeout fires only at retransmission times, and on the accepting side its
    // RTT estimate (hence its RTO) starts at 500 ms, so a dead peer could linger past 6 s.
    // With a relay to fall back on, a direct path is given up sooner, well inside ENet's timeout.
    keepaliveMs: CONSENT_KEEPALIVE_MS,
    consentTimeoutMs: ctx.relayOffered ? Math.min(DIRECT_CONSENT_WITH_RELAY_MS, ctx.config.peerTimeoutMs) : ctx.config.peerTimeoutMs,
  };
}

/**
 * The punch through the relay: ours (listen side) checks through the allocation, the peer's
 * (connect side) probes its relayed address.
 * @param remote the peer's relayed address on the connect side; empty on the listen side
 */
export function relayPunchOptions(ctx: LinkContext, local: RankedCandidate[], remote: readonly RankedCandidate[], now: number): PunchSessionOptions {
  return {
    role: ctx.start.role,
    pairId: ctx.start.pairId,
    secret: ctx.secret,
    // The listen side knows no peer address yet: it learns it from the first check that
    // comes through its allocation (peer-reflexive), so it waits instead of failing empty.
    startAt: Math.floor(remote.length === 0 ? now + ctx.timeouts.punchMs : now),
    remoteCandidates: remote,
    localCandidates: local,
    timeoutMs: ctx.timeouts.punchMs,
    paceMs: PUNCH_PACE_MS,
    burstMs: PUNCH_BURST_MS,
    keepaliveMs: CONSENT_KEEPALIVE_MS,
    consentTimeoutMs: ctx.config.peerTimeoutMs,
  };
}
