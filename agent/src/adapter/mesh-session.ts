// The MeshSession joinMesh returns (adapter): the lobby view, one LinkRunner per scheduled pair,
// the ENetMultiplayerPeer in mesh mode, and the live report. joinMesh (join-mesh.ts) loads this
// module while its signaling round trips are in flight.

import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import type { ENetConnection } from '@meshpunch/enet';
import { ENetMultiplayerPeer, TransferMode } from '@meshpunch/multiplayer';
import type { UpnpGateway } from '@meshpunch/nat';
import type { Candidate, FailureReason, MemberView, NatHint } from '@meshpunch/protocol';
import type { PairStart, SignalingClient } from '@meshpunch/signaling/client';
import { formatEndpoint, isIpv4, isIpv6, type Endpoint } from '../core/endpoint.js';
import type { LinkFailureReason, LinkOutcome } from '../core/link-machine.js';
import type { MeshEvent } from '../core/mesh-events.js';
import { MeshView, type MeshReport } from '../core/mesh-view.js';
import { AgentError } from '../errors.js';
import { LinkRunner } from './link-runner.js';
import { PAIR_RESULT_ENVELOPE_BYTES } from '../core/probe-report.js';
import type { RelayAccess } from './link-router.js';
import { discoverNatHint } from './nat-hint.js';
import { LinkSecurity, SessionIdentity } from './link-security.js';
import type { JoinMeshConfig } from './options.js';
import type { SocketPool } from './socket-pool.js';

/** Events of a MeshSession. */
export interface MeshSessionEvents {
  /** Every step, in order (see MeshEvent). */
  progress: [event: MeshEvent];
}

/** Most concurrent links: a lobby holds at most 32 members (docs/design.md), so 31 links, with room for replacements. */
const MAX_LINKS = 64;
/** Longest wait in close() for links to release (TURN Refresh 0 is bounded at 1 s), ms. */
const RELEASE_WAIT_MS = 3500;
/**
 * HTTP limit of each request to the UPnP router, ms. Gathering does not wait for the mapping
 * (link-socket.ts), so a slow router only delays the upnp candidate; at the IGD client's 3 s a
 * miniupnpd slowed by load answered DeletePortMapping too late and rules stayed behind.
 */
const UPNP_HTTP_MS = 6000;
/** Longest wait in close() with --upnp: a mapping's deletion may ask twice (deleteMapping in link-runner.ts). */
const UPNP_RELEASE_WAIT_MS = 2 * UPNP_HTTP_MS + 500;
/** SSDP search time for the session's one UPnP gateway discovery, ms (answers come in ~100 ms on a LAN). */
const UPNP_DISCOVERY_MS = 2000;
/** Default limit of a graceful close(), ms: settling, delivering queued data, the peers' acknowledgements. */
export const CLOSE_TIMEOUT_MS = 5000;
/**
 * close() waits this long after the lobby settled before telling the peers: a member whose last
 * link just came up sends its own data right after (the README snippet's putPacket), and leaving
 * at once would cut it off. Several event-loop turns and RTTs of a LAN link.
 */
const CLOSE_LINGER_MS = 500;

/** Where the signaling connection stands (issue #12: losing it is a state, not an error). */
export type SignalState = 'connected' | 'reconnecting' | 'lost';

/** Options of MeshSession#close. */
export interface CloseOptions {
  /**
   * ms the graceful part may take: waiting until every link of the lobby has an outcome, then
   * ENet's disconnect-later to every peer (queued reliable data delivered first) and their
   * acknowledgements. Past it, what is left is dropped at once. 0 = drop at once. Default 5000.
   */
  timeoutMs?: number;
  /** ms to wait after the lobby settled before telling the peers (within timeoutMs). Default 500. */
  lingerMs?: number;
}

/** Maps the agent's typed link failures onto the protocol's bounded reason set. */
export function wireReason(r: LinkFailureReason): FailureReason {
  switch (r) {
    case 'auth-failed':
      return 'refused';
    case 'bind-failed':
    case 'add-failed':
      return 'error';
    case 'gather-failed':
    case 'exchange-timeout':
      return 'no-candidates';
    case 'punch-failed':
    case 'relay-failed':
      return 'unreachable';
    case 'punch-timeout':
    case 'connect-timeout':
      return 'timeout';
    case 'peer-left':
    case 'peer-lost':
      return 'cancelled';
  }
}

/** Signaling events that arrive before the session exists are held here, in order. */
export type Held =
  | { type: 'pair'; p: PairStart }
  | { type: 'cands'; pair: number; c: Candidate[]; nat?: NatHint | undefined; fp?: string | undefined }
  | { type: 'joined'; m: MemberView }
  | { type: 'left'; id: number }
  | { type: 'away'; id: number }
  | { type: 'back'; id: number }
  // The connection's own fate: one that dropped (or resumed, with the members the service knows)
  // while joining is news for the session too, not only once it exists.
  | { type: 'down'; detail: string; willRetry: boolean }
  | { type: 'resumed'; url: string; restored: boolean; members: number[] }
  | { type: 'lost'; detail: string };

/** One link as the session sees it, for a report of why the mesh is not complete. */
export interface LinkDiagnosis {
  readonly id: number;
  readonly role: 'connect' | 'listen';
  readonly phase: string;
  /** Whether the peer is a member in our view (a link to a non-member is never reported). */
  readonly member: boolean;
  /** Whether its host was handed to the mesh (addMeshPeer). */
  readonly inMesh: boolean;
}

/** What `meshpunch join --json` adds to an AGENT_TIMEOUT report (docs/cli.md). */
export interface MeshDiagnosis {
  readonly members: number[];
  readonly links: LinkDiagnosis[];
  /** The last membership and signaling events, `+<ms since the session began> <what>`, oldest first. */
  readonly events: string[];
}

/** Entries kept in the diagnosis' event log (oldest dropped). */
const MAX_DIAGNOSIS_EVENTS = 48;

/**
 * A joined mesh: `multiplayer` is the ENetMultiplayerPeer (mesh mode, autoPoll on) that carries
 * the game's packets; links appear in it as they are punched. Close it with `close()`.
 */
export class MeshSession extends EventEmitter<MeshSessionEvents> {
  /** Our unique peer id in the lobby (1 = creator). */
  readonly id: number;
  /** The lobby name or code as given. */
  readonly lobby: string;
  /** The mesh; `peerConnected(id)` fires as each link is added. */
  readonly multiplayer: ENetMultiplayerPeer;
  /** The lobby's live web view, when the service serves one (`meshpunch-signal --ui`). */
  viewUrl: string | undefined = undefined;
  private readonly config: JoinMeshConfig;
  private readonly client: SignalingClient;
  private readonly view: MeshView;
  private readonly stunServers: readonly Endpoint[];
  private readonly links = new Map<number, LinkRunner>();
  private readonly pairOfPeer = new Map<number, number>();
  /** Runners that ended before close(), whose clean-ups close() still awaits (bounded list). */
  private readonly released: LinkRunner[] = [];
  /** Peers currently added to the mesh with addMeshPeer. */
  private readonly meshPeers = new Set<number>();
  private upnp: Promise<UpnpGateway | undefined> | undefined = undefined;
  /** Link sockets gathered while joining (config.expectedPeers), handed to pairs as they start. */
  private readonly pool: SocketPool | undefined;
  private exchangeCounts: Map<number, number> | undefined = undefined;
  private closing = false;
  private signal: SignalState = 'connected';
  /** Times the signaling connection dropped while the session ran. */
  private outages = 0;
  /** pair.start messages refused (a link to ourselves, or past MAX_LINKS). */
  droppedPairs = 0;
  /** Our NAT hint (relay.md §3), once the session's discovery finished. */
  private natHint: NatHint | undefined = undefined;
  /** TURN credentials from the service, fetched on the first allocation and renewed at half their lifetime. */
  private relayCredentials: { at: number; ttlMs: number; access: Promise<RelayAccess | undefined> } | undefined = undefined;
  /** Relay allocations this session made (one per relayed link, on the listen side). */
  relayAllocations = 0;
  /** Membership and signaling events for diagnose(), bounded. */
  private readonly eventLog: string[] = [];
  private readonly startedAt = performance.now();
  /** This session's DTLS identity (link-security.ts); undefined with `secure: false`. */
  private readonly identity: SessionIdentity | undefined;

  /** @internal use joinMesh() (join-mesh.ts) */
  constructor(config: JoinMeshConfig, client: SignalingClient, id: number, members: readonly number[], stunServers: readonly Endpoint[], pool?: SocketPool, identity?: SessionIdentity) {
    super();
    this.pool = pool;
    this.config = config;
    this.client = client;
    this.id = id;
    this.lobby = config.lobby;
    this.stunServers = stunServers;
    this.view = new MeshView(id, config.lobby, config.secure);
    // joinMesh makes the identity while its lobby request is in flight; one per session either way.
    this.identity = config.secure ? (identity ?? new SessionIdentity()) : undefined;
    for (const m of members) this.view.addMember(m);
    this.multiplayer = new ENetMultiplayerPeer();
    this.multiplayer.createMesh(id);
    this.multiplayer.autoPoll = true;
    this.multiplayer.on('peerDisconnected', (peer) => this.onMeshPeerGone(peer));
    // The hint matters only when the service can relay: with none, nothing depends on it. Not
    // with --upnp either: a side that maps its link ports is reachable whatever its NAT filters,
    // and its links already spend up to 2 s of the 3 s gather limit in SSDP + mapping (in the
    // lab, discovery beside them pushed every UPnP link past the limit).
    if ((client.relay?.servers.length ?? 0) > 0 && stunServers.length > 0 && !config.upnp) void discoverNatHint(stunServers).then((h) => {
      this.natHint = h;
      if (h !== undefined && !this.closing) for (const r of this.links.values()) r.natHintKnown();
    });
  }

  /** Credentials for the service's relay, shared by the session's links (relay.credentials is rate-limited). */
  private relayAccess(): Promise<RelayAccess | undefined> {
    const now = performance.now();
    const c = this.relayCredentials;
    if (c !== undefined && now - c.at < c.ttlMs / 2) return c.access;
    const access = (async (): Promise<RelayAccess | undefined> => {
      const cred = await this.client.relayCredentials();
      const server = cred.servers[0];
      if (server === undefined) return undefined;
      const host = server.host ?? new URL(this.client.url).hostname.replace(/^\[|\]$/g, '');
      const address = isIpv4(host) || isIpv6(host) ? host : (await lookup(host, { family: 4 })).address;
      return { server: { address, port: server.port }, username: cred.username, password: cred.password };
    })();
    // A refusal is not cached: the next link asks again.
    access.catch(() => (this.relayCredentials = undefined));
    this.relayCredentials = { at: now, ttlMs: 600_000, access };
    void access.then(() => undefined, () => undefined);
    return access;
  }

  /** Number of lobby members, ourselves included. */
  get memberCount(): number {
    return this.view.memberCount;
  }

  /** True when every other member is linked. */
  get isFull(): boolean {
    return this.view.isFull;
  }

  /** True when every other member's link has an outcome. */
  get isSettled(): boolean {
    return this.view.isSettled;
  }

  /** Where the signaling connection stands: the links do not depend on it. */
  get signalState(): SignalState {
    return this.signal;
  }

  /** Times the signaling connection dropped while the session ran. */
  get signalOutages(): number {
    return this.outages;
  }

  /** Ids of the peers we have a live link with (in the mesh), for resume / lobby.restore. */
  linkedPeers(): number[] {
    return [...this.meshPeers];
  }

  /** The current report (same shape as `meshpunch join --json`). */
  report(): MeshReport {
    return this.view.report();
  }

  /** Subscribes to progress events; returns the unsubscribe function. */
  onProgress(listener: (e: MeshEvent) => void): () => void {
    this.on('progress', listener);
    return () => this.off('progress', listener);
  }

  /**
   * Resolves when the lobby has at least `members` members (ourselves included) and every link
   * is up. @throws AgentError AGENT_TIMEOUT after `timeoutMs`; AGENT_CLOSED when closed first.
   */
  waitForMesh(members: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (err: Error | undefined): void => {
        clearTimeout(timer);
        this.off('progress', check);
        if (err === undefined) resolve();
        else reject(err);
      };
      const check = (): void => {
        if (this.closing) finish(new AgentError('AGENT_CLOSED', 'the session was closed while waiting for the mesh'));
        else if (this.view.memberCount >= members && this.view.isFull) finish(undefined);
      };
      const timer = setTimeout(() => {
        const linked = this.view.connectedCount + 1;
        finish(new AgentError('AGENT_TIMEOUT', `peer ${this.id} has ${linked} of ${members} members linked after ${timeoutMs} ms`, { members, linked, timeoutMs }));
      }, timeoutMs);
      this.on('progress', check);
      check();
    });
  }

  /**
   * Starts counting exchange messages (`meshpunch:<from>:<seq>`) per sender. Call it right after
   * joining when `exchangeMessages` will be used: peers whose mesh completes first send before
   * ours is complete. While counting, the mesh's packets go to this listener, not to getPacket().
   */
  countExchangeMessages(): void {
    if (this.exchangeCounts !== undefined) return;
    const counts = new Map<number, number>();
    this.exchangeCounts = counts;
    const dec = new TextDecoder();
    this.multiplayer.on('packet', (data, from) => {
      const m = /^meshpunch:(\d+):\d+$/.exec(dec.decode(data));
      if (m === null || Number(m[1]) !== from) return;
      counts.set(from, (counts.get(from) ?? 0) + 1);
      this.emit('progress', { type: 'messages', from, count: counts.get(from)! });
    });
  }

  /**
   * Sends `count` reliable messages to every linked peer through the mesh and waits until
   * `count` have arrived from every one of them (they do the same), or `timeoutMs` passes.
   * Resolves with the number received per peer id.
   */
  async exchangeMessages(count: number, timeoutMs: number): Promise<Map<number, number>> {
    this.countExchangeMessages();
    const counts = this.exchangeCounts!;
    const peers = [...this.meshPeers];
    const enc = new TextEncoder();
    this.multiplayer.transferMode = TransferMode.TRANSFER_MODE_RELIABLE;
    for (const p of peers) {
      this.multiplayer.setTargetPeer(p);
      for (let i = 0; i < count; i++) this.multiplayer.putPacket(enc.encode(`meshpunch:${this.id}:${i}`));
    }
    this.multiplayer.setTargetPeer(0);
    const done = (): boolean => peers.every((p) => (counts.get(p) ?? 0) >= count);
    const end = performance.now() + timeoutMs;
    while (!this.closing && !done() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    return new Map(peers.map((p) => [p, counts.get(p) ?? 0]));
  }

  /**
   * Resolves true once the service's lobby view has an outcome (connected or failed, reported
   * by either side) for every pair of present members, false after `timeoutMs`. A CLI that
   * leaves as soon as its own links are up waits for this, so it does not cut the links others
   * are still finishing.
   */
  async lobbySettled(timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const v = this.client.lobby;
      if (v !== undefined) {
        const ids = v.members.filter((m) => !m.away).map((m) => m.id).sort((a, b) => a - b);
        let settled = true;
        for (let i = 0; i < ids.length && settled; i++) {
          for (let j = i + 1; j < ids.length && settled; j++) {
            const l = v.links.find((x) => (x.a === ids[i] && x.b === ids[j]) || (x.a === ids[j] && x.b === ids[i]));
            if (l === undefined || l.state === 'pending') settled = false;
          }
        }
        if (settled) return true;
      }
      if (this.closing || performance.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Leaves gracefully, then releases everything (idempotent): waits (bounded) until the service
   * has an outcome for every pair of the lobby and a short linger, so members still finishing
   * their links are not stranded; then ENet's disconnect-later to every peer, so reliable data
   * already queued (a `putPacket` just before) is delivered before the DISCONNECT, and waits for
   * the peers' acknowledgements; then closes the links, the mesh and the signaling connection
   * (1000: the lobby forgets us at once). Everything is bounded by `timeoutMs`.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return;
    const timeoutMs = options.timeoutMs ?? CLOSE_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 600_000) {
      throw new AgentError('ERR_INVALID_PARAMETER', `timeoutMs must be an integer 0..600000, got ${String(timeoutMs)}`, { got: timeoutMs });
    }
    const lingerMs = Math.max(0, Math.min(options.lingerMs ?? CLOSE_LINGER_MS, timeoutMs));
    const end = performance.now() + timeoutMs;
    if (timeoutMs > 0 && this.meshPeers.size > 0) {
      if (this.signal === 'connected') await this.lobbySettled(Math.max(0, end - performance.now() - lingerMs));
      await sleep(Math.min(lingerMs, Math.max(0, end - performance.now())));
    }
    this.closing = true;
    this.pool?.close();
    if (timeoutMs > 0) await this.disconnectLater(end);
    const runners = [...this.links.values(), ...this.released];
    for (const r of runners) r.close();
    this.links.clear();
    this.pairOfPeer.clear();
    this.released.length = 0;
    // Godot's close(): peer_disconnect_now to every peer still there (after the timeout).
    this.multiplayer.close();
    // Closing with 1000 leaves the lobby without the resume grace period.
    await this.client.close();
    // UPnP mappings are deleted on the router (bounded: twice the HTTP limit with --upnp).
    const waitMs = this.config.upnp ? UPNP_RELEASE_WAIT_MS : RELEASE_WAIT_MS;
    await Promise.race([Promise.all(runners.map((r) => r.whenReleased())), new Promise((r) => setTimeout(r, waitMs).unref())]);
    this.emit('progress', { type: 'signalLost', detail: 'closed' });
    this.removeAllListeners();
  }

  /**
   * ENet disconnect-later to every mesh peer (libenet enet_peer_disconnect_later: the DISCONNECT
   * goes out once the peer's outgoing queue is empty), then waits until every one acknowledged
   * (the mesh reports it gone) or `end` (performance.now() ms).
   */
  private async disconnectLater(end: number): Promise<void> {
    const waiting = new Set<number>();
    for (const id of this.meshPeers) {
      try {
        this.multiplayer.getPeer(id).peerDisconnectLater(0);
        waiting.add(id);
      } catch {
        // Already gone from the mesh: nothing to tell.
      }
    }
    if (waiting.size === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.multiplayer.off('peerDisconnected', onGone);
        resolve();
      };
      const onGone = (id: number): void => {
        waiting.delete(id);
        if (waiting.size === 0) done();
      };
      const timer = setTimeout(done, Math.max(0, end - performance.now()));
      this.multiplayer.on('peerDisconnected', onGone);
    });
  }

  /**
   * Why the mesh is not complete (the AGENT_TIMEOUT report): every link runner with its phase,
   * whether its peer is a member and in the mesh, and the last membership events.
   */
  diagnose(): MeshDiagnosis {
    const links: LinkDiagnosis[] = [];
    for (const [remote, pair] of this.pairOfPeer) {
      const r = this.links.get(pair);
      if (r === undefined) continue;
      links.push({ id: remote, role: r.role, phase: r.machine.phase, member: this.view.hasMember(remote), inMesh: this.meshPeers.has(remote) });
    }
    return { members: this.view.otherMembers(), links, events: [...this.eventLog] };
  }

  private note(what: string): void {
    this.eventLog.push(`+${Math.round(performance.now() - this.startedAt)} ${what}`);
    if (this.eventLog.length > MAX_DIAGNOSIS_EVENTS) this.eventLog.shift();
  }

  /** @internal the signaling client's events, in order. */
  handle(h: Held): void {
    if (this.closing) return;
    if (h.type !== 'cands') this.note(h.type === 'pair' ? `pair ${h.p.remote} ${h.p.role}` : h.type === 'joined' ? `joined ${h.m.id}` : 'id' in h ? `${h.type} ${h.id}` : h.type === 'resumed' ? `resumed [${h.members.join(',')}]` : h.type);
    switch (h.type) {
      case 'down':
        this.signalDown(h.detail, h.willRetry);
        break;
      case 'resumed':
        this.signalBack(h.url, h.restored, h.members);
        break;
      case 'lost':
        this.signalLost(h.detail);
        break;
      case 'joined':
        // A member that restored the lobby after a service restart is no news when we know it.
        if (this.view.hasMember(h.m.id)) break;
        this.view.addMember(h.m.id);
        this.emit('progress', { type: 'memberJoined', id: h.m.id });
        break;
      case 'left':
        this.removePeer(h.id);
        break;
      case 'away':
        // Its WebSocket dropped (it may resume within the grace period). A live ENet link stays;
        // a member we have no link with cannot be linked now, so it stops counting.
        if (!this.meshPeers.has(h.id) && this.view.link(h.id)?.phase !== 'connected') this.view.removeMember(h.id);
        break;
      case 'back':
        this.view.addMember(h.id);
        break;
      case 'pair':
        this.startPair(h.p);
        break;
      case 'cands':
        if (h.fp !== undefined) this.links.get(h.pair)?.security?.setRemoteFingerprint(h.fp);
        this.links.get(h.pair)?.remoteCandidates(h.c, h.nat);
        break;
    }
  }

  /** @internal the signaling connection dropped; the links stay. */
  signalDown(detail: string, willRetry: boolean): void {
    if (this.closing) return;
    this.outages++;
    this.signal = willRetry ? 'reconnecting' : 'lost';
    this.emit('progress', { type: 'signalDown', detail, willRetry });
  }

  /** @internal an attempt to get back failed. */
  signalRetry(attempt: number, url: string, inMs: number, detail: string): void {
    if (!this.closing) this.emit('progress', { type: 'signalRetry', attempt, url, inMs: Math.round(inMs), detail });
  }

  /** @internal back on the service (resumed, or the lobby restored under our id). */
  signalBack(url: string, restored: boolean, members: readonly number[]): void {
    if (this.closing) return;
    this.signal = 'connected';
    // Members the service knows and we did not (they joined while we were away) count again.
    for (const id of members) if (!this.view.hasMember(id)) this.view.addMember(id);
    this.emit('progress', { type: 'signalBack', url, restored });
  }

  /** @internal the signaling connection is gone for good (the links stay). */
  signalLost(detail: string): void {
    if (this.closing) return;
    this.signal = 'lost';
    this.emit('progress', { type: 'signalLost', detail });
  }

  private removePeer(id: number): void {
    const pair = this.pairOfPeer.get(id);
    if (pair !== undefined) {
      const r = this.links.get(pair);
      r?.remoteLeft();
      if (r !== undefined) this.keepForCleanup(r);
      this.links.delete(pair);
      this.pairOfPeer.delete(id);
    }
    const wasLinked = this.meshPeers.delete(id);
    if (wasLinked) this.dropFromMesh(id);
    this.view.removeMember(id);
    this.emit('progress', { type: 'memberLeft', id });
    if (wasLinked) this.emit('progress', { type: 'peerRemoved', remoteId: id, why: 'left' });
  }

  /** Removes a peer from the mesh now (ENet DISCONNECT sent, host destroyed, no event). */
  private dropFromMesh(id: number): void {
    try {
      this.multiplayer.disconnectPeer(id, true);
    } catch {
      // Already gone from the mesh (its disconnect raced the lobby message): nothing to drop.
    }
  }

  private onMeshPeerGone(id: number): void {
    if (!this.meshPeers.delete(id)) return;
    const pair = this.pairOfPeer.get(id);
    const runner = pair === undefined ? undefined : this.links.get(pair);
    runner?.lost('the ENet peer disconnected or timed out');
    this.view.setLink(id, 'failed', { ok: false, reason: 'peer-lost', detail: 'the ENet peer disconnected or timed out' });
    this.emit('progress', { type: 'peerRemoved', remoteId: id, why: 'disconnected' });
  }

  /** Remembers an ended runner until its clean-ups are done (at most 64, oldest forgotten). */
  private keepForCleanup(r: LinkRunner): void {
    this.released.push(r);
    if (this.released.length > 64) this.released.shift();
    void r.whenReleased().then(() => {
      const i = this.released.indexOf(r);
      if (i >= 0) this.released.splice(i, 1);
    });
  }

  private upnpGateway(): Promise<UpnpGateway | undefined> {
    // The UPnP code (and its XML parser) is loaded only by sessions that use --upnp.
    this.upnp ??= import('@meshpunch/nat').then((nat) => nat.discoverUpnpGateway({ timeoutMs: UPNP_DISCOVERY_MS, httpTimeoutMs: UPNP_HTTP_MS })).catch(() => undefined);
    return this.upnp;
  }

  private startPair(p: PairStart): void {
    if (p.remote === this.id || (this.links.size >= MAX_LINKS && !this.pairOfPeer.has(p.remote))) {
      // A service asking for more links than any lobby has members (or a link to ourselves) is
      // broken or hostile: every link costs a UDP socket, so the request is dropped and counted.
      this.droppedPairs++;
      return;
    }
    if (!this.view.hasMember(p.remote)) this.view.addMember(p.remote);
    const old = this.pairOfPeer.get(p.remote);
    if (old !== undefined) {
      const r = this.links.get(old);
      r?.close();
      if (r !== undefined) this.keepForCleanup(r);
      this.links.delete(old);
      if (this.meshPeers.delete(p.remote)) this.dropFromMesh(p.remote);
    }
    const security = this.identity === undefined ? undefined : new LinkSecurity(this.identity);
    const runner: LinkRunner = new LinkRunner({
      security,
      ownId: this.id,
      start: { pairId: String(p.pair), remoteId: p.remote, role: p.role, startAt: p.startAt },
      secret: p.secret,
      config: this.config,
      stunServers: this.stunServers,
      timeouts: this.config.timeouts,
      prepared: this.pool?.take(),
      upnpGateway: () => this.upnpGateway(),
      now: () => performance.now(),
      sendCandidates: (candidates, nat, done = true) => {
        this.client.sendCandidates(p.pair, candidates, nat === undefined ? { done, ...security?.candidateFields } : { done, nat, ...security?.candidateFields }).catch(() => undefined);
      },
      natHint: () => this.natHint,
      relayOffered: (this.client.relay?.servers.length ?? 0) > 0,
      relayAccess: () => this.relayAccess(),
      onRelayAllocated: (relayed, server) => {
        this.relayAllocations++;
        this.emit('progress', { type: 'relayAllocated', remoteId: p.remote, relayed: formatEndpoint(relayed), server: formatEndpoint(server) });
      },
      onPathChanged: (from, to) => {
        if (this.closing || this.links.get(p.pair) !== runner) return;
        runner.machine.handlePathChanged(to);
        this.view.setLink(p.remote, 'connected', runner.machine.outcome);
        this.client.reportPairResult(p.pair, { outcome: 'connected', path: to }).catch(() => undefined);
        this.emit('progress', { type: 'pathChanged', remoteId: p.remote, from, to });
      },
      onPhase: (phase) => {
        this.view.setLink(p.remote, phase, runner.machine.outcome);
        this.emit('progress', { type: 'linkPhase', remoteId: p.remote, role: p.role, phase });
      },
      onSecured: () => {
        if (!this.closing && this.links.get(p.pair) === runner) this.emit('progress', { type: 'linkSecured', remoteId: p.remote });
      },
      onCandidatesRejected: (rejected) => {
        this.emit('progress', { type: 'candidatesRejected', remoteId: p.remote, candidates: rejected.map((r) => ({ kind: r.kind, address: r.address, port: r.port, reason: r.reason })) });
      },
      addMeshPeer: (host: ENetConnection) => {
        this.multiplayer.addMeshPeer(p.remote, host);
        this.meshPeers.add(p.remote);
      },
      onOutcome: (o) => this.onOutcome(p.pair, p.remote, o),
    });
    this.links.set(p.pair, runner);
    this.pairOfPeer.set(p.remote, p.pair);
    runner.begin();
  }

  private onOutcome(pair: number, remote: number, o: LinkOutcome): void {
    if (this.closing || this.links.get(pair) === undefined) return;
    this.view.setLink(remote, o.ok ? 'connected' : 'failed', o);
    if (o.ok) {
      this.client.reportPairResult(pair, { outcome: 'connected', path: o.path, rttMs: Math.max(0, Math.round(o.rttMs * 10) / 10) }).catch(() => undefined);
      this.emit('progress', { type: 'linkUp', remoteId: remote, path: o.path, rttMs: Math.round(o.rttMs * 10) / 10, local: formatEndpoint(o.local), remote: formatEndpoint(o.remote) });
    } else {
      // The per-candidate record (protocol 1.6) goes with a failure, within the service's message limit.
      const maxBytes = (this.client.welcome?.limits?.maxMessageBytes ?? 4096) - PAIR_RESULT_ENVELOPE_BYTES;
      const probes = this.links.get(pair)?.probeReport(maxBytes);
      this.client.reportPairResult(pair, probes === undefined ? { outcome: 'failed', reason: wireReason(o.reason) } : { outcome: 'failed', reason: wireReason(o.reason), probes }).catch(() => undefined);
      this.emit('progress', { type: 'linkFailed', remoteId: remote, reason: o.reason, detail: o.detail });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
