// The whole stack in the simulator (issue #15): the signaling service's core and each agent's
// ClientSession over a simulated WebSocket, and per pair the agent's LinkMachine driving STUN, the
// punch and a real ENet HostCore on one simulated socket behind a NAT box, handed to an
// ENetMultiplayerPeer mesh with addMeshPeer — the sans-IO cores an agent runs, composed as its
// adapters compose them (link-runner.ts, mesh-session.ts), in virtual time with seeds.
import { HostCore, type CoreEvent, type Peer } from '@meshpunch/enet';
import { ENetMultiplayerPeer } from '@meshpunch/multiplayer';
import { answerBindingRequest, isStunMessage, nodeHmacSha1, PunchMachine, StunClient, type RankedCandidate } from '@meshpunch/nat';
import { CAPABILITIES, SUPPORTED_VERSIONS } from '@meshpunch/protocol';
import { ClientSession, SignalingCore, type CandidatesEvent, type PairStart, type RequestKind } from '@meshpunch/signaling';
import { NatBox, natPreset, Prng, SimDriver, SimNet, SimStreamClient, SimStreamService, type Endpoint, type MutableEndpoint, type NatPresetName, type SansIoCore } from '@meshpunch/sim';
import { LinkMachine, type LinkOutcome } from '../../src/core/link-machine.js';
import { wireReason } from '../../src/adapter/mesh-session.js';

/** A NAT preset, or none (a public address). */
export type NatKind = 'none' | NatPresetName;

export const SIGNALING: Endpoint = { address: '203.0.113.10', port: 8787 };
export const STUN: Endpoint = { address: '203.0.113.10', port: 3478 };
const EVENT_TYPE: Record<CoreEvent['type'], number> = { connect: 1, disconnect: 2, receive: 3 };

/** An ENetConnection stand-in around a link's HostCore, for ENetMultiplayerPeer.addMeshPeer (its HostShape). */
class LinkHost {
  readonly #wrappers = new Map<Peer, LinkPeer>();
  destroyed = false;
  constructor(readonly core: HostCore, readonly flushNet: () => void) {}
  async createHost(): Promise<void> {}
  async createHostBound(): Promise<void> {}
  connectToHost(): never {
    throw new Error('a link host connects through its LinkMachine');
  }
  async connectToHostAsync(): Promise<never> {
    throw new Error('a link host connects through its LinkMachine');
  }
  serviceSync(): { type: number; peer?: LinkPeer; data: number; channel: number; packet?: Uint8Array; flags?: number } {
    const ev = this.destroyed ? undefined : this.core.pollEvent();
    if (ev === undefined) return { type: 0, data: 0, channel: 0 };
    return { type: EVENT_TYPE[ev.type], peer: this.wrap(ev.peer), data: ev.data, channel: ev.channelID, packet: ev.packet ?? undefined, flags: ev.flags };
  }
  flush(): void {
    this.flushNet();
  }
  getPeers(): LinkPeer[] {
    return this.core.peers.filter((p) => p.state !== 0).map((p) => this.wrap(p));
  }
  destroy(): void {
    this.destroyed = true;
    this.core.destroy();
  }
  wrap(peer: Peer): LinkPeer {
    let w = this.#wrappers.get(peer);
    if (w === undefined) this.#wrappers.set(peer, (w = new LinkPeer(this.core, peer)));
    return w;
  }
}

class LinkPeer {
  constructor(readonly core: HostCore, readonly peer: Peer) {}
  send(channel: number, packet: Uint8Array, flags: number): boolean {
    return this.core.send(this.peer, channel, packet, flags);
  }
  peerDisconnect(data = 0): void {
    this.core.disconnect(this.peer, data >>> 0);
  }
  peerDisconnectNow(data = 0): void {
    this.core.disconnectNow(this.peer, data >>> 0);
  }
  reset(): void {
    this.core.resetPeer(this.peer);
  }
  getState(): number {
    return this.peer.state;
  }
  isActive(): boolean {
    return this.peer.state !== 0;
  }
}

/**
 * One pair link on one socket, as the agent's LinkRunner builds it: STUN and punch checks are told
 * from ENet by their first bytes (docs/design.md rule 2), the LinkMachine decides, the HostCore
 * does the ENet handshake, then the host goes to the mesh.
 */
class StackLink implements SansIoCore {
  readonly machine: LinkMachine<RankedCandidate>;
  readonly host: HostCore;
  readonly #stun: StunClient;
  #punch: PunchMachine | undefined = undefined;
  #local: RankedCandidate[] = [];
  #handedOver = false;
  #proven: Endpoint | undefined = undefined;

  constructor(readonly agent: StackAgent, readonly start: PairStart, readonly address: string, readonly port: number) {
    this.machine = new LinkMachine<RankedCandidate>({ pairId: String(start.pair), remoteId: start.remote, role: start.role, startAt: start.startAt });
    const fill = (out: Uint8Array): void => agent.prng.fill(out);
    this.#stun = new StunClient({ random: fill, rtoMs: 200, requestCount: 3, lastWaitFactor: 4 });
    this.host = new HostCore({ peerCount: 1, channelLimit: 0, random: fill });
    // The listening side accepts a CONNECT only from the punch-proven source (issue 13 item 2).
    this.host.setConnectFilter((from) => this.start.role === 'connect' || (this.#proven !== undefined && from.address === this.#proven.address && from.port === this.#proven.port));
  }

  begin(now: number): void {
    this.machine.begin(now);
    this.act(now);
  }

  receiveCandidates(now: number, list: readonly RankedCandidate[]): void {
    this.machine.handleRemoteCandidates(now, list);
    this.act(now);
  }

  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    if (isStunMessage(bytes)) {
      if (!this.#stun.handleDatagram(now, from, bytes)) this.#punch?.handleDatagram(now, from, bytes);
    } else {
      this.host.handleDatagram(now, from, bytes);
    }
    this.act(now);
  }

  handleTimeout(now: number): void {
    const due = (t: number | undefined): boolean => t !== undefined && t <= now;
    if (due(this.machine.pollTimeout())) this.machine.handleTimeout(now);
    if (due(this.#stun.pollTimeout())) this.#stun.handleTimeout(now);
    if (this.#punch !== undefined && due(this.#punch.pollTimeout())) this.#punch.handleTimeout(now);
    if (due(this.host.pollTimeout())) this.host.handleTimeout(now);
    this.act(now);
  }

  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number {
    const n = this.#stun.pollTransmit(now, out, to);
    if (n > 0) return n;
    const p = this.#punch?.pollTransmit(now, out, to) ?? 0;
    return p > 0 ? p : this.host.pollTransmit(now, out, to);
  }

  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const d of [this.machine.pollTimeout(), this.#stun.pollTimeout(), this.#punch?.pollTimeout(), this.host.pollTimeout()]) {
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  /** Feeds core events into the link machine and carries out its actions, until all are quiet. */
  act(now: number): void {
    for (let guard = 0; guard < 100; guard++) {
      let busy = false;
      for (let e = this.#stun.pollEvent(); e !== undefined; e = this.#stun.pollEvent()) {
        busy = true;
        const host: RankedCandidate = { kind: 'host', family: 4, address: this.address, port: this.port, priority: 2130706431 };
        this.#local = e.type === 'stunSuccess' && (e.mapped.address !== this.address || e.mapped.port !== this.port)
          ? [host, { kind: 'srflx', family: 4, address: e.mapped.address, port: e.mapped.port, priority: 1694498815 }]
          : [host];
        this.machine.handleGathered(now, this.#local);
      }
      for (let e = this.#punch?.pollEvent(); e !== undefined; e = this.#punch?.pollEvent()) {
        busy = true;
        if (e.type === 'selected') {
          this.#proven = { address: e.selected.address, port: e.selected.port };
          this.machine.handlePunchSucceeded(now, this.#proven, e.selected.path);
        }
        if (e.type === 'failed') this.machine.handlePunchFailed(now, e.reason);
      }
      // Until the mesh owns the host, its events are the handshake's (LinkRunner.serviceHandshake).
      if (!this.#handedOver) {
        for (let e = this.host.pollEvent(); e !== undefined; e = this.host.pollEvent()) {
          busy = true;
          const phase = this.machine.phase;
          if (e.type === 'connect' && (phase === 'connecting' || (phase === 'accepting' && e.data === this.start.remote))) {
            this.machine.handleConnected(now, { address: this.address, port: this.port }, { address: e.peer.address, port: e.peer.port }, e.peer.roundTripTime);
          } else if (e.type === 'connect') {
            this.host.resetPeer(e.peer);
          } else if (e.type === 'disconnect' && (phase === 'connecting' || phase === 'accepting')) {
            this.machine.handleHandshakeFailed(now, 'the ENet handshake was refused or timed out');
          }
        }
      }
      for (let a = this.machine.pollAction(); a !== undefined; a = this.machine.pollAction()) {
        busy = true;
        switch (a.type) {
          case 'gather':
            this.#stun.request(now, STUN);
            break;
          case 'sendCandidates':
            this.agent.request(now, { type: 'pair.candidates', pair: this.start.pair, candidates: a.candidates.map((c) => ({ ...c })), done: true });
            break;
          case 'punch':
            this.#punch = new PunchMachine({
              role: this.start.role, pairId: String(this.start.pair), secret: this.start.secret, startAt: Math.floor(Math.min(a.startAt, now)),
              remoteCandidates: a.remoteCandidates, localCandidates: this.#local, random: (out) => this.agent.prng.fill(out), hmacSha1: nodeHmacSha1, timeoutMs: 5000,
            });
            break;
          case 'connect':
            // Godot's convention: the CONNECT data is our unique id (godot-enet.md §2.5).
            for (const p of this.host.peers) if (p.state !== 0) this.host.resetPeer(p);
            this.host.connect(a.remote.address, a.remote.port, 255, this.agent.you!);
            break;
          case 'accept':
            break;
          case 'addMeshPeer':
            try {
              this.agent.mesh.addMeshPeer(this.start.remote, new LinkHost(this.host, () => this.agent.world.driver.flush()));
              this.#handedOver = true;
              this.machine.handleAdded(now);
            } catch (err) {
              this.machine.handleAddFailed(now, (err as Error).message);
            }
            break;
          case 'report':
            this.agent.report(now, this.start.pair, a.outcome);
            break;
          case 'release':
            if (!this.#handedOver) this.agent.world.driver.remove(this);
            break;
        }
      }
      if (!busy) return;
    }
  }
}

/** One agent: its signaling session, its mesh and one StackLink per pair. */
export class StackAgent {
  readonly signal: SimStreamClient<ClientSession>;
  readonly mesh = new ENetMultiplayerPeer();
  readonly links = new Map<number, StackLink>();
  readonly prng: Prng;
  you: number | undefined = undefined;
  /** Mesh peer ids as `peerConnected` reported them. */
  readonly meshJoined: number[] = [];
  readonly received: Array<{ from: number; data: number[] }> = [];
  #nextPort = 40_000;

  constructor(readonly world: StackWorld, readonly name: string, readonly address: string, seed: number) {
    this.prng = new Prng(seed);
    this.signal = new SimStreamClient({ address, port: 45_000 }, [SIGNALING], new ClientSession({
      services: [{ ...SIGNALING, url: `ws://${SIGNALING.address}:${SIGNALING.port}/` }], name, caps: [...CAPABILITIES], versions: SUPPORTED_VERSIONS,
      requestTimeoutMs: 10_000, connectTimeoutMs: 10_000, retryConnectMs: 0, autoResume: true, reconnectWindowMs: 60_000,
      random: () => this.prng.float(), linkedPeers: undefined,
    }));
    this.signal.onEvent = (e) => this.#onSignal(e as { type: string; event?: string; payload?: unknown });
    this.mesh.on('peerConnected', (id: number) => this.meshJoined.push(id));
    this.mesh.on('packet', (data: Uint8Array, from: number) => this.received.push({ from, data: [...data] }));
  }

  /** A request to the service; `kind` says what its answer does to the session (ClientSession.request). */
  request(now: number, body: Record<string, unknown>, kind?: RequestKind): number {
    return this.signal.request(now, body, kind);
  }

  report(now: number, pair: number, outcome: LinkOutcome): void {
    // As MeshSession reports it: the link's failure reason mapped onto the wire's.
    const body = outcome.ok ? { type: 'pair.result', pair, outcome: 'connected', path: outcome.path, rttMs: Math.round(outcome.rttMs) } : { type: 'pair.result', pair, outcome: 'failed', reason: wireReason(outcome.reason) };
    this.request(now, body);
  }

  /** The outcome of the link with `remote`, once settled. */
  outcomeWith(remote: number): LinkOutcome | undefined {
    for (const l of this.links.values()) if (l.start.remote === remote) return l.machine.outcome;
    return undefined;
  }

  #onSignal(e: { type: string; event?: string; payload?: unknown }): void {
    const now = this.world.driver.now;
    if (e.type !== 'emit') return;
    if (e.event === 'pairStart') {
      const p = e.payload as PairStart;
      const link = new StackLink(this, p, this.address, this.#nextPort++);
      this.links.set(p.pair, link);
      this.world.driver.add(link, this.address, link.port);
      link.begin(now);
    } else if (e.event === 'candidates') {
      const c = e.payload as CandidatesEvent;
      this.links.get(c.pair)?.receiveCandidates(now, c.candidates.map((x) => ({ ...x, priority: x.priority ?? 1 })) as RankedCandidate[]);
    }
  }
}

/** The service, a STUN server and the agents, each behind its own NAT box (or none). */
export class StackWorld {
  readonly net: SimNet;
  readonly driver: SimDriver;
  readonly service: SimStreamService<SignalingCore>;
  readonly agents: StackAgent[] = [];
  readonly #prng: Prng;

  constructor(readonly seed: number) {
    this.net = new SimNet({ prng: new Prng(seed), defaultLink: { latencyMs: 20, jitterMs: 0, loss: 0 } });
    this.driver = new SimDriver(this.net);
    this.#prng = new Prng(seed ^ 0x57ac);
    const serviceRandom = new Prng(this.#prng.nextUint32());
    this.service = new SimStreamService(() => new SignalingCore({ random: (out) => serviceRandom.fill(out), connectionsPerSecondPerIp: 0, heartbeatMs: 5000 }));
    this.driver.add(this.service, SIGNALING.address, SIGNALING.port);
    const out = new Uint8Array(512);
    this.net.bind(STUN.address, STUN.port, (now, dg) => {
      const a = answerBindingRequest(dg.bytes, dg.from, out, {});
      if (a.kind !== 'drop') this.net.send(now, STUN, dg.from, out.subarray(0, a.length));
    });
  }

  /** An agent behind a NAT of `kind` (public address 198.51.100.<index>), its LAN 10.0.<index>.0/24. */
  agent(name: string, kind: NatKind, index: number): StackAgent {
    let address = `198.51.100.${index}`;
    if (kind !== 'none') {
      const realm = `lan-${name}`;
      this.net.addGateway(new NatBox({ insideRealm: realm, publicAddress: address, prng: new Prng(this.#prng.nextUint32()), ...natPreset(kind) }));
      address = `10.0.${index}.2`;
      this.net.addHost(address, realm);
    }
    const agent = new StackAgent(this, name, address, this.#prng.nextUint32());
    this.driver.add(agent.signal, address, 45_000);
    this.agents.push(agent);
    return agent;
  }

  /** Connects the agent and joins (or creates) `lobby`; runs until it is in. */
  join(agent: StackAgent, lobby: string): void {
    agent.signal.connect(this.driver.now);
    this.runUntil(() => agent.signal.session.isOpen, 5000);
    const rid = agent.request(this.driver.now, { type: 'lobby.join', lobby, createIfMissing: true }, 'joined');
    this.runUntil(() => agent.signal.answers.has(rid), 5000);
    const answer = agent.signal.answers.get(rid)!;
    if (answer.error !== undefined) throw answer.error as Error;
    agent.you = (answer.message as { you: number }).you;
    agent.mesh.createMesh(agent.you);
  }

  /** Polls every mesh (as a game frame would) and flushes what it sent. */
  pollAll(): void {
    for (const a of this.agents) a.mesh.poll();
    this.driver.flush();
  }

  /** Runs `ms` of virtual time, polling every mesh after each step. */
  runFor(ms: number): void {
    const until = this.driver.now + ms;
    this.runUntil(() => this.driver.nextEventAt() === undefined || this.driver.nextEventAt()! > until, ms + 1);
    this.driver.clock.advanceTo(until);
  }

  runUntil(pred: () => boolean, maxVirtualMs: number): void {
    this.driver.runUntil(() => {
      this.pollAll();
      return pred();
    }, { maxVirtualMs });
    this.pollAll();
  }
}
