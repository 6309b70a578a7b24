// ENet hosts for ENetMultiplayerPeer on the simulator (docs/design.md §6): the shapes it uses
// (HostShape, PeerShape) over @meshpunch/enet's sans-IO HostCore, bound on a SimNet and driven by
// SimDriver in virtual time. World runs the network and polls every multiplayer peer after each step.
import { HostCore, type CoreEvent, type Peer } from '@meshpunch/enet';
import { Prng, SimDriver, SimNet, type LinkConditions } from '@meshpunch/sim';
import type { EventShape, HostShape, PeerShape } from '../../src/enet-shapes.js';
import type { ENetMultiplayerPeer } from '../../src/enet-multiplayer-peer.js';

const EVENT_TYPE: Record<CoreEvent['type'], number> = { connect: 1, disconnect: 2, receive: 3 };
const NONE: EventShape = Object.freeze({ type: 0, data: 0, channel: 0 }) as EventShape;

/** An ENet peer of a SimHost (ENetPacketPeer's part that ENetMultiplayerPeer uses). */
export class SimPeer implements PeerShape {
  constructor(readonly host: SimHost, readonly peer: Peer) {}
  send(channel: number, packet: Uint8Array, flags: number): boolean {
    return this.host.core!.send(this.peer, channel, packet, flags);
  }
  peerDisconnect(data = 0): void {
    this.host.core?.disconnect(this.peer, data >>> 0);
  }
  peerDisconnectNow(data = 0): void {
    this.host.core?.disconnectNow(this.peer, data >>> 0);
  }
  reset(): void {
    this.host.core?.resetPeer(this.peer);
  }
  getState(): number {
    return this.peer.state;
  }
  isActive(): boolean {
    return this.peer.state !== 0;
  }
}

/** An ENetConnection stand-in: a HostCore at `address`:port on the world's network. */
export class SimHost implements HostShape {
  core: HostCore | undefined = undefined;
  port = 0;
  readonly #wrappers = new Map<Peer, SimPeer>();
  destroyed = false;

  constructor(readonly world: SimWorld, readonly address: string) {}

  async createHost(maxPeers = 32, maxChannels = 0, inBandwidth = 0, outBandwidth = 0): Promise<void> {
    this.#create(this.world.freePort(this.address), maxPeers, maxChannels, inBandwidth, outBandwidth);
  }

  async createHostBound(_bindAddress: string, bindPort: number, maxPeers = 32, maxChannels = 0, inBandwidth = 0, outBandwidth = 0): Promise<void> {
    this.#create(bindPort === 0 ? this.world.freePort(this.address) : bindPort, maxPeers, maxChannels, inBandwidth, outBandwidth);
  }

  #create(port: number, peerCount: number, channelLimit: number, incomingBandwidth: number, outgoingBandwidth: number): void {
    this.port = port;
    this.core = new HostCore({ peerCount, channelLimit, incomingBandwidth, outgoingBandwidth, random: (out) => this.world.prng.fill(out) });
    this.world.driver.add(this.core, this.address, port);
  }

  connectToHost(address: string, port: number, channels = 0, data = 0): SimPeer {
    const peer = this.core!.connect(address, port, channels === 0 ? 255 : channels, data >>> 0);
    if (peer === null) throw new Error('no free peer slot');
    return this.#wrap(peer);
  }

  async connectToHostAsync(address: string, port: number, channels = 0, data = 0): Promise<SimPeer> {
    return this.connectToHost(address, port, channels, data);
  }

  serviceSync(): EventShape {
    if (this.destroyed) throw new Error('destroyed');
    const ev = this.core?.pollEvent();
    if (ev === undefined) return NONE;
    return { type: EVENT_TYPE[ev.type], peer: this.#wrap(ev.peer), data: ev.data, channel: ev.channelID, packet: ev.packet ?? undefined, flags: ev.flags };
  }

  flush(): void {
    this.world.driver.flush();
  }

  getPeers(): SimPeer[] {
    // As ENetConnection: every peer slot in use (connecting, connected or disconnecting).
    return this.core === undefined ? [] : this.core.peers.filter((p) => p.state !== 0).map((p) => this.#wrap(p));
  }

  destroy(): void {
    if (this.destroyed) throw new Error('already destroyed');
    this.destroyed = true;
    if (this.core !== undefined) {
      this.world.driver.remove(this.core);
      this.core.destroy();
    }
  }

  #wrap(peer: Peer): SimPeer {
    let w = this.#wrappers.get(peer);
    if (w === undefined) {
      w = new SimPeer(this, peer);
      this.#wrappers.set(peer, w);
    }
    return w;
  }
}

/** A seeded network of SimHosts and the multiplayer peers polled on it. */
export class SimWorld {
  readonly prng: Prng;
  readonly net: SimNet;
  readonly driver: SimDriver;
  readonly peers: ENetMultiplayerPeer[] = [];
  readonly #ports = new Map<string, number>();

  constructor(readonly seed: number, link: Partial<LinkConditions> = {}) {
    // The network draws from `seed` itself, so a SimLimitError's replay hint names the test's seed.
    this.net = new SimNet({ prng: new Prng(seed), defaultLink: link });
    this.prng = new Prng(seed ^ 0x6d70);
    this.driver = new SimDriver(this.net);
  }

  /** The `createConnection` option of an ENetMultiplayerPeer living at `address`. */
  hostsAt(address: string): () => SimHost {
    return () => new SimHost(this, address);
  }

  freePort(address: string): number {
    const p = (this.#ports.get(address) ?? 50_000) + 1;
    this.#ports.set(address, p);
    return p;
  }

  /** Polls every multiplayer peer (as a game's frame would), then flushes what they sent. */
  pollAll(): void {
    for (const p of this.peers) p.poll();
    this.driver.flush();
  }

  /** Runs the network, polling every peer after each step, until `pred` holds. */
  runUntil(pred: () => boolean, maxVirtualMs = 60_000): void {
    this.driver.runUntil(() => {
      this.pollAll();
      return pred();
    }, { maxVirtualMs });
    this.pollAll();
  }

  /** Runs `ms` of virtual time, polling after every step. */
  runFor(ms: number): void {
    const until = this.driver.now + ms;
    for (let i = 0; i < 10_000_000; i++) {
      this.pollAll();
      const t = this.driver.nextEventAt();
      if (t === undefined || t > until) {
        this.driver.clock.advanceTo(until);
        break;
      }
      this.driver.step();
    }
    this.pollAll();
  }
}
