// The per-pair link state machine of the agent (core, sans-IO): one instance per scheduled pair,
// from `pair.start` to a mesh peer or a typed failure. The adapter performs the actions it emits.
//
// Transitions (docs/design.md "How a mesh forms", steps 3-5):
//   pending    --begin-------------------------------> gathering    [gather]
//   gathering  --gathered (remote cands not yet)------> exchanging   [sendCandidates]
//   gathering  --gathered (remote cands known)--------> punching     [sendCandidates, punch]
//   exchanging --remoteCandidates--------------------> punching     [punch]
//   punching   --punchSucceeded (role connect)-------> connecting   [connect]
//   punching   --punchSucceeded (role listen)--------> accepting    [accept]
//   punching   --relayStarted------------------------> punching     (deadline: punchMs from now)
//   connecting/accepting --connected------------------> adding       [addMeshPeer]
//   adding     --added-------------------------------> connected    [report ok]
//   connected  --lost / remoteLeft-------------------> closed       [release]
//   any live   --deadline / failure------------------> failed       [report failure, release]
//   any        --close-------------------------------> closed       [release]
//   connecting/accepting --handshakeFailed / deadline--> same phase [connect / accept again],
//                          at most HANDSHAKE_ATTEMPTS attempts, then failed (connect-timeout)
// Deadlines: gathering gatherMs; exchanging until startAt + exchangeMs; punching punchMs from
// max(now, startAt); connecting/accepting connectMs per handshake attempt; adding connectMs.

import type { Endpoint } from './endpoint.js';
import { AgentError } from '../errors.js';

/** Who initiates the ENet connection on this pair (decided by the signaling service). */
export type LinkRole = 'connect' | 'listen';

/** How the proven path goes: same LAN, a punched hole, a UPnP mapping, or a relay (@meshpunch/base). */
import type { PathKind } from '@meshpunch/base';
export type { PathKind };

/** Where a link stands; `connected`, `failed` and `closed` are terminal for the attempt. */
export type LinkPhase =
  | 'pending'
  | 'gathering'
  | 'exchanging'
  | 'punching'
  | 'connecting'
  | 'accepting'
  | 'adding'
  | 'connected'
  | 'failed'
  | 'closed';

/**
 * Why a link failed, one value per step that can fail:
 * `bind-failed` (no local socket), `gather-failed` (no candidate at all), `exchange-timeout` (the
 * remote candidates never came), `punch-timeout` (no probe answered in time), `punch-failed` (the
 * punch core gave up, e.g. no usable candidate), `connect-timeout` (ENet handshake did not finish),
 * `add-failed` (`addMeshPeer` refused the host), `peer-left` (the remote left the lobby first),
 * `peer-lost` (an established link went silent), `relay-failed` (punching found no path and the
 * relay could not link the pair either: no credentials, allocation refused, or no check
 * answered through it).
 */
export type LinkFailureReason =
  // `auth-failed` (issue 18): the DTLS handshake on the link socket refused the peer (its
  // certificate is not the one its candidates named) or the peer named none.
  | 'auth-failed'
  | 'bind-failed'
  | 'gather-failed'
  | 'exchange-timeout'
  | 'punch-timeout'
  | 'punch-failed'
  | 'connect-timeout'
  | 'add-failed'
  | 'peer-left'
  | 'peer-lost'
  | 'relay-failed';

/** Every failure reason, for validation and docs. */
export const LINK_FAILURE_REASONS: readonly LinkFailureReason[] = Object.freeze([
  'auth-failed',
  'bind-failed', 'gather-failed', 'exchange-timeout', 'punch-timeout', 'punch-failed',
  'connect-timeout', 'add-failed', 'peer-left', 'peer-lost', 'relay-failed',
]);

/** Time limits of one link attempt, in milliseconds. */
export interface LinkTimeouts {
  /** Candidate gathering (STUN + UPnP + LAN) may take this long. */
  readonly gatherMs: number;
  /** After the scheduled start, the remote candidates must have arrived within this. */
  readonly exchangeMs: number;
  /** Probing, from the scheduled start (or from when both sides' candidates are known). */
  readonly punchMs: number;
  /** ENet handshake after the path is proven, and again for adding to the mesh. */
  readonly connectMs: number;
}

/**
 * Defaults. gather 3 s: STUN's first retransmissions (RFC 8489 §6.2.1, RTO 500 ms) plus UPnP
 * discovery (~100-300 ms on a LAN, natlab.md §6). punch 5 s: RakNet/DCUtR succeed on the first
 * round; 5 s bounds a hopeless pair (symmetric ↔ port-restricted) without hanging the CLI.
 * connect 5 s: ENet's minimum timeout (5000 ms) for the CONNECT/VERIFY exchange.
 */
export const DEFAULT_LINK_TIMEOUTS: LinkTimeouts = Object.freeze({ gatherMs: 3000, exchangeMs: 5000, punchMs: 5000, connectMs: 5000 });

/** What the service scheduled for this pair (`pair.start`), with the start time on our clock. */
export interface LinkStart {
  readonly pairId: string;
  readonly remoteId: number;
  readonly role: LinkRole;
  /** Scheduled punch start, monotonic ms on the caller's clock. */
  readonly startAt: number;
}

/** The result reported to the service and shown in the mesh table. */
export type LinkOutcome =
  | { readonly ok: true; readonly path: PathKind; readonly rttMs: number; readonly local: Endpoint; readonly remote: Endpoint }
  | { readonly ok: false; readonly reason: LinkFailureReason; readonly detail: string };

/** Work the adapter must do, drained with `pollAction()` after every input. */
export type LinkAction<C> =
  | { readonly type: 'gather' }
  | { readonly type: 'sendCandidates'; readonly candidates: readonly C[] }
  | { readonly type: 'punch'; readonly remoteCandidates: readonly C[]; readonly startAt: number }
  | { readonly type: 'connect'; readonly remote: Endpoint }
  | { readonly type: 'accept'; readonly remote: Endpoint }
  | { readonly type: 'addMeshPeer' }
  | { readonly type: 'report'; readonly outcome: LinkOutcome }
  | { readonly type: 'release' };

/**
 * ENet handshakes tried per link, each with connectMs, before `connect-timeout` (issue 13 item 2).
 * One lost or squatted handshake used to end the link: a stranger's CONNECT sent to the
 * listening port first held its one slot for ≈ 32 s. 3 attempts bound a hopeless handshake to
 * 3 × connectMs (15 s by default) and outlast the listener's half-open timeout (5 s), which
 * frees a slot whatever took it.
 */
export const HANDSHAKE_ATTEMPTS = 3;

/** Upper bound on remote candidates kept per link: a peer announcing more is hostile or broken. */
export const MAX_REMOTE_CANDIDATES = 32;

/**
 * One pair link. Inputs are method calls with the caller's monotonic `now`; outputs are drained
 * with `pollAction()`, `pollTimeout()` and the `phase` getter. Never throws on peer input; throws
 * only when a method is called in a phase where the adapter could not have called it.
 */
export class LinkMachine<C> {
  readonly start: LinkStart;
  private readonly timeouts: LinkTimeouts;
  private current: LinkPhase = 'pending';
  private deadline: number | undefined = undefined;
  private readonly actions: LinkAction<C>[] = [];
  private remote: C[] | undefined = undefined;
  private proven: { remote: Endpoint; path: PathKind } | undefined = undefined;
  private finalOutcome: LinkOutcome | undefined = undefined;
  private pendingLocal: Endpoint | undefined = undefined;
  private pendingRtt = 0;
  private phaseChangedAt = 0;
  /** ENet handshake attempts started (1..HANDSHAKE_ATTEMPTS once the path is proven). */
  private handshakeAttempt = 0;
  /** Remote candidates beyond MAX_REMOTE_CANDIDATES that were dropped. */
  droppedCandidates = 0;
  /** A relay attempt began (handleRelayStarted). */
  private relayTried = false;

  constructor(start: LinkStart, timeouts: LinkTimeouts = DEFAULT_LINK_TIMEOUTS) {
    this.start = start;
    this.timeouts = timeouts;
  }

  /** The current phase. */
  get phase(): LinkPhase {
    return this.current;
  }

  /** When the current phase began (caller's clock, ms). */
  get phaseSince(): number {
    return this.phaseChangedAt;
  }

  /** The final outcome once `connected` or `failed`, else undefined. */
  get outcome(): LinkOutcome | undefined {
    return this.finalOutcome;
  }

  /** True while the attempt is still running (not connected, failed or closed). */
  get isActive(): boolean {
    return this.current !== 'connected' && this.current !== 'failed' && this.current !== 'closed';
  }

  /** Starts gathering. @throws Error when called twice. */
  begin(now: number): void {
    if (this.current !== 'pending') throw new AgentError('ERR_ALREADY_IN_USE', `begin() called in phase ${this.current}`, { phase: this.current });
    this.enter(now, 'gathering', now + this.timeouts.gatherMs);
    this.actions.push({ type: 'gather' });
  }

  /** Our candidates are known (at least one). An empty list is a gather failure. */
  handleGathered(now: number, candidates: readonly C[]): void {
    if (this.current !== 'gathering') return;
    if (candidates.length === 0) {
      this.fail(now, 'gather-failed', 'no local candidate could be gathered');
      return;
    }
    this.actions.push({ type: 'sendCandidates', candidates });
    if (this.remote !== undefined) this.beginPunch(now);
    else this.enter(now, 'exchanging', Math.max(now, this.start.startAt) + this.timeouts.exchangeMs);
  }

  /** Gathering failed as a whole (e.g. the socket could not be bound). */
  handleGatherFailed(now: number, reason: 'bind-failed' | 'gather-failed', detail: string): void {
    if (this.current !== 'gathering' && this.current !== 'pending') return;
    this.fail(now, reason, detail);
  }

  /** The remote side's candidates arrived through the service (may come before ours are done). */
  handleRemoteCandidates(now: number, candidates: readonly C[]): void {
    if (!this.isActive) return;
    const list = this.remote ?? [];
    for (let i = 0; i < candidates.length; i++) {
      if (list.length >= MAX_REMOTE_CANDIDATES) {
        this.droppedCandidates++;
        continue;
      }
      list.push(candidates[i]!);
    }
    const first = this.remote === undefined;
    this.remote = list;
    if (first && this.current === 'exchanging') this.beginPunch(now);
  }

  /** A probe was answered: `remote` is the proven address, `path` how it goes. */
  handlePunchSucceeded(now: number, remote: Endpoint, path: PathKind): void {
    if (this.current !== 'punching') return;
    this.proven = { remote, path };
    this.handshakeAttempt = 0;
    this.startHandshake(now);
  }

  /** ENet handshake attempts started so far. */
  get handshakeAttempts(): number {
    return this.handshakeAttempt;
  }

  /**
   * This ENet handshake attempt failed (refused, timed out, reset by the remote): the next one
   * starts while attempts remain, else the link fails with `connect-timeout`.
   */
  handleHandshakeFailed(now: number, detail: string): void {
    if (this.current !== 'connecting' && this.current !== 'accepting') return;
    this.retryHandshake(now, detail);
  }

  /**
   * The link's DTLS layer refused the peer (wrong certificate, no fingerprint): the link fails
   * with `auth-failed` at once, before addMeshPeer, and is not retried (issue 18).
   */
  handleAuthFailed(now: number, detail: string): void {
    if (this.current !== 'punching' && this.current !== 'connecting' && this.current !== 'accepting' && this.current !== 'adding') return;
    this.fail(now, 'auth-failed', detail);
  }

  /** The punch core gave up before the deadline (typed reason text in `detail`); `relay-failed` when the relay was tried too. */
  handlePunchFailed(now: number, detail: string, reason: 'punch-failed' | 'relay-failed' = 'punch-failed'): void {
    if (this.current !== 'punching') return;
    this.fail(now, reason, detail);
  }

  /**
   * A relay attempt began while punching (relay.md §3): the punching deadline moves to punchMs
   * from now, so an allocation made late in the punch still has the whole limit to link, and a
   * deadline reached after it is `relay-failed`.
   */
  handleRelayStarted(now: number): void {
    this.relayTried = true;
    if (this.current !== 'punching') return;
    this.deadline = Math.max(this.deadline ?? now, now + this.timeouts.punchMs);
  }

  /**
   * The ENet peer reached CONNECTED. `remote` may differ from the proven address (the listen side
   * learns the connector's real source), so it is taken from the ENet peer.
   */
  handleConnected(now: number, local: Endpoint, remote: Endpoint, rttMs: number, path?: PathKind): void {
    if (this.current !== 'connecting' && this.current !== 'accepting') return;
    this.proven = { remote, path: path ?? this.proven?.path ?? 'direct' };
    this.enter(now, 'adding', now + this.timeouts.connectMs);
    this.pendingLocal = local;
    this.pendingRtt = rttMs;
    this.actions.push({ type: 'addMeshPeer' });
  }

  /** `addMeshPeer` accepted the host: the link is up. */
  handleAdded(now: number): void {
    if (this.current !== 'adding' || this.proven === undefined || this.pendingLocal === undefined) return;
    const outcome: LinkOutcome = { ok: true, path: this.proven.path, rttMs: this.pendingRtt, local: this.pendingLocal, remote: this.proven.remote };
    this.finalOutcome = outcome;
    this.enter(now, 'connected', undefined);
    this.actions.push({ type: 'report', outcome });
  }

  /** The live link moved to another path (relay ↔ direct): the reported outcome follows. */
  handlePathChanged(path: PathKind): void {
    const o = this.finalOutcome;
    if (this.current !== 'connected' || o === undefined || !o.ok) return;
    this.finalOutcome = { ...o, path };
  }

  /** `addMeshPeer` refused the host. */
  handleAddFailed(now: number, detail: string): void {
    if (this.current !== 'adding') return;
    this.fail(now, 'add-failed', detail);
  }

  /** The ENet peer disconnected or timed out after (or while) connecting. */
  handleLost(now: number, detail: string): void {
    if (this.current === 'connected') {
      this.enter(now, 'closed', undefined);
      this.actions.push({ type: 'release' });
    } else if (this.isActive && this.current !== 'pending') {
      this.fail(now, 'peer-lost', detail);
    }
  }

  /** The remote peer left the lobby. */
  handleRemoteLeft(now: number): void {
    if (this.current === 'connected') {
      this.enter(now, 'closed', undefined);
      this.actions.push({ type: 'release' });
    } else if (this.isActive) {
      this.failQuietly(now, 'peer-left', `peer ${this.start.remoteId} left the lobby`);
    }
  }

  /** Deadlines: a spurious call (before the deadline) does nothing. */
  handleTimeout(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    switch (this.current) {
      case 'gathering':
        this.fail(now, 'gather-failed', `gathering took longer than ${this.timeouts.gatherMs} ms`);
        break;
      case 'exchanging':
        this.fail(now, 'exchange-timeout', `no candidates from peer ${this.start.remoteId} within ${this.timeouts.exchangeMs} ms of the start`);
        break;
      case 'punching':
        if (this.relayTried) this.fail(now, 'relay-failed', `neither a direct probe nor a check through the relay answered within ${this.timeouts.punchMs} ms`);
        else this.fail(now, 'punch-timeout', `no probe answered within ${this.timeouts.punchMs} ms`);
        break;
      case 'connecting':
      case 'accepting':
        this.retryHandshake(now, `ENet handshake not done within ${this.timeouts.connectMs} ms`);
        break;
      case 'adding':
        this.fail(now, 'add-failed', `mesh did not accept the host within ${this.timeouts.connectMs} ms`);
        break;
      default:
        this.deadline = undefined;
    }
  }

  /** Ends the link from our side (session close); emits `release` once. */
  close(now: number): void {
    if (this.current === 'closed') return;
    const wasFailed = this.current === 'failed';
    this.enter(now, 'closed', undefined);
    if (!wasFailed) this.actions.push({ type: 'release' });
  }

  /** Next action to perform, or undefined. */
  pollAction(): LinkAction<C> | undefined {
    return this.actions.shift();
  }

  /** Absolute deadline (caller's clock, ms), or undefined when nothing is timed. */
  pollTimeout(): number | undefined {
    return this.deadline;
  }

  private startHandshake(now: number): void {
    const remote = this.proven!.remote;
    this.handshakeAttempt++;
    if (this.start.role === 'connect') {
      this.enter(now, 'connecting', now + this.timeouts.connectMs);
      this.actions.push({ type: 'connect', remote });
    } else {
      this.enter(now, 'accepting', now + this.timeouts.connectMs);
      this.actions.push({ type: 'accept', remote });
    }
  }

  private retryHandshake(now: number, detail: string): void {
    if (this.handshakeAttempt >= HANDSHAKE_ATTEMPTS) {
      this.fail(now, 'connect-timeout', `${detail} (attempt ${this.handshakeAttempt} of ${HANDSHAKE_ATTEMPTS})`);
      return;
    }
    this.startHandshake(now);
  }

  private beginPunch(now: number): void {
    const from = Math.max(now, this.start.startAt);
    this.enter(now, 'punching', from + this.timeouts.punchMs);
    this.actions.push({ type: 'punch', remoteCandidates: this.remote ?? [], startAt: this.start.startAt });
  }

  private fail(now: number, reason: LinkFailureReason, detail: string): void {
    this.finalOutcome = { ok: false, reason, detail };
    this.enter(now, 'failed', undefined);
    this.actions.push({ type: 'report', outcome: this.finalOutcome });
    this.actions.push({ type: 'release' });
  }

  /** A failure nobody needs to hear about (the remote is gone): no report, only release. */
  private failQuietly(now: number, reason: LinkFailureReason, detail: string): void {
    this.finalOutcome = { ok: false, reason, detail };
    this.enter(now, 'failed', undefined);
    this.actions.push({ type: 'release' });
  }

  private enter(now: number, phase: LinkPhase, deadline: number | undefined): void {
    this.current = phase;
    this.deadline = deadline;
    this.phaseChangedAt = now;
  }
}
