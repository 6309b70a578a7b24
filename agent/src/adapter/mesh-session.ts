// joinMesh and the MeshSession it returns (adapter): the signaling session, the lobby view, one
// LinkRunner per scheduled pair, the ENetMultiplayerPeer in mesh mode, and the live report.

import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import type { Candidate, FailureReason, LobbyView, PairStartMessage, ServerMessage } from '@meshpunch/protocol';
import { ENetMultiplayerPeer } from '@meshpunch/multiplayer';
import { formatEndpoint, isIpv4, isIpv6, type Endpoint } from '../core/endpoint.js';
import { DEFAULT_LINK_TIMEOUTS, type LinkFailureReason, type LinkOutcome, type LinkTimeouts } from '../core/link-machine.js';
import type { MeshEvent } from '../core/mesh-events.js';
import { MeshView, type MeshReport } from '../core/mesh-view.js';
import { AgentError } from '../errors.js';
import { LinkRunner, type LinkHost } from './link-runner.js';
import { resolveJoinMeshOptions, type JoinMeshConfig, type JoinMeshOptions } from './options.js';
import { SignalConnection } from './signal-connection.js';

/** Events of a MeshSession. */
export interface MeshSessionEvents {
  /** Every step, in order (see MeshEvent). */
  progress: [event: MeshEvent];
}

/** Maps the agent's typed link failures onto the protocol's bounded reason set. */
function wireReason(r: LinkFailureReason): FailureReason {
  switch (r) {
    case 'bind-failed':
    case 'add-failed':
      return 'error';
    case 'gather-failed':
    case 'exchange-timeout':
      return 'no-candidates';
    case 'punch-failed':
      return 'unreachable';
    case 'punch-timeout':
    case 'connect-timeout':
      return 'timeout';
    case 'peer-left':
    case 'peer-lost':
      return 'cancelled';
  }
}

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
  private readonly config: JoinMeshConfig;
  private readonly conn: SignalConnection;
  private readonly view: MeshView;
  private readonly links = new Map<number, LinkRunner>();
  private readonly linkByPeer = new Map<number, number>();
  /** Peers currently added to the mesh with addMeshPeer. */
  private readonly meshPeers = new Set<number>();
  private closing = false;
  private readonly stunServers: readonly Endpoint[];

  /** @internal use joinMesh() */
  constructor(config: JoinMeshConfig, conn: SignalConnection, id: number, lobby: LobbyView, stunServers: readonly Endpoint[]) {
    super();
    this.config = config;
    this.stunServers = stunServers;
    this.conn = conn;
    this.id = id;
    this.lobby = config.lobby;
    this.view = new MeshView(id, config.lobby);
    for (const m of lobby.members) this.view.addMember(m.id);
    this.multiplayer = new ENetMultiplayerPeer();
    this.multiplayer.createMesh(id);
    this.multiplayer.autoPoll = true;
    this.multiplayer.on('peerDisconnected', (peer) => this.onMeshPeerGone(peer));
    conn.deliverTo((m) => this.onMessage(m));
    conn.on('closed', (code, reason) => {
      if (!this.closing) this.emitProgress({ type: 'signalLost', detail: `closed with ${code}${reason === '' ? '' : ` ${reason}`}` });
    });
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

  /** The current report (same shape as `meshpunch join --json`). */
  report(): MeshReport {
    for (const [peer, pairId] of this.linkByPeer) {
      const runner = this.links.get(pairId);
      const rtt = runner?.currentRttMs();
      if (rtt !== undefined) runner!.machine.updateRtt(rtt);
      if (runner !== undefined) this.view.setLink(peer, runner.machine.phase, runner.machine.outcome);
    }
    return this.view.report();
  }

  /** Subscribes to progress events; returns the unsubscribe function. */
  onProgress(listener: (e: MeshEvent) => void): () => void {
    this.on('progress', listener);
    return () => this.off('progress', listener);
  }

  /**
   * Resolves when the lobby has at least `members` members (ourselves included) and every link
   * is up; rejects with AGENT_TIMEOUT after `timeoutMs`, AGENT_CLOSED when closed first.
   */
  waitForMesh(members: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.closing) finish(new AgentError('AGENT_CLOSED', 'the session was closed while waiting for the mesh'));
        else if (this.view.memberCount >= members && this.view.isFull) finish(undefined);
      };
      const timer = setTimeout(() => {
        finish(new AgentError('AGENT_TIMEOUT', `the mesh of peer ${this.id} has ${this.view.connectedCount + 1} of ${members} members linked after ${timeoutMs} ms`, { members, timeoutMs }));
      }, timeoutMs);
      const finish = (err: Error | undefined): void => {
        clearTimeout(timer);
        this.off('progress', check);
        if (err === undefined) resolve();
        else reject(err);
      };
      this.on('progress', check);
      check();
    });
  }

  /** Leaves the lobby, closes every link, the mesh and the signaling connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const r of this.links.values()) r.close();
    this.links.clear();
    this.linkByPeer.clear();
    // Godot's close(): peer_disconnect_now to every peer, so the others see us leave at once.
    this.multiplayer.close();
    if (!this.conn.isClosed) {
      await Promise.race([this.conn.request({ type: 'lobby.leave' }).catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
      this.conn.close();
    }
    this.emit('progress', { type: 'signalLost', detail: 'closed' } as MeshEvent);
    this.removeAllListeners();
  }

  private emitProgress(e: MeshEvent): void {
    this.emit('progress', e);
  }

  private onMessage(m: ServerMessage): void {
    if (this.closing) return;
    switch (m.type) {
      case 'peer.joined':
        this.view.addMember(m.peer.id);
        this.emitProgress({ type: 'memberJoined', id: m.peer.id });
        break;
      case 'peer.left':
        this.removePeer(m.id);
        break;
      case 'pair.start':
        this.startPair(m);
        break;
      case 'pair.candidates':
        this.links.get(m.pair)?.remoteCandidates(m.candidates, m.done);
        break;
      case 'shutdown':
        this.emitProgress({ type: 'signalLost', detail: `service shutting down: ${m.reason}` });
        break;
      default:
        break;
    }
  }

  private removePeer(id: number): void {
    const pairId = this.linkByPeer.get(id);
    if (pairId !== undefined) {
      this.links.get(pairId)?.remoteLeft();
      this.links.delete(pairId);
      this.linkByPeer.delete(id);
    }
    const wasLinked = this.meshPeers.delete(id);
    if (wasLinked) this.multiplayer.disconnectPeer(id, true);
    this.view.removeMember(id);
    this.emitProgress({ type: 'memberLeft', id });
    if (wasLinked) this.emitProgress({ type: 'peerRemoved', remoteId: id, why: 'left' });
  }

  private onMeshPeerGone(id: number): void {
    this.meshPeers.delete(id);
    const pairId = this.linkByPeer.get(id);
    const runner = pairId === undefined ? undefined : this.links.get(pairId);
    if (runner !== undefined) {
      runner.lost('the ENet peer disconnected or timed out');
      this.view.setLink(id, 'failed', { ok: false, reason: 'peer-lost', detail: 'the ENet peer disconnected or timed out' });
    }
    this.emitProgress({ type: 'peerRemoved', remoteId: id, why: 'lost' });
  }

  private startPair(m: PairStartMessage): void {
    if (!this.view.hasMember(m.remote)) this.view.addMember(m.remote);
    const old = this.linkByPeer.get(m.remote);
    if (old !== undefined) {
      this.links.get(old)?.close();
      this.links.delete(old);
      if (this.meshPeers.delete(m.remote)) this.multiplayer.disconnectPeer(m.remote, true);
    }
    const offset = m.offsetMs ?? this.conn.offsetMs ?? 0;
    const startAt = m.at + offset;
    const timeouts: LinkTimeouts = this.config.timeouts;
    const runner = new LinkRunner({
      ownId: this.id,
      start: { pairId: String(m.pair), remoteId: m.remote, role: m.role, startAt },
      secret: m.secret,
      config: this.config,
      stunServers: this.stunServers,
      timeouts,
      now: () => performance.now(),
      sendCandidates: (candidates: Candidate[]) => this.conn.fire({ type: 'pair.candidates', pair: m.pair, candidates, done: true }),
      onPhase: (phase) => {
        this.view.setLink(m.remote, phase, runner.machine.outcome);
        this.emitProgress({ type: 'linkPhase', remoteId: m.remote, role: m.role, phase });
      },
      addMeshPeer: (host: LinkHost) => {
        this.multiplayer.addMeshPeer(m.remote, host as never);
        this.meshPeers.add(m.remote);
      },
      onOutcome: (o: LinkOutcome) => this.onOutcome(m.pair, m.remote, o),
    });
    this.links.set(m.pair, runner);
    this.linkByPeer.set(m.remote, m.pair);
    runner.begin();
  }

  private onOutcome(pair: number, remote: number, o: LinkOutcome): void {
    if (this.links.get(pair) === undefined) return;
    this.view.setLink(remote, o.ok ? 'connected' : 'failed', o);
    if (o.ok) {
      this.conn.fire({ type: 'pair.result', pair, outcome: 'connected', path: o.path, rttMs: Math.max(0, Math.round(o.rttMs)) });
      this.emitProgress({ type: 'linkUp', remoteId: remote, path: o.path, rttMs: o.rttMs, local: formatEndpoint(o.local), remote: formatEndpoint(o.remote) });
    } else {
      this.conn.fire({ type: 'pair.result', pair, outcome: 'failed', reason: wireReason(o.reason) });
      this.emitProgress({ type: 'linkFailed', remoteId: remote, reason: o.reason, detail: o.detail });
    }
  }
}

/**
 * Joins (or creates) a lobby and returns the session with its mesh. Links form in the
 * background; use `waitForMesh()` or the `progress` events.
 * @throws AgentError ERR_INVALID_PARAMETER for bad options (synchronously checked, rejected);
 *   AGENT_SIGNAL_FAILED when the service is unreachable; AGENT_LOBBY_FAILED when it refuses the
 *   lobby (the message carries the service's code, e.g. SIG_LOBBY_NOT_FOUND).
 */
export async function joinMesh(options: JoinMeshOptions, onProgress?: (e: MeshEvent) => void): Promise<MeshSession> {
  const config = resolveJoinMeshOptions(options);
  const conn = await SignalConnection.open(config.signal);
  onProgress?.({ type: 'signalConnected', url: config.signal });
  let answer: ServerMessage;
  try {
    answer = await conn.request(
      config.create
        ? { type: 'lobby.create', name: config.lobby, ...(config.password === undefined ? {} : { password: config.password }), mode: 'mesh' }
        : { type: 'lobby.join', lobby: config.lobby, ...(config.password === undefined ? {} : { password: config.password }) },
    );
  } catch (err) {
    conn.close();
    const e = err as AgentError;
    throw new AgentError('AGENT_LOBBY_FAILED', `${config.create ? 'creating' : 'joining'} lobby '${config.lobby}' failed: ${e.message}`, { ...e.details }, err);
  }
  if (answer.type !== 'lobby.joined') {
    conn.close();
    throw new AgentError('AGENT_LOBBY_FAILED', `expected lobby.joined, got ${answer.type}`);
  }
  const session = new MeshSession(config, conn, answer.you, answer.lobby, await stunServersFor(config, conn));
  if (onProgress !== undefined) session.onProgress(onProgress);
  onProgress?.({ type: 'joined', id: answer.you, lobby: config.lobby, created: config.create, members: answer.lobby.members.map((x) => x.id) });
  return session;
}

/**
 * The STUN servers every link asks: the configured ones, else the service's embedded responder
 * (welcome.stunPort) on the signaling host, resolved once.
 */
async function stunServersFor(config: JoinMeshConfig, conn: SignalConnection): Promise<readonly Endpoint[]> {
  if (config.stun.length > 0) return Promise.all(config.stun.map(async (s) => ({ address: await resolveHost(s.address), port: s.port })));
  const port = conn.welcome.stunPort;
  if (port === undefined) return [];
  const host = new URL(config.signal).hostname.replace(/^\[|\]$/g, '');
  return [{ address: await resolveHost(host), port }];
}

async function resolveHost(host: string): Promise<string> {
  if (isIpv4(host) || isIpv6(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (err) {
    throw new AgentError('ERR_INVALID_PARAMETER', `cannot resolve STUN host '${host}': ${(err as Error).message}`, { host }, err);
  }
}

export type { Endpoint };
export { DEFAULT_LINK_TIMEOUTS };
