// One pair link, end to end (adapter): a fresh ENet host on its own UDP port, candidates gathered
// from that socket (STUN through the same socket, a UPnP mapping of it, LAN addresses), the punch
// on that socket, the ENet handshake, the hand-over to the mesh. It performs the actions the
// LinkMachine (core) emits and feeds the results back. Beside it: what it needs from the session
// (link-context.ts), the punches' options (link-punch-options.ts), what they proved (link-probes.ts),
// the ENet handshake (link-handshake.ts), the peer's timeout, RTT and endpoints (link-peer.ts) and
// the UPnP mapping of its port (link-upnp.ts).

import { DeadlineTimer } from '@meshpunch/base';
import type { ENetConnection } from '@meshpunch/enet';
// The punch entry only: the UPnP client (and its XML parser) loads when a link maps a port.
import {
  candidatePriority, PunchSession, validateCandidate,
  type Candidate, type InterceptTransport, type PunchEvent, type RankedCandidate, type RejectedCandidate,
} from '@meshpunch/nat/punch';
import type { NatHint, ProbeReport } from '@meshpunch/protocol';
import type { PathChange, PathRoute, PathSlot } from '../core/path-mux.js';
import { onePrivateNetwork } from '../core/address-class.js';
import { DirectLookTrigger, lateCandidatesAction } from '../core/direct-look.js';
import { DIRECT_CONSENT_WITH_RELAY_MS, fallbackDeadlineMs, predictedHard, RELAY_AFTER_MS, relayPermissionIps } from '../core/relay-policy.js';
import { RelayRelease } from '../core/relay-release.js';
import { reflexiveFromRelay, wantsRelayMapping } from '../core/relay-reflexive.js';
import { LinkMachine, type LinkPhase, type LinkRole } from '../core/link-machine.js';
import { linkPath } from '../core/link-path.js';
import { AgentError } from '../errors.js';
import type { LinkContext } from './link-context.js';
import { LinkHandshake } from './link-handshake.js';
import { isOwnAddress } from './link-peer.js';
import { isProvenSource, linkProbeReport, MAX_REPORTED_MALFORMED, refusalDetail, refusedCandidate } from './link-probes.js';
import { directPunchOptions, relayPunchOptions } from './link-punch-options.js';
import { LinkRouter } from './link-router.js';
import { LinkUpnp } from './link-upnp.js';
import type { LinkSecurity } from './link-security.js';
import { gatherLinkSocket, LinkSocketError, linkSocketFamily, refreshReflexive, relayReflexive } from './link-socket.js';
import { TimedTransport } from './timed-transport.js';
import { trace } from './trace.js';

/**
 * Server-reflexive candidates a relayed link may add when its mapping changes (re-probe): the
 * service takes 16 candidates per side and pair (protocol MAX_CANDIDATES_PER_PAIR) and a NAT
 * that keeps changing must not use them up.
 */
const MAX_REFRESHED_REFLEXIVE = 4;

/** Drives one LinkMachine with a real ENet host. */
export class LinkRunner {
  readonly machine: LinkMachine<RankedCandidate>;
  private readonly ctx: LinkContext;
  /** The link's DTLS side (fingerprints), when the session is secure. */
  get security(): LinkSecurity | undefined {
    return this.ctx.security;
  }
  private host: ENetConnection | undefined = undefined;
  private transport: InterceptTransport | undefined = undefined;
  /** The socket's hooks: relay/direct demultiplexing and the PathMux (link-router.ts). */
  private router: LinkRouter | undefined = undefined;
  private punch: PunchSession | undefined = undefined;
  /** The punch over the relay (ours: checks through the allocation; the peer's: to its relayed address). */
  private relayPunch: PunchSession | undefined = undefined;
  /** The direct punch whose path lost consent, kept for the link's probe record until a re-probe replaces it. */
  private lastDirectPunch: PunchSession | undefined = undefined;
  /** Remote candidates as validated (kept for re-probing and permissions). */
  private remote: RankedCandidate[] = [];
  private remoteNat: NatHint | undefined = undefined;
  /** The relay server's address while the listen side holds an allocation (what its permissions can reach). */
  private relayServer: string | undefined = undefined;
  /** Where the relay attempt stands: none yet, started (allocating or probing), or failed. */
  private relayState: 'idle' | 'started' | 'failed' = 'idle';
  private relayTimer: NodeJS.Timeout | undefined = undefined;
  private reprobeTimer: NodeJS.Timeout | undefined = undefined;
  /** A direct punch is probing (the first, or a re-probe): new remote candidates join it. */
  private directProbing = false;
  /** A re-probe is refreshing the mapping (STUN) before it probes. */
  private refreshing = false;
  /** The peer sent candidates since the last re-probe began probing (a reason to probe even a pair the hints rule out). */
  private readonly lookTrigger = new DirectLookTrigger();
  /** Server-reflexive candidates added by re-probes (MAX_REFRESHED_REFLEXIVE). */
  private refreshedReflexive = 0;
  /** When the relay goes after the link moved to a direct path (relayReleaseMs), and its timer. */
  private readonly relayRelease: RelayRelease;
  private readonly releaseTimer = new DeadlineTimer((now) => {
    if (this.released || !this.relayRelease.handleTimeout(now)) return;
    this.dropRelay();
  }, { now: () => this.ctx.now(), unref: true });
  /** Bounds a fallback after the only path died: no path by then means the peer is gone. */
  private fallbackTimer: NodeJS.Timeout | undefined = undefined;
  /** The direct punch ended without a path (before any path was proven). */
  private directFailed = false;
  /** The link port's UPnP mapping (--upnp), deleted on release. */
  private readonly upnp: LinkUpnp;
  /** Sources of our candidates still on the way after the first batch (the UPnP mapping, a late srflx). */
  private lateExpected = 0;
  /** Listen side: no mapping of our socket (no STUN answer, also not to the late ask; no srflx, no UPnP): see checkPredicted. */
  private mappingUnknown = false;
  /** Text appended to a punch failure: the peer's candidates that were refused. */
  private rejectedDetail = '';
  private local: RankedCandidate[] = [];
  /** Remote candidates that validateCandidate refused, reported with the punch's refusals. */
  private readonly malformed: RejectedCandidate[] = [];
  /** RTT of the punch check that proved the path, ms (0.1 ms resolution, TimedTransport): the link's RTT as reported. */
  private punchRttMs: number | undefined = undefined;
  /** The punch's transport, timing its checks. */
  private timed: TimedTransport | undefined = undefined;
  /** The machine's deadline: the shared one-timer-per-core of @meshpunch/base. */
  private readonly timer = new DeadlineTimer((now) => {
    this.machine.handleTimeout(now);
    this.drain();
  }, { now: () => this.ctx.now() });
  /** The ENet side: DTLS, CONNECT, the expected peer, the hand-over (link-handshake.ts). */
  private readonly handshake: LinkHandshake;
  private released = false;
  private lastPhase: LinkPhase;

  constructor(ctx: LinkContext) {
    this.ctx = ctx;
    this.machine = new LinkMachine<RankedCandidate>(ctx.start, ctx.timeouts);
    this.relayRelease = new RelayRelease(ctx.config.relayReleaseMs);
    this.upnp = new LinkUpnp(() => ctx.upnpGateway(), `meshpunch pair ${ctx.start.pairId}`);
    this.lastPhase = this.machine.phase;
    this.handshake = new LinkHandshake({
      ctx,
      machine: this.machine,
      host: () => this.host,
      router: () => this.router,
      released: () => this.released,
      punchRttMs: () => this.punchRttMs,
      localCandidates: () => this.local,
      isProvenSource: (address, port) => this.isProvenSource(address, port),
      drain: () => this.drain(),
    });
  }

  /** Which side of the ENet handshake this link is (diagnosis). */
  get role(): LinkRole {
    return this.ctx.start.role;
  }

  /** Starts the attempt. */
  begin(): void {
    this.machine.begin(this.now());
    this.drain();
  }

  /** Candidates from the remote side arrived through the service; malformed ones are refused (and reported with the punch's). */
  remoteCandidates(candidates: readonly Candidate[], nat?: NatHint): void {
    if (nat !== undefined) this.remoteNat = nat;
    const list: RankedCandidate[] = [];
    for (const c of candidates) {
      if (c.kind === 'relay') {
        this.peerRelayCandidate(c);
        continue;
      }
      // A candidate sent without a priority ranks lowest (the wire leaves it optional).
      const v = validateCandidate({ ...c, priority: c.priority ?? 1 });
      if (v.ok) list.push(v.candidate);
      else if (this.malformed.length < MAX_REPORTED_MALFORMED) {
        this.malformed.push(refusedCandidate(c));
      }
    }
    this.remote.push(...list);
    if (list.length > 0) this.permitPeer();
    trace(`link ${this.ctx.start.remoteId} ${list.length} remote candidate(s) (probing ${this.directProbing}, direct ${this.router?.mux.has('direct')})`);
    // A late batch (after the punch began) joins the running direct punch; on a relayed link
    // with none running, a new candidate of the peer (its mapping changed) is a reason to look
    // for a direct path now (relay.md §3: re-probe on candidate change).
    // Either way the next look counts them as a change: a look under way may end before it
    // probes them, and a pair predicted hard would otherwise never look again (natlab: q1 got
    // s1's new candidate 0.6 s before its look ended, sent it nothing, and stayed relayed).
    // The first look has ended once the link was handed over, or when it failed before any path
    // (the relay may still link us): a late candidate (a UPnP mapping, a srflx whose STUN answer
    // came late) then starts a new look rather than waiting for directReprobeMs.
    const firstLookEnded = this.handshake.handedOver || this.directFailed;
    const directPath = this.router?.mux.has('direct') !== false;
    const action = list.length === 0 ? 'none' : lateCandidatesAction({ lookUnderWay: this.punch !== undefined && this.directProbing, directPath, firstLookEnded });
    if (list.length > 0 && !directPath && firstLookEnded) this.lookTrigger.peerCandidates();
    if (action === 'join-look') for (const c of list) this.punch!.machine.addRemoteCandidate(this.now(), c);
    else if (action === 'look-now') this.reprobeNow();
    // (A hint-only message, `candidates: []`, follows the peer's candidates and starts nothing.)
    if (list.length > 0 || (this.machine.phase === 'exchanging' && candidates.length > 0)) this.machine.handleRemoteCandidates(this.now(), list);
    this.drain();
    if (nat !== undefined) this.checkPredicted();
  }

  /**
   * Our NAT hint became known after the link began (the session's discovery finished): the peer
   * gets it in an empty `pair.candidates` if ours went out without it, and the listen side
   * checks whether the pair is now predicted hard.
   */
  natHintKnown(): void {
    const hint = this.ctx.natHint();
    if (hint === undefined || this.released || this.router === undefined) return;
    if (this.machine.phase === 'exchanging' || this.machine.phase === 'punching') this.ctx.sendCandidates([], hint);
    this.checkPredicted();
  }

  /** Listen side: allocates at once when both hints rule punching out (relay.md §3 "Predicted"), or
   *  with no mapping of our own (the peer knows only our private address; the allocation's
   *  XOR-MAPPED-ADDRESS, sent as srflx, is what a direct path needs too: RELAY_AFTER_MS was lost). */
  private checkPredicted(): void {
    if (this.ctx.start.role !== 'listen' || !this.ctx.relayOffered || this.relayState !== 'idle' || this.machine.phase !== 'punching') return;
    if (this.router?.mux.has('direct') !== false) return;
    if (predictedHard(this.ctx.natHint(), this.remoteNat)) this.startRelay('predicted');
    else if (this.mappingUnknown && !this.peerOnOurNetwork()) this.startRelay('no mapping of our own');
  }

  /**
   * A host candidate of the peer shares a private network with one of ours (a LAN party: no STUN,
   * no NAT between us), so our private address is what it reaches us at: no reason to allocate
   * before RELAY_AFTER_MS. (CI at load: allocated at once, the relay could prove first there.)
   */
  private peerOnOurNetwork(): boolean {
    return this.remote.some((r) => r.kind === 'host' && this.local.some((l) => l.kind === 'host' && onePrivateNetwork(l.address, r.address)));
  }

  /** The remote left the lobby. */
  remoteLeft(): void {
    this.machine.handleRemoteLeft(this.now());
    this.drain();
  }

  /** The mesh reported the peer gone (ENet disconnect or timeout). */
  lost(detail: string): void {
    this.machine.handleLost(this.now(), detail);
    this.drain();
  }

  /** Ends the link from our side. */
  close(): void {
    this.machine.close(this.now());
    this.drain();
  }

  /** Resolves when everything released has finished releasing (UPnP mapping deleted). */
  async whenReleased(): Promise<void> {
    await Promise.allSettled(this.upnp.pending);
  }

  private now(): number {
    return this.ctx.now();
  }

  /** Performs every queued action, reports a phase change, re-arms the deadline timer. */
  private drain(): void {
    for (let a = this.machine.pollAction(); a !== undefined; a = this.machine.pollAction()) {
      switch (a.type) {
        case 'gather':
          void this.gather();
          break;
        case 'sendCandidates':
          this.ctx.sendCandidates([...a.candidates], this.ctx.natHint(), this.lateExpected === 0);
          break;
        case 'punch':
          this.startPunching(a.remoteCandidates, a.startAt);
          break;
        case 'connect':
          this.handshake.connect(a.remote);
          break;
        case 'accept':
          // The connector's CONNECT will arrive; service the host until it does.
          if (this.handshake.secure()) void this.handshake.service();
          break;
        case 'addMeshPeer':
          this.handshake.handOver();
          break;
        case 'report':
          this.ctx.onOutcome(a.outcome);
          break;
        case 'release':
          this.release();
          break;
      }
    }
    if (this.machine.phase !== this.lastPhase) {
      this.lastPhase = this.machine.phase;
      this.ctx.onPhase(this.lastPhase);
    }
    this.armTimer();
  }

  private armTimer(): void {
    this.timer.arm(this.released ? undefined : this.machine.pollTimeout());
  }

  private async gather(): Promise<void> {
    let socket = this.ctx.prepared === undefined ? undefined : await this.ctx.prepared;
    if (socket === undefined) {
      try {
        socket = await gatherLinkSocket({
          bindAddress: this.ctx.config.bindAddress,
          stunServers: this.ctx.stunServers,
          ...(this.ctx.config.upnp ? { mapPort: (port: number) => this.upnp.open(port) } : {}),
          // Released while gathering: release() destroys the host it finds here.
          onBound: (host) => {
            this.host = host;
            this.guardHost(host);
          },
        });
      } catch (err) {
        this.host = undefined;
        if (this.released) return;
        this.machine.handleGatherFailed(this.now(), err instanceof LinkSocketError ? err.reason : 'gather-failed', (err as Error).message);
        this.drain();
        return;
      }
    }
    if (this.released) {
      // release() destroyed the host it saw; a pooled socket it never saw is destroyed here.
      if (this.host !== socket.host) socket.host.destroy();
      return;
    }
    this.host = socket.host;
    this.guardHost(socket.host);
    this.transport = socket.transport;
    this.router = new LinkRouter(socket.host, socket.transport);
    this.local = [...socket.candidates];
    // Trickled after the first batch (protocol `pair.candidates`: several per pair, `done` on the
    // last): the UPnP mapping when the router answers, and a srflx when no STUN answer came in
    // gathering's window (a peer that knows only our private host address has nothing its relay
    // may permit). The first batch says `done: false` while either is on the way.
    const askReflexive = this.ctx.stunServers.length > 0 && !this.local.some((c) => c.kind === 'srflx');
    // Beside it the connect side asks the relay (XOR-MAPPED-ADDRESS, relayReflexive; issue 11: else
    // relay-failed); the listen side's comes with its allocation, made at once then (checkPredicted).
    const noMapping = wantsRelayMapping(this.local, this.ctx.relayOffered, socket.stunAnswered);
    const askRelay = this.ctx.start.role === 'connect' && noMapping;
    // A STUN answer that was only late (a loaded machine) comes to the late ask: only then is it missing.
    const noneOfOurOwn = this.ctx.start.role === 'listen' && noMapping && socket.upnp === undefined;
    this.mappingUnknown = noneOfOurOwn && !askReflexive;
    this.lateExpected = (socket.upnp === undefined ? 0 : 1) + (askReflexive ? 1 : 0) + (askRelay ? 1 : 0);
    this.machine.handleGathered(this.now(), this.local);
    this.drain();
    void socket.upnp?.then((c) => this.lateSettled(c === undefined ? [] : [c]));
    if (askReflexive) {
      void this.askReflexive().then((fresh) => {
        this.lateSettled(fresh);
        this.mappingUnknown = noneOfOurOwn && !this.local.some((c) => c.kind === 'srflx');
        if (!this.released) this.checkPredicted();
      });
    }
    if (askRelay) void relayReflexive(this.router, () => this.ctx.relayAccess(), () => this.local).then((fresh) => this.lateSettled(fresh));
  }

  /**
   * One source of late candidates settled: what it found (not known already) is kept and sent to
   * the peer, with `done` once no other is on the way — then an empty message carries it.
   */
  private lateSettled(found: readonly RankedCandidate[]): void {
    this.lateExpected--;
    if (this.released || this.machine.phase === 'failed' || this.machine.phase === 'closed') return;
    const fresh = found.filter((c) => !this.local.some((l) => l.address === c.address && l.port === c.port));
    if (fresh.length === 0 && this.lateExpected > 0) return;
    for (const c of fresh) trace(`link ${this.ctx.start.remoteId} late ${c.kind} candidate ${c.address}:${c.port} (phase ${this.machine.phase})`);
    this.local.push(...fresh);
    this.ctx.sendCandidates(fresh, this.ctx.natHint(), this.lateExpected === 0);
  }

  /**
   * The link's host has one slot: it takes a CONNECT only from a source the punch proved (it sent
   * a probe that passed MESSAGE-INTEGRITY under the pair secret, or answered one of ours), and
   * only on the listen side. A stranger's CONNECT sent to the port first used to take the slot
   * for ≈ 32 s and cut the member out of the mesh (issue 13 item 2).
   */
  private guardHost(host: ENetConnection): void {
    host.acceptFrom((address, port) => this.ctx.start.role === 'listen' && this.isProvenSource(address, port));
  }

  /**
   * What became of this link's checks, per remote address (protocol 1.6 `probes`), within
   * `maxBytes` of JSON; undefined when the link never probed nor refused a candidate.
   */
  probeReport(maxBytes: number): ProbeReport | undefined {
    return linkProbeReport(this.punch ?? this.lastDirectPunch, this.relayPunch, this.malformed, maxBytes);
  }

  /** Whether the punch has proof that `address:port` holds the pair secret. */
  private isProvenSource(address: string, port: number): boolean {
    return isProvenSource([this.punch, this.relayPunch], address, port);
  }

  private startPunching(remote: readonly RankedCandidate[], startAt: number): void {
    if (this.transport === undefined || this.router === undefined) return;
    // DTLS goes on before any probe: the listener must already answer the connector's first
    // ClientHello, or it is lost and the handshake waits a 1 s retransmission.
    if (!this.handshake.secure()) return;
    const punch = this.startDirectPunch(remote, startAt);
    if (punch === undefined) return;
    const rejected = [...this.malformed, ...punch.rejectedCandidates()];
    if (rejected.length > 0) this.ctx.onCandidatesRejected?.(rejected);
    this.rejectedDetail = refusalDetail(rejected);
    // The listen side allocates (relay.md §3): at once (checkPredicted), else when nothing is
    // proven RELAY_AFTER_MS after probing began.
    if (this.ctx.start.role !== 'listen' || !this.ctx.relayOffered) return;
    this.checkPredicted();
    if (this.relayState !== 'idle') return;
    this.relayTimer = setTimeout(() => {
      this.relayTimer = undefined;
      if (this.router !== undefined && !this.router.mux.has('direct') && this.machine.phase === 'punching') this.startRelay('timer');
    }, RELAY_AFTER_MS);
  }

  /** A direct punch on the link socket (the first one, or a re-probe of a relayed link). */
  private startDirectPunch(remote: readonly RankedCandidate[], startAt: number): PunchSession | undefined {
    const router = this.router!;
    let punch: PunchSession;
    try {
      this.timed = new TimedTransport(router.direct.transport);
      punch = new PunchSession(this.timed, directPunchOptions(this.ctx, this.local, remote, startAt, this.now()));
    } catch (err) {
      if (this.punch === undefined) {
        this.machine.handlePunchFailed(this.now(), (err as Error).message);
        this.drain();
      }
      return undefined;
    }
    this.punch = punch;
    this.directProbing = true;
    const onPath = (e: Extract<PunchEvent, { type: 'selected' | 'nominated' }>): void => {
      if (this.punch !== punch || this.released) return;
      this.directProbing = false;
      trace(`link ${this.ctx.start.remoteId} direct look ${e.type} ${JSON.stringify(e.selected)} counters ${JSON.stringify(punch.machine.counters)}`);
      const { address, port } = e.selected;
      if (this.punchRttMs === undefined) this.punchRttMs = this.timed?.firstRttTo(address, port) ?? e.selected.rttMs;
      this.pathProven({ slot: 'direct', kind: linkPath(e.selected.path, address, isOwnAddress(address)), via: 'socket', to: { address, port } });
    };
    punch.on('selected', onPath);
    punch.on('nominated', onPath);
    punch.on('peerReflexive', () => this.peerFoundUs());
    punch.on('failed', (e: Extract<PunchEvent, { type: 'failed' }>) => {
      if (this.punch !== punch || this.released) return;
      this.directProbing = false;
      trace(`link ${this.ctx.start.remoteId} look counters ${JSON.stringify(punch.machine.counters)} checks ${JSON.stringify(punch.timeline())}`);
      this.directEnded(e.reason);
    });
    return punch;
  }

  /**
   * The peer's check from a source we never knew, under the pair secret, while the link is
   * relayed and no look is running: the peer found a way to us (its NAT changed) and an ended
   * punch only answered it. Look now, so our own check proves the path too — otherwise the peer
   * goes direct and we stay relayed, the NAT hints (measured once) ruling out every later look.
   */
  private peerFoundUs(): void {
    trace(`link ${this.ctx.start.remoteId} peer check from a new source (probing ${this.directProbing}, direct ${this.router?.mux.has('direct')})`);
    if (this.released || this.directProbing || !(this.handshake.handedOver || this.directFailed) || this.router?.mux.has('direct') !== false) return;
    this.lookTrigger.peerCandidates();
    this.reprobeNow();
  }

  /** The direct punch ended: consent lost on a path in use, or no path found. */
  private directEnded(reason: string): void {
    const router = this.router!;
    trace(`link ${this.ctx.start.remoteId} direct look ended: ${reason} (direct ${router.mux.has('direct')}, relay ${router.mux.has('relay')})`);
    if (router.mux.has('direct')) {
      this.pathLost('direct');
      return;
    }
    if (this.handshake.handedOver || router.mux.has('relay')) {
      // A re-probe of a relayed link found nothing: try again later.
      this.scheduleReprobe();
      return;
    }
    this.directFailed = true;
    if (this.relayState === 'failed' || !this.ctx.relayOffered) {
      this.failPunch('punch-failed', reason);
      return;
    }
    // The relay may still link us: the listen side allocates now if it has not; the connect
    // side waits for the relay candidate (the machine's deadline bounds it).
    if (this.ctx.start.role === 'listen') this.startRelay('punch failed');
  }

  /** Ends the attempt: the direct punch and the relay both failed (or the relay was never possible). */
  private failPunch(reason: 'punch-failed' | 'relay-failed', detail: string): void {
    if (this.machine.phase !== 'punching') return;
    this.machine.handlePunchFailed(this.now(), `${detail}${this.rejectedDetail}`, reason);
    this.drain();
  }

  /** Listen side: allocates on the link socket, sends the `relay` candidate, and answers checks through it. */
  private startRelay(why: string): void {
    const router = this.router;
    if (router === undefined || router.allocating || this.relayState !== 'idle' || this.released) return;
    this.relayState = 'started';
    if (this.relayTimer !== undefined) clearTimeout(this.relayTimer);
    this.relayTimer = undefined;
    this.machine.handleRelayStarted(this.now());
    this.drain();
    void (async () => {
      try {
        const access = await this.ctx.relayAccess();
        if (access === undefined) throw new AgentError('AGENT_SIGNAL_FAILED', 'the service gave no relay credentials');
        if (this.released) return;
        // Permissions are IP-only (RFC 8656 §9): the peer's addresses the relay can reach. Only a
        // private host address known yet (its STUN answer missed gathering) asks none: its srflx
        // candidate, when it comes, gets one (permitPeer). Asked for, that address was refused
        // (403) and the refusal failed the link (natlab, 5 % loss: 1 run in 3).
        const { relayed, mapped } = await router.allocate(access, relayPermissionIps(this.remote, access.server.address, router.permissionsAsked));
        if (this.released) return;
        // No STUN answer gave us a srflx: the allocation's XOR-MAPPED-ADDRESS is one (a direct
        // path may still form through it, and the relay is let go after relayReleaseMs).
        const srflx = !this.local.some((c) => c.kind === 'srflx') ? reflexiveFromRelay(this.local, mapped) : undefined;
        if (srflx !== undefined) {
          this.local.push(srflx);
          this.ctx.sendCandidates([srflx], this.ctx.natHint());
        }
        // Candidates that came while allocating get their permissions now; later ones as they come.
        this.relayServer = access.server.address;
        this.permitPeer();
        this.ctx.onRelayAllocated?.(relayed, access.server);
        this.startRelayPunch([]);
        this.ctx.sendCandidates([{ kind: 'relay', family: 4, address: relayed.address, port: relayed.port, priority: candidatePriority('relay') }], this.ctx.natHint());
      } catch (err) {
        this.relayFailed(`relay allocation (${why}) failed: ${(err as Error).message}`);
      }
    })();
  }

  /**
   * Our allocation permits the peer's addresses announced after it was made (a srflx or upnp
   * candidate that came late). A refusal fails that address only; the relay punch's own limit
   * ends a link none of whose addresses were permitted.
   */
  private permitPeer(): void {
    const router = this.router;
    if (router === undefined || router.turnClient === undefined || this.relayServer === undefined || this.released) return;
    const ips = relayPermissionIps(this.remote, this.relayServer, router.permissionsAsked);
    if (ips.length === 0) return;
    void router.permit(ips).then((refused) => {
      for (const r of refused) trace(`link ${this.ctx.start.remoteId} relay refused a permission for ${r.ip}: ${r.detail}`);
    });
  }

  /** Connect side: the peer allocated; probe its relayed address as a plain UDP candidate. */
  private peerRelayCandidate(c: Candidate): void {
    if (this.ctx.start.role !== 'connect' || this.relayPunch !== undefined || this.router === undefined) return;
    const v = validateCandidate({ ...c, priority: c.priority ?? 1 });
    if (!v.ok) return;
    this.relayState = 'started';
    this.machine.handleRelayStarted(this.now());
    this.router.setPeerRelay({ address: v.candidate.address, port: v.candidate.port });
    this.startRelayPunch([v.candidate]);
  }

  private startRelayPunch(remote: readonly RankedCandidate[]): void {
    const router = this.router!;
    let punch: PunchSession;
    try {
      punch = new PunchSession(router.relay.transport, relayPunchOptions(this.ctx, this.local, remote, this.now()));
    } catch (err) {
      this.relayFailed(`relay punch: ${(err as Error).message}`);
      return;
    }
    this.relayPunch = punch;
    const onPath = (e: Extract<PunchEvent, { type: 'selected' | 'nominated' }>): void => {
      if (this.relayPunch !== punch || this.released) return;
      const { address, port } = e.selected;
      const route: PathRoute = this.ctx.start.role === 'listen'
        ? { slot: 'relay', kind: 'relay', via: 'turn', to: { address, port } }
        : { slot: 'relay', kind: 'relay', via: 'socket', to: { address, port } };
      this.pathProven(route);
    };
    punch.on('selected', onPath);
    punch.on('nominated', onPath);
    punch.on('peerReflexive', () => this.peerFoundUs());
    punch.on('failed', (e: Extract<PunchEvent, { type: 'failed' }>) => {
      if (this.relayPunch !== punch || this.released) return;
      // Beside a direct path in use (the peer released its allocation first): let go of it too.
      if (this.router?.mux.active?.slot === 'direct') this.dropRelay();
      else if (this.router?.mux.has('relay')) this.pathLost('relay');
      else this.relayFailed(`no check answered through the relay (${e.reason})`);
    });
  }

  private relayFailed(detail: string): void {
    if (this.released) return;
    this.relayState = 'failed';
    if (this.router?.mux.has('direct')) return;
    if (this.handshake.handedOver) {
      // The fallback could not be made: the link is gone (the mesh sees the peer disconnect).
      if (this.router?.mux.active === undefined || !this.router.mux.has('relay')) this.handshake.peer?.peerDisconnectNow(0);
      return;
    }
    if (this.directFailed || this.machine.phase === 'punching') this.failPunch('relay-failed', detail);
  }

  /** A punch proved a path: the first one starts the ENet handshake; later ones may move the live peer. */
  private pathProven(route: PathRoute): void {
    const router = this.router!;
    const change = router.mux.prove(route);
    if (this.fallbackTimer !== undefined) {
      clearTimeout(this.fallbackTimer);
      this.fallbackTimer = undefined;
    }
    if (route.slot === 'direct' && this.relayTimer !== undefined) {
      clearTimeout(this.relayTimer);
      this.relayTimer = undefined;
    }
    // Relayed before any direct path: look for one later (the first punch may have ended first).
    if (route.slot === 'relay' && !this.directProbing && !router.mux.has('direct')) this.scheduleReprobe();
    // Direct in use and a relay path beside it (an upgrade, or a relay that proved after the
    // direct path won): the relay goes after relayReleaseMs unless the direct path fails first.
    this.updateRelayRelease();
    if (this.machine.phase === 'punching') {
      this.machine.handlePunchSucceeded(this.now(), route.to, route.kind);
      this.drain();
      return;
    }
    if (change !== undefined) this.reportChange(change);
  }

  /** A path in use lost consent: the other takes over, or (without one) the fallback begins. */
  private pathLost(slot: PathSlot): void {
    const router = this.router!;
    const change = router.mux.lose(slot);
    this.updateRelayRelease();
    if (change !== undefined) this.reportChange(change);
    if (slot === 'direct') {
      this.lastDirectPunch = this.punch;
      this.punch = undefined;
      this.scheduleReprobe();
    }
    if (router.mux.has('direct') || router.mux.has('relay')) return;
    if (slot === 'direct' && this.ctx.relayOffered && this.relayState !== 'failed') {
      // Relay fallback (relay.md §3): the listen side allocates now; the connect side probes the
      // relay candidate when it comes. ENet's timeout (peerTimeoutMs) bounds the wait.
      if (this.ctx.start.role === 'listen') {
        if (this.relayState === 'idle') this.startRelay('consent lost');
      } else if (this.relayPunch === undefined && this.relayState === 'started') {
        // Nothing to do: the peer's relay candidate starts the relay punch.
      }
      this.armFallbackDeadline();
      return;
    }
    // No path left and no relay to fall back on: reset the ENet peer; the mesh's next poll sees
    // it inactive and emits peerDisconnected (Godot's _disconnect_inactive_peers).
    this.handshake.peer?.peerDisconnectNow(0);
  }

  /** A dead peer answers no relayed check either: drop it when the fallback has not proven in time. */
  private armFallbackDeadline(): void {
    if (this.fallbackTimer !== undefined) return;
    const { peerTimeoutMs } = this.ctx.config;
    const consentMs = Math.min(DIRECT_CONSENT_WITH_RELAY_MS, peerTimeoutMs);
    this.fallbackTimer = setTimeout(() => {
      this.fallbackTimer = undefined;
      const mux = this.router?.mux;
      if (this.released || mux === undefined || mux.has('direct') || mux.has('relay')) return;
      this.handshake.peer?.peerDisconnectNow(0);
    }, fallbackDeadlineMs(peerTimeoutMs, consentMs));
    this.fallbackTimer.unref();
  }

  private reportChange(change: PathChange): void {
    // ENet's back-off grew while the old path died: what is in flight goes out now on the new one.
    if (change.from !== undefined) this.handshake.peer?.retransmitNow();
    if (!this.handshake.handedOver || change.from === undefined || change.from === change.to) return;
    this.ctx.onPathChanged?.(change.from, change.to);
  }

  /** A relayed link looks for a direct path again in directReprobeMs (relay.md §3 upgrade). */
  private scheduleReprobe(): void {
    if (this.reprobeTimer !== undefined || this.released || this.remote.length === 0) return;
    this.reprobeTimer = setTimeout(() => {
      this.reprobeTimer = undefined;
      void this.reprobe();
    }, this.ctx.config.directReprobeMs);
    this.reprobeTimer.unref();
  }

  /** The peer sent new candidates while we are relayed: look for a direct path now (a look under way sees them too). */
  private reprobeNow(): void {
    if (this.reprobeTimer !== undefined) clearTimeout(this.reprobeTimer);
    this.reprobeTimer = undefined;
    void this.reprobe();
  }

  /**
   * One look for a direct path from a relayed link: our mapping is asked again (a NAT that
   * changed gives a new server-reflexive address, which the peer gets as a candidate), then the
   * peer's candidates are probed in a bounded burst. A pair the NAT hints rule out probes only
   * when something changed — our mapping, or the peer's candidates — since the hints were
   * measured once, when the session began; otherwise the next look is scheduled.
   */
  private async reprobe(): Promise<void> {
    const router = this.router;
    if (this.released || router === undefined || router.mux.has('direct') || this.directProbing || this.refreshing) return;
    this.refreshing = true;
    let changed: boolean;
    try {
      changed = await this.refreshReflexive();
    } finally {
      this.refreshing = false;
    }
    if (this.released || router.mux.has('direct') || this.directProbing) return;
    const hard = predictedHard(this.ctx.natHint(), this.remoteNat);
    trace(`link ${this.ctx.start.remoteId} reprobe: mapping changed ${changed}, peer candidates changed ${this.lookTrigger.peerCandidatesChanged}, predicted hard ${hard}`);
    if (!this.lookTrigger.take(changed, hard)) {
      this.scheduleReprobe();
      return;
    }
    // A look that cannot start (bad candidates) tries again later rather than never.
    if (this.startDirectPunch(this.remote, this.now()) === undefined) this.scheduleReprobe();
  }

  /**
   * Asks the STUN servers for the link socket's mapping again; a server-reflexive address not
   * among ours is added and sent to the peer (at most MAX_REFRESHED_REFLEXIVE per link).
   * Resolves whether one was added; never rejects (no answer is no change).
   */
  private async refreshReflexive(): Promise<boolean> {
    const fresh = await this.askReflexive();
    if (this.released || fresh.length === 0) return false;
    this.local.push(...fresh);
    this.ctx.sendCandidates(fresh, this.ctx.natHint());
    return true;
  }

  /** The link socket's server-reflexive addresses not among ours (counted against MAX_REFRESHED_REFLEXIVE); never rejects. */
  private async askReflexive(): Promise<RankedCandidate[]> {
    const router = this.router;
    const room = MAX_REFRESHED_REFLEXIVE - this.refreshedReflexive;
    if (router === undefined || room <= 0) return [];
    const answered = await refreshReflexive(router.direct.transport, this.ctx.stunServers, linkSocketFamily(this.ctx.config.bindAddress), this.local, room);
    // Two asks may run at once (gathering's late srflx and a look's): each address goes out once.
    const fresh = answered.filter((c) => !this.local.some((l) => l.address === c.address && l.port === c.port));
    this.refreshedReflexive += fresh.length;
    return fresh;
  }

  /**
   * Re-arms the relay release after a path change (core/relay-release.ts): direct for
   * relayReleaseMs with a relay beside it drops the relay path and releases our allocation; a
   * direct path that fails later falls back by allocating afresh.
   */
  private updateRelayRelease(): void {
    const router = this.router;
    if (router === undefined || this.released) return;
    this.relayRelease.update(this.now(), router.mux);
    this.releaseTimer.arm(this.relayRelease.pollTimeout());
  }

  /**
   * Lets go of the relay while a direct path carries the link: the relay punch stops, the
   * relay path leaves the mux, our allocation is released (Refresh 0) or the peer's relayed
   * address forgotten. The relay may start again from scratch (a fallback allocates afresh).
   */
  private dropRelay(): void {
    const router = this.router;
    if (router === undefined) return;
    this.relayPunch?.stop();
    this.relayPunch = undefined;
    router.mux.lose('relay');
    router.releaseRelay();
    this.relayServer = undefined;
    this.relayState = 'idle';
    this.updateRelayRelease();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.timer.cancel();
    this.punch?.stop();
    this.relayPunch?.stop();
    for (const t of [this.relayTimer, this.reprobeTimer, this.fallbackTimer]) if (t !== undefined) clearTimeout(t);
    this.releaseTimer.cancel();
    this.relayTimer = undefined;
    this.fallbackTimer = undefined;
    this.reprobeTimer = undefined;
    this.router?.close();
    this.upnp.close();
    if (this.host !== undefined) {
      this.host.intercept = null;
      this.host.egress = null;
      // Once handed over, the mesh owns the host and destroys it when the peer goes.
      if (!this.handshake.handedOver) this.host.destroy();
    }
  }
}

