// One pair link, end to end (adapter): a fresh ENet host on its own port, candidates gathered
// from that socket, the punch, the ENet handshake, the hand-over to the mesh. It performs the
// actions the LinkMachine (core) emits and feeds it the results.

import type { Candidate as WireCandidate } from '@meshpunch/protocol';
import type { Endpoint } from '../core/endpoint.js';
import { LinkMachine, type LinkOutcome, type LinkPhase, type LinkStart, type LinkTimeouts, type PathKind } from '../core/link-machine.js';
import { CoreDriver } from './core-driver.js';
import { gatherCandidates, type GatheredCandidate } from './gather.js';
import { createHost, EVENT_CONNECT, EVENT_DISCONNECT, type LinkHost, type LinkPeer } from './host.js';
import type { JoinMeshConfig } from './options.js';
import { startPunch, type PunchHandle } from './punch.js';

export type { LinkHost };

/** What a LinkRunner needs from its session. */
export interface LinkContext {
  readonly ownId: number;
  readonly start: LinkStart;
  /** The pair secret from pair.start (base64url, 16 bytes): authenticates punch probes. */
  readonly secret: string;
  readonly config: JoinMeshConfig;
  /** STUN servers to ask from this link's socket (resolved addresses). */
  readonly stunServers: readonly Endpoint[];
  readonly timeouts: LinkTimeouts;
  now(): number;
  sendCandidates(candidates: WireCandidate[]): void;
  onPhase(phase: LinkPhase): void;
  /** Hands the connected host to the mesh. @throws when addMeshPeer refuses it. */
  addMeshPeer(host: LinkHost): void;
  onOutcome(outcome: LinkOutcome): void;
}

/**
 * How often the runner services its host during the ENet handshake, ms. Only then: before, ENet
 * has no peer; after, the mesh's poll services it. 5 ms matches the mesh's autoPoll period.
 */
const SERVICE_INTERVAL_MS = 5;
/** ENet peer timeout: limit 32 (ENet default) with min 1000 ms, so a dead peer goes within peerTimeoutMs. */
const PEER_TIMEOUT_LIMIT = 32;
const PEER_TIMEOUT_MIN_MS = 1000;

/** Drives one LinkMachine with real sockets. */
export class LinkRunner {
  readonly machine: LinkMachine<GatheredCandidate>;
  private readonly ctx: LinkContext;
  private host: LinkHost | undefined = undefined;
  private driver: CoreDriver | undefined = undefined;
  private punch: PunchHandle | undefined = undefined;
  private peer: LinkPeer | undefined = undefined;
  private local: GatheredCandidate[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  private serviceTimer: NodeJS.Timeout | undefined = undefined;
  private handedOver = false;
  private released = false;
  private lastPhase: LinkPhase;

  constructor(ctx: LinkContext) {
    this.ctx = ctx;
    this.machine = new LinkMachine<GatheredCandidate>(ctx.start, ctx.timeouts);
    this.lastPhase = this.machine.phase;
  }

  /** Starts the attempt. */
  begin(): void {
    this.machine.begin(this.now());
    this.drain();
  }

  /** Candidates from the remote side arrived through the service. */
  remoteCandidates(candidates: readonly WireCandidate[], _done: boolean): void {
    const list: GatheredCandidate[] = candidates.map((c) => ({ kind: c.kind, address: c.address, port: c.port, priority: c.priority ?? 0 }));
    this.machine.handleRemoteCandidates(this.now(), list);
    this.drain();
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

  /** ENet's current RTT estimate for the link, ms, when connected. */
  currentRttMs(): number | undefined {
    return this.peer === undefined || this.machine.phase !== 'connected' ? undefined : this.peer.getRoundTripTime();
  }

  private now(): number {
    return this.ctx.now();
  }

  /** Performs every queued action, then re-arms the deadline timer and reports phase changes. */
  private drain(): void {
    for (let a = this.machine.pollAction(); a !== undefined; a = this.machine.pollAction()) {
      switch (a.type) {
        case 'gather':
          void this.gather();
          break;
        case 'sendCandidates':
          this.ctx.sendCandidates(a.candidates.map((c) => toWire(c)));
          break;
        case 'punch':
          this.startPunching(a.remoteCandidates, a.startAt);
          break;
        case 'connect':
          this.connect(a.remote);
          this.startServicing();
          break;
        case 'accept':
          // Service the host until the connector's CONNECT arrives.
          this.startServicing();
          break;
        case 'addMeshPeer':
          this.handOver();
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.machine.pollTimeout();
    if (at === undefined || this.released) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.machine.handleTimeout(this.now());
      this.drain();
    }, Math.max(0, Math.ceil(at - this.now())));
  }

  private async gather(): Promise<void> {
    let host: LinkHost;
    try {
      host = await createHost(this.ctx.config.bindAddress);
    } catch (err) {
      this.machine.handleGatherFailed(this.now(), 'bind-failed', (err as Error).message);
      this.drain();
      return;
    }
    if (this.released) {
      host.destroy();
      return;
    }
    this.host = host;
    this.driver = new CoreDriver(host, () => this.now());
    host.intercept = this.driver.intercept;
    try {
      this.local = await gatherCandidates({
        driver: this.driver,
        localPort: host.getLocalPort(),
        bindAddress: this.ctx.config.bindAddress,
        stunServers: this.ctx.stunServers,
        upnp: this.ctx.config.upnp,
        now: () => this.now(),
      });
    } catch (err) {
      this.machine.handleGatherFailed(this.now(), 'gather-failed', (err as Error).message);
      this.drain();
      return;
    }
    if (this.released) return;
    this.machine.handleGathered(this.now(), this.local);
    this.drain();
  }

  private startPunching(remote: readonly GatheredCandidate[], startAt: number): void {
    if (this.driver === undefined) return;
    this.punch = startPunch({
      driver: this.driver,
      role: this.ctx.start.role,
      pairId: this.ctx.start.pairId,
      secret: this.ctx.secret,
      startAt,
      local: this.local,
      remote,
      timeoutMs: this.ctx.timeouts.punchMs,
      now: () => this.now(),
      onResult: (r) => {
        if (r.ok) this.machine.handlePunchSucceeded(this.now(), r.remote, r.path);
        else this.machine.handlePunchFailed(this.now(), r.detail);
        this.drain();
      },
    });
  }

  private connect(remote: Endpoint): void {
    if (this.host === undefined) return;
    try {
      // Godot's convention: the CONNECT data is our unique id (godot-enet.md §2.5).
      this.peer = this.host.connectToHost(remote.address, remote.port, 0, this.ctx.ownId);
      this.peer.setTimeout(PEER_TIMEOUT_LIMIT, PEER_TIMEOUT_MIN_MS, this.ctx.config.peerTimeoutMs);
    } catch (err) {
      this.machine.handleLost(this.now(), `connectToHost failed: ${(err as Error).message}`);
      this.drain();
    }
  }

  private startServicing(): void {
    if (this.serviceTimer !== undefined || this.released) return;
    this.serviceTimer = setInterval(() => this.service(), SERVICE_INTERVAL_MS);
  }

  private stopServicing(): void {
    if (this.serviceTimer !== undefined) clearInterval(this.serviceTimer);
    this.serviceTimer = undefined;
  }

  /** Services the host until the mesh owns it; only CONNECT/DISCONNECT matter before that. */
  private service(): void {
    const host = this.host;
    if (host === undefined || this.handedOver || this.released) return;
    for (let i = 0; i < 64; i++) {
      const ev = host.serviceSync();
      if (ev.type === EVENT_CONNECT && ev.peer !== undefined) {
        const phase = this.machine.phase;
        if (phase === 'accepting' && ev.data !== this.ctx.start.remoteId) {
          // Someone else reached our pinhole: exactly one peer, the expected one, is accepted.
          ev.peer.reset();
          continue;
        }
        if (phase !== 'accepting' && phase !== 'connecting') {
          ev.peer.reset();
          continue;
        }
        this.peer = ev.peer;
        this.peer.setTimeout(PEER_TIMEOUT_LIMIT, PEER_TIMEOUT_MIN_MS, this.ctx.config.peerTimeoutMs);
        const remote = { address: ev.peer.getRemoteAddress(), port: ev.peer.getRemotePort() };
        this.machine.handleConnected(this.now(), this.localEndpoint(), remote, ev.peer.getRoundTripTime());
        this.drain();
        return;
      }
      if (ev.type === EVENT_DISCONNECT) {
        this.machine.handleLost(this.now(), 'the ENet handshake was refused or timed out');
        this.drain();
        return;
      }
      if (ev.type <= 0) return;
    }
  }

  private localEndpoint(): Endpoint {
    const port = this.host?.getLocalPort() ?? 0;
    const host = this.local.find((c) => c.kind === 'host');
    return { address: host?.address ?? this.ctx.config.bindAddress, port };
  }

  private handOver(): void {
    const host = this.host;
    if (host === undefined) return;
    this.stopServicing();
    try {
      this.ctx.addMeshPeer(host);
      this.handedOver = true;
      this.machine.handleAdded(this.now());
    } catch (err) {
      this.machine.handleAddFailed(this.now(), (err as Error).message);
    }
    this.drain();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.stopServicing();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.punch?.cancel();
    this.driver?.stop();
    if (this.host !== undefined) {
      this.host.intercept = null;
      // Once handed over, the mesh owns the host (it destroys it when the peer goes).
      if (!this.handedOver) this.host.destroy();
    }
  }
}

function toWire(c: GatheredCandidate): WireCandidate {
  return { kind: c.kind, family: c.address.includes(':') ? 6 : 4, address: c.address, port: c.port, priority: c.priority };
}

export type { PathKind };
