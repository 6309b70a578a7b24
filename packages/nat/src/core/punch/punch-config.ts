// Options, defaults and validation of the punch state machine (core, no I/O).
import { NatError } from '../../errors.js';
import type { Candidate, RankedCandidate } from '../candidates.js';
import type { NatProfile } from '../nat-behavior.js';
import type { HmacSha1 } from '../stun/integrity.js';

/** Who calls `connectToHost` after the punch (docs/design.md flow step 2; 'connect' is ICE-controlling). */
export type PunchRole = 'connect' | 'listen';

/** User input of the punch machine (docs/design.md §3: all optional except what has no default). */
export interface PunchOptions {
  role: PunchRole;
  /** The pair id from signaling, for the caller's records (≤ 128 chars of [A-Za-z0-9._-]). USERNAMEs are derived from the secret, not from it. */
  pairId: string;
  /** The pair secret from signaling: MESSAGE-INTEGRITY key of every probe and answer (≥ 16 bytes). */
  secret: Uint8Array | string;
  /** When to start probing (ms, the caller's clock). A valid probe from the peer starts it earlier. */
  startAt: number;
  /**
   * The peer's candidates. Malformed ones are refused by `validateCandidate` before they get here;
   * the machine refuses those of a class we must never probe (candidate-policy.ts) and counts them.
   */
  remoteCandidates: readonly RankedCandidate[];
  /**
   * Our own candidates on this socket. A remote candidate equal to one of them is skipped (probing
   * ourselves proves nothing), and they decide which remote address classes we may probe: a
   * loopback remote only when one of ours is loopback, a private or link-local one only when we
   * have such an address too (candidate-policy.ts). Without them, only public addresses are probed.
   */
  localCandidates?: readonly Candidate[];
  /** Fills a buffer with random bytes (transaction ids). */
  random: (out: Uint8Array) => void;
  hmacSha1: HmacSha1;
  /** What discovery found about our NAT and the peer's; only used to type a failure. */
  localNat?: NatProfile;
  remoteNat?: NatProfile;
  /** Interval between probes while spraying, ms (RFC 8445 §14.2 Ta: 50 default, ≥ 5). */
  paceMs?: number;
  /** Spray at `paceMs` this long, then double the interval per period up to `maxPaceMs` (default 2000). */
  burstMs?: number;
  /** Slowest probe interval after back-off, ms (default 500). */
  maxPaceMs?: number;
  /** Give up this long after the start without a proven path, ms (default 10 000). */
  timeoutMs?: number;
  /** After the first non-LAN path is proven, wait this long for a LAN path before selecting, ms (default 150). */
  lanGraceMs?: number;
  /** Consent/keepalive interval on the selected path, ms (default 2500: well under Linux conntrack's 30 s). */
  keepaliveMs?: number;
  /** Declare the path lost after this long without an answer, ms (RFC 7675 §5.1: 30 000). */
  consentTimeoutMs?: number;
  /**
   * Answers per second to authenticated probes from one source (token bucket rate, default 200).
   * Only probes whose MESSAGE-INTEGRITY verified are charged (issue 13 item 6).
   */
  maxAnswersPerSecond?: number;
  /** Token bucket size of the answer limit (default 40). */
  answerBurst?: number;
  /**
   * HMAC checks per second for probes with our USERNAME from one source that has not authenticated
   * yet (default 20); the rest are dropped and counted before their MESSAGE-INTEGRITY is computed.
   */
  maxUnauthenticatedPerSecond?: number;
  /** Token bucket size of that per-source limit (default 20: the peer's first probes always pass). */
  unauthenticatedBurst?: number;
  /** The same over all unauthenticated sources together (default 400), so spoofed sources cannot multiply it. */
  maxUnauthenticatedTotalPerSecond?: number;
  /** Cap on checks (remote + peer-reflexive + predicted), default 32. */
  maxChecks?: number;
  /**
   * Cap on candidates accepted from the peer (default 16: what the signaling service relays per
   * side of a pair, protocol MAX_CANDIDATES_PER_PAIR); more are refused as `too-many`.
   */
  maxRemoteCandidates?: number;
  /**
   * When the peer's NAT maps endpoint-dependently and allocates ports sequentially (from its
   * discovery report), also probe this many ports above each of its srflx candidates: its mapping
   * towards us is a few allocations after the one STUN saw (RakNet tries ±2; the goal table of
   * nat-traversal.md §5 asks for ±16). Default 16; 0 turns prediction off.
   */
  portPrediction?: number;
}

/** Validated, frozen configuration. */
export interface PunchConfig {
  readonly role: PunchRole;
  readonly pairId: string;
  readonly key: Uint8Array;
  readonly startAt: number;
  readonly remoteCandidates: readonly RankedCandidate[];
  readonly localCandidates: readonly Candidate[];
  readonly random: (out: Uint8Array) => void;
  readonly hmacSha1: HmacSha1;
  readonly localNat: NatProfile;
  readonly remoteNat: NatProfile;
  readonly paceMs: number;
  readonly burstMs: number;
  readonly maxPaceMs: number;
  readonly timeoutMs: number;
  readonly lanGraceMs: number;
  readonly keepaliveMs: number;
  readonly consentTimeoutMs: number;
  readonly maxAnswersPerSecond: number;
  readonly answerBurst: number;
  readonly maxUnauthenticatedPerSecond: number;
  readonly unauthenticatedBurst: number;
  readonly maxUnauthenticatedTotalPerSecond: number;
  readonly maxChecks: number;
  readonly maxRemoteCandidates: number;
  readonly portPrediction: number;
}

function int(name: string, value: number, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new NatError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${String(value)}`, { got: value });
  }
  return value;
}

const PAIR_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Validates punch options once and fills defaults.
 * @throws NatError ERR_INVALID_PARAMETER with one sentence naming the first bad option.
 */
export function resolvePunchOptions(options: PunchOptions): PunchConfig {
  if (options.role !== 'connect' && options.role !== 'listen') {
    throw new NatError('ERR_INVALID_PARAMETER', `role must be 'connect' or 'listen', got ${JSON.stringify(options.role)}`);
  }
  if (typeof options.pairId !== 'string' || !PAIR_ID.test(options.pairId)) {
    throw new NatError('ERR_INVALID_PARAMETER', `pairId must be 1..128 characters of [A-Za-z0-9._-], got ${JSON.stringify(options.pairId)}`);
  }
  const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (!(key instanceof Uint8Array) || key.length < 16) {
    throw new NatError('ERR_INVALID_PARAMETER', `secret must be at least 16 bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
  }
  if (typeof options.random !== 'function') throw new NatError('ERR_INVALID_PARAMETER', 'random must be a function');
  if (typeof options.hmacSha1 !== 'function') throw new NatError('ERR_INVALID_PARAMETER', 'hmacSha1 must be a function');
  if (!Array.isArray(options.remoteCandidates)) throw new NatError('ERR_INVALID_PARAMETER', 'remoteCandidates must be an array');
  const paceMs = int('paceMs', options.paceMs ?? 50, 5, 10_000);
  return Object.freeze({
    role: options.role,
    pairId: options.pairId,
    key: key.slice(),
    startAt: int('startAt', options.startAt, 0, Number.MAX_SAFE_INTEGER),
    remoteCandidates: options.remoteCandidates.slice(),
    localCandidates: (options.localCandidates ?? []).slice(),
    random: options.random,
    hmacSha1: options.hmacSha1,
    localNat: options.localNat ?? {},
    remoteNat: options.remoteNat ?? {},
    paceMs,
    burstMs: int('burstMs', options.burstMs ?? 2000, 0, 600_000),
    maxPaceMs: int('maxPaceMs', options.maxPaceMs ?? 500, paceMs, 60_000),
    timeoutMs: int('timeoutMs', options.timeoutMs ?? 10_000, 1, 3_600_000),
    lanGraceMs: int('lanGraceMs', options.lanGraceMs ?? 150, 0, 60_000),
    keepaliveMs: int('keepaliveMs', options.keepaliveMs ?? 2500, 10, 600_000),
    consentTimeoutMs: int('consentTimeoutMs', options.consentTimeoutMs ?? 30_000, 100, 3_600_000),
    maxAnswersPerSecond: int('maxAnswersPerSecond', options.maxAnswersPerSecond ?? 200, 1, 1_000_000),
    answerBurst: int('answerBurst', options.answerBurst ?? 40, 1, 1_000_000),
    maxUnauthenticatedPerSecond: int('maxUnauthenticatedPerSecond', options.maxUnauthenticatedPerSecond ?? 20, 1, 1_000_000),
    unauthenticatedBurst: int('unauthenticatedBurst', options.unauthenticatedBurst ?? 20, 1, 1_000_000),
    maxUnauthenticatedTotalPerSecond: int('maxUnauthenticatedTotalPerSecond', options.maxUnauthenticatedTotalPerSecond ?? 400, 1, 1_000_000),
    maxChecks: int('maxChecks', options.maxChecks ?? 32, 1, 1024),
    maxRemoteCandidates: int('maxRemoteCandidates', options.maxRemoteCandidates ?? 16, 1, 1024),
    portPrediction: int('portPrediction', options.portPrediction ?? 16, 0, 64),
  });
}
