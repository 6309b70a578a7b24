// The punch (connectivity-check) state machine for one pair's socket — core, sans-IO.
// Probes are STUN Binding requests with short-term credentials (RFC 8445 §7.2.2: USERNAME +
// MESSAGE-INTEGRITY keyed by the pair secret, FINGERPRINT), sprayed at every remote candidate.
//
// States:  waiting --startAt or a valid probe--> probing --first proven path (+LAN grace)--> selected
//          probing --timeoutMs without a proven path--> failed(reason)
//          selected --no answer for consentTimeoutMs--> failed('consent-lost')
//          any --stop()--> stopped (or failed('stopped') when nothing was selected)
// A path is proven when a response to our request comes back from the address we sent it to
// (RFC 8445 §7.2.5.2.1). A valid request from an address no candidate named is learned as a
// peer-reflexive check (§7.3.1.3) and answered; that is what makes a symmetric-NAT peer reachable.
// A request is handled in this order, cheapest first (issue 13 item 6): USERNAME (derived from the
// pair secret, so it cannot be guessed), then — for a source that never authenticated — a small
// per-source limit before the HMAC, then MESSAGE-INTEGRITY, and only then the answer rate limit of
// that source's check: forged probes never use up the budget the real peer's keepalives need.
import { pathKindOf, candidatePriority, type CandidateKind, type PathKind, type RankedCandidate } from '../candidates.js';
import { remoteCandidateRejection, sourceRejection, type RejectedCandidate } from '../candidate-policy.js';
import { unmappedIp } from '@meshpunch/base';
import { PortAllocation, canHolePunch, isEndpointDependentMapping } from '../nat-behavior.js';
import { StunAttr, StunClass, StunMethod, TRANSACTION_ID_LENGTH } from '../stun/constants.js';
import { getUint32Attribute, getUsername, getXorMappedAddress, type StunAddress } from '../stun/attributes.js';
import { verifyMessageIntegrity, verifyFingerprint } from '../stun/integrity.js';
import { decodeStunMessage, findAttribute, isStunMessage, sameTransactionId, type StunMessage } from '../stun/message.js';
import { StunWriter } from '../stun/writer.js';
import { resolvePunchOptions, type PunchConfig, type PunchOptions, type PunchRole } from './punch-config.js';
import { SourceLimiter } from './source-limiter.js';
import { TokenBucket } from '@meshpunch/base';

/** Where the machine is (see the transition list at the top of this file). */
export type PunchState = 'waiting' | 'probing' | 'selected' | 'failed' | 'stopped';

/** Why a punch ended without a usable path. */
export type PunchFailureReason =
  /** No remote candidate was given and none was learned. */
  | 'no-candidates'
  /** Both sides map endpoint-dependently (symmetric ↔ symmetric): needs a relay. */
  | 'symmetric-both-sides'
  /** One side maps endpoint-dependently and the other filters by address and port: needs a relay. */
  | 'incompatible-nat'
  /** The peer's probes arrived but no answer to ours did. */
  | 'one-way'
  /** Nothing proven within timeoutMs, for no reason known in advance. */
  | 'timeout'
  /** The selected path stopped answering for consentTimeoutMs (RFC 7675). */
  | 'consent-lost'
  /** The caller stopped the machine before a path was selected. */
  | 'stopped';

/** The path chosen: where `connectToHost` should go, and what kind of path it is. */
export interface PunchPath {
  readonly address: string;
  readonly port: number;
  readonly path: PathKind;
  readonly candidateKind: CandidateKind;
  /** Round trip of the proving check, ms. */
  readonly rttMs: number;
  /** When it was proven (caller's clock, ms). */
  readonly provenAt: number;
  /** Our own socket as the peer saw it (XOR-MAPPED-ADDRESS of the proving answer). */
  readonly localReflexive: StunAddress | undefined;
}

/** One check's history (times on the caller's clock, ms; undefined = never). */
export interface PunchCheckTimeline {
  readonly address: string;
  readonly port: number;
  readonly kind: CandidateKind;
  readonly priority: number;
  readonly path: PathKind;
  readonly requestsSent: number;
  readonly firstSentAt: number | undefined;
  readonly lastSentAt: number | undefined;
  readonly requestsReceived: number;
  readonly firstReceivedAt: number | undefined;
  readonly provenAt: number | undefined;
  readonly rttMs: number | undefined;
}

/** What the machine reports through `pollEvent()`. */
export type PunchEvent =
  | { readonly type: 'selected'; readonly at: number; readonly selected: PunchPath }
  /** Listen side: the connect side nominated this path (USE-CANDIDATE); keepalives now go there. */
  | { readonly type: 'nominated'; readonly at: number; readonly selected: PunchPath }
  | { readonly type: 'peerReflexive'; readonly at: number; readonly address: string; readonly port: number }
  | { readonly type: 'failed'; readonly at: number; readonly reason: PunchFailureReason };

/** What the machine counted (docs/design.md §5.8). */
export interface PunchCounters {
  requestsSent: number;
  responsesSent: number;
  validRequests: number;
  validResponses: number;
  /** Probes and answers whose MESSAGE-INTEGRITY did not verify under the pair secret. */
  badIntegrity: number;
  /** Requests for another USERNAME (another pair, a stray client, or a guess). */
  unknownUsername: number;
  /** Requests with our USERNAME from a source that never authenticated, dropped by its limit before the HMAC. */
  unauthenticatedLimited: number;
  /** Authenticated requests dropped by their source's answer rate limit. */
  rateLimited: number;
  /** Responses from an address other than the one the request went to (RFC 8445 §7.2.5.2.1). */
  asymmetricResponses: number;
  /** Responses to no outstanding transaction (late, duplicate, forged). */
  unmatchedResponses: number;
  /** Datagrams that were not STUN, failed to decode, or carried a wrong FINGERPRINT. */
  malformed: number;
  peerReflexiveLearned: number;
  /** Peer-reflexive addresses refused because maxChecks was reached. */
  checksFull: number;
  /** Candidates from the peer refused by the address-class rule or the per-pair cap (see rejectedCandidates()). */
  candidatesRejected: number;
  /** Requests from a source that is never a peer's address (multicast, broadcast, unspecified, reserved). */
  badSources: number;
  /** Sends dropped because the transmit queue was full. */
  queueFull: number;
}

interface Check {
  address: string;
  port: number;
  kind: CandidateKind;
  priority: number;
  path: PathKind;
  requestsSent: number;
  firstSentAt: number | undefined;
  lastSentAt: number | undefined;
  requestsReceived: number;
  firstReceivedAt: number | undefined;
  provenAt: number | undefined;
  rttMs: number | undefined;
  localReflexive: StunAddress | undefined;
  nominated: boolean;
  lastAnswerAt: number;
  /** Requests sent to this check since its last answer (or since it was selected). */
  sentSinceAnswer: number;
  /** A request or response from this address verified under the pair secret. */
  authenticated: boolean;
  /** Answers to this source's authenticated requests. */
  answers: TokenBucket;
}

interface Outstanding {
  txid: Uint8Array;
  check: number;
  sentAt: number;
}

interface PendingSend {
  isResponse: boolean;
  check: number;
  address: string;
  port: number;
  txid: Uint8Array;
  useCandidate: boolean;
}

/** Outstanding transactions remembered (oldest forgotten first): 10 s of 50 ms pacing = 200; 64 covers 3 s. */
const MAX_OUTSTANDING = 64;
/** Queued sends; the machine queues at most a few per input, so 128 means a caller that never drains. */
const MAX_QUEUED = 128;
/** Queued events, likewise. */
const MAX_EVENTS = 64;
/** Refused candidates remembered for the timeline (the counter counts all): more than a pair may send. */
const MAX_REJECTED = 32;
/**
 * Unauthenticated sources remembered by the per-source limit: a real peer has a handful of
 * addresses, and forgetting one only gives it a fresh bucket (the total limit still holds).
 */
const UNAUTHENTICATED_SOURCES = 16;
/** USERNAME fragment length in hex digits: 64 bits of the secret-keyed HMAC, not guessable in any number of tries. */
const UFRAG_HEX_DIGITS = 16;

/**
 * The ICE username fragment of one role (RFC 8445 §5.3 ufrag): the first 64 bits of
 * HMAC-SHA1(pair secret, "meshpunch ufrag <role>"), in hex. Both sides derive both fragments from
 * the secret signaling gave them, so nothing more is exchanged, and without the secret a USERNAME
 * cannot be guessed (pair ids, counted from 1, can).
 */
function ufrag(config: PunchConfig, role: PunchRole): string {
  const mac = config.hmacSha1(config.key, [new TextEncoder().encode(`meshpunch ufrag ${role}`)]);
  let hex = '';
  for (let i = 0; i < UFRAG_HEX_DIGITS / 2; i++) hex += mac[i]!.toString(16).padStart(2, '0');
  return hex;
}

/** Strips an IPv4-mapped IPv6 prefix so a dual-stack socket's sender matches IPv4 candidates. */
function canonical(address: string): string {
  return unmappedIp(address) ?? address;
}

/** The punch state machine (docs/design.md §2 contract). */
export class PunchMachine {
  readonly config: PunchConfig;
  readonly counters: PunchCounters = {
    requestsSent: 0, responsesSent: 0, validRequests: 0, validResponses: 0, badIntegrity: 0, unknownUsername: 0,
    unauthenticatedLimited: 0, rateLimited: 0, asymmetricResponses: 0, unmatchedResponses: 0, malformed: 0, peerReflexiveLearned: 0,
    checksFull: 0, candidatesRejected: 0, badSources: 0, queueFull: 0,
  };
  #state: PunchState = 'waiting';
  #checks: Check[] = [];
  /** Check indexes by priority, highest first. */
  #order: number[] = [];
  #rr = 0;
  #outstanding: Outstanding[] = [];
  #queue: PendingSend[] = [];
  #events: PunchEvent[] = [];
  #rejected: RejectedCandidate[] = [];
  /** Remote candidates accepted from the peer (not predicted, not learned). */
  #remoteAccepted = 0;
  /** Answers to authenticated sources that have no check (maxChecks reached). */
  #overflowAnswers: TokenBucket;
  #unauthenticated: SourceLimiter;
  #startedAt: number | undefined = undefined;
  #nextProbeAt = 0;
  #graceUntil: number | undefined = undefined;
  #selected: number | undefined = undefined;
  #selectedPath: PunchPath | undefined = undefined;
  #nextKeepaliveAt = 0;
  #failure: PunchFailureReason | undefined = undefined;
  #writer: StunWriter | undefined = undefined;
  readonly #inUsername: string;
  readonly #outUsername: string;
  readonly #remoteRole: PunchRole;

  /** @throws NatError ERR_INVALID_PARAMETER for bad options (see resolvePunchOptions). */
  constructor(options: PunchOptions) {
    this.config = resolvePunchOptions(options);
    this.#remoteRole = this.config.role === 'connect' ? 'listen' : 'connect';
    // ICE-style "receiver:sender" USERNAME (RFC 8445 §7.2.2) of fragments derived from the secret.
    const own = ufrag(this.config, this.config.role);
    const remote = ufrag(this.config, this.#remoteRole);
    this.#inUsername = `${own}:${remote}`;
    this.#outUsername = `${remote}:${own}`;
    const c = this.config;
    this.#overflowAnswers = new TokenBucket(c.answerBurst, c.startAt);
    // The total bucket holds 200 ms of its rate: a burst of new sources cannot take more.
    this.#unauthenticated = new SourceLimiter(UNAUTHENTICATED_SOURCES, c.maxUnauthenticatedPerSecond, c.unauthenticatedBurst,
      c.maxUnauthenticatedTotalPerSecond, Math.max(1, Math.ceil(c.maxUnauthenticatedTotalPerSecond / 5)), c.startAt);
    for (const c of this.config.remoteCandidates) this.#addRemote(c);
    this.#predict();
  }

  /**
   * Adds predicted checks above each remote srflx port when the peer's NAT is endpoint-dependent
   * with sequential allocation (see PunchOptions.portPrediction). They rank just below the srflx.
   */
  #predict(): void {
    const nat = this.config.remoteNat;
    const n = this.config.portPrediction;
    if (n === 0 || !isEndpointDependentMapping(nat.mapping) || nat.portAllocation !== PortAllocation.Sequential) return;
    for (const c of this.config.remoteCandidates) {
      if (c.kind !== 'srflx') continue;
      for (let k = 1; k <= n; k++) {
        const port = c.port + k;
        if (port > 65535) break;
        this.#addRemote({ kind: 'srflx', family: c.family, address: c.address, port, priority: Math.max(1, c.priority - k) }, true);
      }
    }
  }

  /**
   * Adds a candidate the peer sent late (trickle, RFC 8838) while waiting or probing. Returns
   * false when it is refused (see rejectedCandidates()), a duplicate, one of our own, over
   * maxChecks, or the machine is past probing.
   */
  addRemoteCandidate(_now: number, candidate: RankedCandidate): boolean {
    if (this.#state !== 'waiting' && this.#state !== 'probing') return false;
    return this.#addRemote(candidate);
  }

  /** Candidates from the peer that were refused, in order (at most 32 kept; counters.candidatesRejected counts all). */
  rejectedCandidates(): readonly RejectedCandidate[] {
    return this.#rejected;
  }

  #addRemote(c: RankedCandidate, predicted = false): boolean {
    const address = canonical(c.address);
    // Predicted ports share their srflx's address, which passed already.
    if (!predicted) {
      const reason = this.#remoteAccepted >= this.config.maxRemoteCandidates ? 'too-many' : remoteCandidateRejection(c, this.config.localCandidates);
      if (reason !== undefined) {
        this.counters.candidatesRejected++;
        if (this.#rejected.length < MAX_REJECTED) this.#rejected.push({ kind: c.kind, address, port: c.port, reason });
        return false;
      }
      this.#remoteAccepted++;
    }
    if (this.#checks.length >= this.config.maxChecks) return false;
    if (this.#find(address, c.port) >= 0) return false;
    if (this.config.localCandidates.some((l) => l.port === c.port && canonical(l.address) === address)) return false;
    this.#addCheck(address, c.port, c.kind, c.priority);
    return true;
  }

  get state(): PunchState {
    return this.#state;
  }

  /** The selected path, once there is one. */
  get selected(): PunchPath | undefined {
    return this.#selectedPath;
  }

  /** The failure reason once the machine failed. */
  get failure(): PunchFailureReason | undefined {
    return this.#failure;
  }

  /** When probing began (caller's clock), or undefined while waiting. */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /** Per-check timeline, highest priority first. */
  timeline(): PunchCheckTimeline[] {
    return this.#order.map((i) => {
      const c = this.#checks[i]!;
      return {
        address: c.address, port: c.port, kind: c.kind, priority: c.priority, path: c.path,
        requestsSent: c.requestsSent, firstSentAt: c.firstSentAt, lastSentAt: c.lastSentAt,
        requestsReceived: c.requestsReceived, firstReceivedAt: c.firstReceivedAt,
        provenAt: c.provenAt, rttMs: c.rttMs,
      };
    });
  }

  /** Stops probing and keepalives; a machine stopped before selecting reports failed('stopped'). */
  stop(now: number): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    if (this.#state === 'selected') {
      this.#state = 'stopped';
      this.#queue.length = 0;
      this.#outstanding.length = 0;
      return;
    }
    this.#fail(now, 'stopped');
  }

  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    if (!isStunMessage(bytes)) {
      this.counters.malformed++;
      return;
    }
    const r = decodeStunMessage(bytes);
    if (!r.ok || r.message.method !== StunMethod.Binding) {
      this.counters.malformed++;
      return;
    }
    const m = r.message;
    if (findAttribute(m, StunAttr.Fingerprint) && !verifyFingerprint(m)) {
      this.counters.malformed++;
      return;
    }
    if (m.class === StunClass.Request) this.#onRequest(now, from, m);
    else if (m.class === StunClass.SuccessResponse) this.#onResponse(now, from, m);
    else this.counters.unmatchedResponses++;
  }

  handleTimeout(now: number): void {
    if (this.#state === 'waiting' && now >= this.config.startAt) this.#start(now);
    if (this.#state === 'probing') {
      if (this.#checks.length === 0) {
        this.#fail(now, 'no-candidates');
        return;
      }
      if (now >= this.#startedAt! + this.config.timeoutMs) {
        this.#fail(now, this.#reasonForTimeout());
        return;
      }
      if (this.#graceUntil !== undefined && now >= this.#graceUntil) this.#selectBest(now);
    }
    if (this.#state === 'probing' && now >= this.#nextProbeAt) {
      this.#probeNext();
      this.#nextProbeAt = now + this.#pace(now);
    }
    if (this.#state === 'selected') {
      const c = this.#checks[this.#selected!]!;
      if (this.#consentExpired(now, c)) {
        this.#fail(now, 'consent-lost');
        return;
      }
      if (now >= this.#nextKeepaliveAt) {
        this.#queueRequest(this.#selected!);
        this.#nextKeepaliveAt = now + this.config.keepaliveMs;
      }
    }
  }

  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    const s = this.#queue.shift();
    if (!s) return 0;
    if (this.#writer?.out !== out) this.#writer = new StunWriter(out);
    const w = this.#writer;
    if (s.isResponse) {
      w.begin(StunClass.SuccessResponse, StunMethod.Binding, s.txid).addXorAddress(StunAttr.XorMappedAddress, s.address, s.port);
      this.counters.responsesSent++;
    } else {
      w.begin(StunClass.Request, StunMethod.Binding, s.txid)
        .addString(StunAttr.Username, this.#outUsername)
        // The priority the peer gives us if it learns us as peer-reflexive (RFC 8445 §7.1.1).
        .addUint32(StunAttr.Priority, candidatePriority('prflx'));
      if (s.useCandidate) w.addFlag(StunAttr.UseCandidate);
      const c = this.#checks[s.check]!;
      c.requestsSent++;
      c.sentSinceAnswer++;
      if (c.firstSentAt === undefined) c.firstSentAt = now;
      c.lastSentAt = now;
      if (this.#outstanding.length >= MAX_OUTSTANDING) this.#outstanding.shift();
      this.#outstanding.push({ txid: s.txid, check: s.check, sentAt: now });
      this.counters.requestsSent++;
    }
    w.addMessageIntegrity(this.config.key, this.config.hmacSha1).addFingerprint();
    to.address = s.address;
    to.port = s.port;
    return w.length;
  }

  pollTimeout(): number | undefined {
    switch (this.#state) {
      case 'waiting':
        return this.config.startAt;
      case 'probing': {
        let t = Math.min(this.#nextProbeAt, this.#startedAt! + this.config.timeoutMs);
        if (this.#graceUntil !== undefined) t = Math.min(t, this.#graceUntil);
        return t;
      }
      case 'selected': {
        const c = this.#checks[this.#selected!]!;
        // Until enough keepalives went out the consent deadline cannot end anything (#consentExpired).
        if (c.sentSinceAnswer < this.#consentRequests) return this.#nextKeepaliveAt;
        return Math.min(this.#nextKeepaliveAt, c.lastAnswerAt + this.config.consentTimeoutMs + 1);
      }
      default:
        return undefined;
    }
  }

  pollEvent(): PunchEvent | undefined {
    return this.#events.shift();
  }

  #start(now: number): void {
    this.#state = 'probing';
    this.#startedAt = now;
    this.#nextProbeAt = now;
  }

  #pace(now: number): number {
    const { paceMs, burstMs, maxPaceMs } = this.config;
    const elapsed = now - this.#startedAt!;
    if (elapsed < burstMs) return paceMs;
    // Back off: double the interval once per burst period after the burst (issue 6: "backing off").
    const periods = burstMs > 0 ? Math.floor((elapsed - burstMs) / burstMs) + 1 : 8;
    return Math.min(maxPaceMs, paceMs * 2 ** Math.min(periods, 16));
  }

  #probeNext(): void {
    const n = this.#order.length;
    for (let k = 0; k < n; k++) {
      const i = this.#order[(this.#rr + k) % n]!;
      if (this.#checks[i]!.provenAt !== undefined) continue;
      this.#rr = (this.#rr + k + 1) % n;
      this.#queueRequest(i);
      return;
    }
  }

  #queueRequest(check: number): void {
    const txid = new Uint8Array(TRANSACTION_ID_LENGTH);
    this.config.random(txid);
    const c = this.#checks[check]!;
    const useCandidate = this.config.role === 'connect' && this.#selected === check;
    this.#enqueue({ isResponse: false, check, address: c.address, port: c.port, txid, useCandidate });
  }

  #enqueue(s: PendingSend): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.counters.queueFull++;
      return;
    }
    this.#queue.push(s);
  }

  #onRequest(now: number, from: { address: string; port: number }, m: StunMessage): void {
    if (getUsername(m) !== this.#inUsername) {
      this.counters.unknownUsername++;
      return;
    }
    const address = canonical(from.address);
    let i = this.#find(address, from.port);
    // Never answer or learn an address no peer can have (a spoofed multicast or broadcast source).
    if (i < 0 && sourceRejection(address) !== undefined) {
      this.counters.badSources++;
      return;
    }
    // A source that never authenticated gets a few HMACs per second, so junk costs a counter, not
    // a hash per datagram; a source that did is always checked, so spoofing it drains nothing.
    if ((i < 0 || !this.#checks[i]!.authenticated) && !this.#unauthenticated.take(now, address, from.port)) {
      this.counters.unauthenticatedLimited++;
      return;
    }
    if (!verifyMessageIntegrity(m, this.config.key, this.config.hmacSha1)) {
      this.counters.badIntegrity++;
      return;
    }
    // Only authenticated requests are charged to the answer budget, and to their own source's.
    if (!(i >= 0 ? this.#checks[i]!.answers : this.#overflowAnswers).take(now, this.config.maxAnswersPerSecond, this.config.answerBurst)) {
      this.counters.rateLimited++;
      return;
    }
    this.counters.validRequests++;
    if (i < 0) {
      if (this.#checks.length < this.config.maxChecks) {
        const priority = getUint32Attribute(m, StunAttr.Priority) ?? candidatePriority('prflx');
        i = this.#addCheck(address, from.port, 'prflx', Math.max(1, Math.min(priority, 0x7fffffff)));
        this.counters.peerReflexiveLearned++;
        this.#emit({ type: 'peerReflexive', at: now, address, port: from.port });
      } else {
        this.counters.checksFull++;
      }
    }
    // Answer to the exact source (RFC 8445 §7.3.1: the response goes where the request came from).
    this.#enqueue({ isResponse: true, check: i, address: from.address, port: from.port, txid: m.transactionId.slice(), useCandidate: false });
    if (i < 0) return;
    const c = this.#checks[i]!;
    c.authenticated = true;
    c.requestsReceived++;
    if (c.firstReceivedAt === undefined) c.firstReceivedAt = now;
    if (this.#state === 'waiting') this.#start(now);
    // Triggered check (RFC 8445 §7.3.1.4): probe back at once while the path is unproven.
    if (this.#state === 'probing' && c.provenAt === undefined) this.#queueRequest(i);
    if (this.config.role === 'listen' && findAttribute(m, StunAttr.UseCandidate)) this.#nominate(now, i);
  }

  #onResponse(now: number, from: { address: string; port: number }, m: StunMessage): void {
    const k = this.#outstanding.findIndex((o) => sameTransactionId(o.txid, m.transactionId));
    if (k < 0) {
      this.counters.unmatchedResponses++;
      return;
    }
    if (!verifyMessageIntegrity(m, this.config.key, this.config.hmacSha1)) {
      this.counters.badIntegrity++;
      return;
    }
    const o = this.#outstanding[k]!;
    const c = this.#checks[o.check]!;
    if (canonical(from.address) !== c.address || from.port !== c.port) {
      this.counters.asymmetricResponses++;
      return;
    }
    this.#outstanding.splice(k, 1);
    this.counters.validResponses++;
    c.authenticated = true;
    c.lastAnswerAt = now;
    c.sentSinceAnswer = 0;
    if (c.provenAt === undefined) {
      c.provenAt = now;
      c.rttMs = now - o.sentAt;
      c.localReflexive = getXorMappedAddress(m);
    }
    if (this.#state === 'probing') this.#onProven(now, o.check);
    else if (this.#state === 'selected' && this.config.role === 'listen' && c.nominated && this.#selected !== o.check) this.#nominate(now, o.check);
  }

  #onProven(now: number, i: number): void {
    const c = this.#checks[i]!;
    if (c.path === 'lan' || !this.#checks.some((x) => x.path === 'lan' && x.provenAt === undefined)) {
      // A LAN path is the best there is, and without unproven LAN checks there is nothing to wait for.
      this.#selectBest(now);
      return;
    }
    if (this.#graceUntil === undefined) this.#graceUntil = now + this.config.lanGraceMs;
  }

  /** Selects the best proven check: LAN first, then by priority. */
  #selectBest(now: number): void {
    let best = -1;
    for (const i of this.#order) {
      const c = this.#checks[i]!;
      if (c.provenAt === undefined) continue;
      if (best < 0 || (c.path === 'lan' && this.#checks[best]!.path !== 'lan')) best = i;
    }
    this.#graceUntil = undefined;
    if (best < 0) return;
    this.#select(now, best);
    this.#emit({ type: 'selected', at: now, selected: this.#selectedPath! });
  }

  #select(now: number, i: number): void {
    const c = this.#checks[i]!;
    // Consent is judged on keepalives sent from now on (#consentExpired).
    c.sentSinceAnswer = 0;
    this.#state = 'selected';
    this.#selected = i;
    this.#selectedPath = {
      address: c.address, port: c.port, path: c.path, candidateKind: c.kind,
      rttMs: c.rttMs ?? 0, provenAt: c.provenAt ?? now, localReflexive: c.localReflexive,
    };
    // Drop queued probes to other checks; answers stay queued (the peer may still need proof).
    this.#queue = this.#queue.filter((s) => s.isResponse || s.check === i);
    // The connect side nominates at once (RFC 8445 §8.1.1 regular nomination: a check with USE-CANDIDATE).
    this.#nextKeepaliveAt = this.config.role === 'connect' ? now : now + this.config.keepaliveMs;
  }

  #nominate(now: number, i: number): void {
    const c = this.#checks[i]!;
    const first = !c.nominated;
    c.nominated = true;
    if (c.provenAt === undefined) {
      // Prove the nominated path ourselves; the answer switches the selection (#onResponse).
      if (first) this.#queueRequest(i);
      return;
    }
    if (this.#state === 'selected' && this.#selected === i) {
      if (first) this.#emit({ type: 'nominated', at: now, selected: this.#selectedPath! });
      return;
    }
    const wasSelected = this.#state === 'selected';
    this.#select(now, i);
    this.#emit({ type: wasSelected ? 'nominated' : 'selected', at: now, selected: this.#selectedPath! });
  }

  /**
   * Consent on the selected check is lost (RFC 7675) when nothing answered it for
   * consentTimeoutMs *and* the keepalives that went unanswered meanwhile are as many as that
   * time holds (consentTimeoutMs / keepaliveMs, at least one). Time alone said "lost" after a
   * stall of our own event loop: the timer ran before the answers waiting in the socket were
   * read, and a selection made late by the stall (a LAN grace period that outlasted it) was
   * judged at once on an answer seconds old. NAT lab at load ~28: a 3.3 s stall, then
   * consent-lost 7 ms after the path was selected, and the link's relay fallback ended it.
   */
  #consentExpired(now: number, c: Check): boolean {
    return now - c.lastAnswerAt > this.config.consentTimeoutMs && c.sentSinceAnswer >= this.#consentRequests;
  }

  /** Unanswered keepalives that consentTimeoutMs holds (at least one). */
  get #consentRequests(): number {
    return Math.max(1, Math.floor(this.config.consentTimeoutMs / this.config.keepaliveMs));
  }

  #reasonForTimeout(): PunchFailureReason {
    const { localNat, remoteNat } = this.config;
    if (isEndpointDependentMapping(localNat.mapping) && isEndpointDependentMapping(remoteNat.mapping)) return 'symmetric-both-sides';
    if (!canHolePunch(localNat, remoteNat)) return 'incompatible-nat';
    if (this.counters.validRequests > 0) return 'one-way';
    return 'timeout';
  }

  #fail(now: number, reason: PunchFailureReason): void {
    this.#state = 'failed';
    this.#failure = reason;
    this.#queue.length = 0;
    this.#outstanding.length = 0;
    this.#graceUntil = undefined;
    this.#emit({ type: 'failed', at: now, reason });
  }

  #find(address: string, port: number): number {
    for (let i = 0; i < this.#checks.length; i++) {
      const c = this.#checks[i]!;
      if (c.port === port && c.address === address) return i;
    }
    return -1;
  }

  #addCheck(address: string, port: number, kind: CandidateKind, priority: number): number {
    const i = this.#checks.length;
    this.#checks.push({
      address, port, kind, priority, path: pathKindOf({ kind, address }),
      requestsSent: 0, firstSentAt: undefined, lastSentAt: undefined, requestsReceived: 0, firstReceivedAt: undefined,
      provenAt: undefined, rttMs: undefined, localReflexive: undefined, nominated: false, lastAnswerAt: 0, sentSinceAnswer: 0,
      authenticated: false, answers: new TokenBucket(this.config.answerBurst, this.config.startAt),
    });
    this.#order.push(i);
    this.#order.sort((a, b) => this.#checks[b]!.priority - this.#checks[a]!.priority);
    return i;
  }

  #emit(e: PunchEvent): void {
    if (this.#events.length >= MAX_EVENTS) this.#events.shift();
    this.#events.push(e);
  }
}
