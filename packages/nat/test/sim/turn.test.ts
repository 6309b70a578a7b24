// Simulator: TurnClient ↔ TurnServerCore under loss, jitter (reordering) and NAT boxes, with
// seeds. A relayed host R (behind each NAT type) allocates and permits a peer's public IP; the
// peer P behind a symmetric NAT sends pings to R's relayed address from a random mapped port;
// R learns that port from the Data indication, binds a channel to it and echoes over ChannelData.
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import { TurnClient, mintTurnRestCredential, nodeHmacSha1, nodeMd5, type StunAddress, type TurnClientEvent } from '../../src/index.js';
import { addHost, makeWorld, type NatKind, type World } from './world.js';
import { SimTurnServer } from './sim-turn-server.js';

const SECRET = 'sim-secret';
const TURN = { address: '203.0.113.30', port: 3478 };
const utf8 = new TextEncoder();

/** R's app: drives the TurnClient and echoes every peer datagram back through the relay. */
class RelayEchoApp {
  readonly events: TurnClientEvent[] = [];
  relayed: StunAddress | undefined;
  /** Datagrams that reached the app from anything but the server (must stay 0: all peer data is relayed). */
  stray = 0;
  echoed = 0;
  constructor(readonly client: TurnClient, readonly permit: string) {}
  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): boolean {
    if (!this.client.handleDatagram(now, from, bytes)) {
      this.stray++;
      return true;
    }
    this.#events(now);
    return true;
  }
  handleTimeout(now: number): void {
    this.client.handleTimeout(now);
    this.#events(now);
  }
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    return this.client.pollTransmit(now, out, to);
  }
  pollTimeout(): number | undefined {
    return this.client.pollTimeout();
  }
  #events(now: number): void {
    for (let e = this.client.pollEvent(); e !== undefined; e = this.client.pollEvent()) {
      this.events.push(e);
      if (e.type === 'allocated') {
        this.relayed = e.relayed;
        this.client.createPermission(now, this.permit);
      } else if (e.type === 'data') {
        if (e.channel === 0) this.client.bindChannel(now, e.peer);
        this.client.send(e.peer, e.payload);
        this.echoed++;
      }
    }
  }
}

/** P's app: one ping every 100 ms to R's relayed address once known; records the echoes. */
class PingApp {
  target: { address: string; port: number } | undefined;
  sent = 0;
  readonly echoes = new Set<number>();
  fromRelayed = 0;
  nextAt = 0;
  constructor(readonly count: number) {}
  handleDatagram(_now: number, from: { address: string; port: number }, bytes: Uint8Array): boolean {
    if (this.target && from.address === this.target.address && from.port === this.target.port) this.fromRelayed++;
    const m = /^ping (\d+)$/.exec(new TextDecoder().decode(bytes));
    if (m) this.echoes.add(Number(m[1]));
    return true;
  }
  handleTimeout(): void {
    // Sending happens in pollTransmit once nextAt is due.
  }
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    if (this.target === undefined || this.sent >= this.count || now < this.nextAt) return 0;
    const b = utf8.encode(`ping ${this.sent++}`);
    this.nextAt = now + 100;
    out.set(b, 0);
    to.address = this.target.address;
    to.port = this.target.port;
    return b.length;
  }
  pollTimeout(): number | undefined {
    return this.target !== undefined && this.sent < this.count ? this.nextAt : undefined;
  }
}

function run(seed: number, kind: NatKind): { world: World; app: RelayEchoApp; ping: PingApp; server: SimTurnServer } {
  const world = makeWorld(seed, { latencyMs: 10, jitterMs: 30, loss: 0.05 });
  world.net.setDefaultLink({ reorder: 0.1, reorderDelayMs: 40, duplicate: 0.02 });
  const members = new Set(['lob.r']);
  const server = new SimTurnServer(world.driver, TURN.address, TURN.port, {
    secret: SECRET, isMember: (m) => members.has(m), random: (b) => world.prng.fill(b),
  });
  const r = addHost(world, 'r', kind);
  const p = addHost(world, 'p', 'symmetric');
  const cred = mintTurnRestCredential(utf8.encode(SECRET), 'lob', 'r', 1_700_000_000 + 600, nodeHmacSha1);
  const client = new TurnClient({ server: TURN, ...cred, hmacSha1: nodeHmacSha1, md5: nodeMd5, random: (b) => world.prng.fill(b) });
  const app = new RelayEchoApp(client, p.box!.publicAddress);
  r.mux.cores.push(app);
  const ping = new PingApp(40);
  p.mux.cores.push(ping);
  client.allocate(world.driver.now);
  world.driver.runUntil(() => client.state === 'allocated' || client.state === 'failed', { maxVirtualMs: 60_000 });
  expect(client.state, `seed ${seed}`).to.equal('allocated');
  world.driver.runUntil(() => client.hasPermission(p.box!.publicAddress), { maxVirtualMs: 60_000 });
  ping.target = { address: app.relayed!.address, port: app.relayed!.port };
  ping.nextAt = world.driver.now;
  world.driver.runFor(8000);
  return { world, app, ping, server };
}

describe('TURN in the simulator', function () {
  this.timeout(60_000);
  const kinds: NatKind[] = ['none', 'full-cone', 'port-restricted', 'symmetric'];
  for (const kind of kinds) {
    it(`relays a symmetric-NAT peer to a ${kind} client over an allocation (5 % loss, jitter, reordering; seeds 1..4)`, () => {
      for (let s = 1; s <= 4; s++) {
        const seed = seedFromEnv(700 + s * 10 + kinds.indexOf(kind));
        const { app, ping, server } = run(seed, kind);
        const msg = `seed ${seed} (replay with MESHPUNCH_SEED=${seed})`;
        expect(ping.sent, msg).to.equal(40);
        // Each echo crosses four lossy hops (P→relay→R→relay→P): expect most, not all.
        expect(ping.echoes.size, msg).to.be.at.least(25);
        expect(ping.fromRelayed, msg).to.be.at.least(ping.echoes.size);
        expect(app.stray, msg).to.equal(0);
        const bound = app.events.find((e) => e.type === 'channelBound');
        expect(bound?.type === 'channelBound' && app.client.channelFor(bound.peer), msg).to.equal(0x4000);
        expect(app.client.counters.channelDataSent, msg).to.be.greaterThan(0);
        expect(server.core.counters.dropped.no_permission, msg).to.equal(0);
      }
    });
  }

  it('keeps the allocation, permission and channel alive for 25 virtual minutes of refreshes under loss', () => {
    const { world, app, ping, server } = run(seedFromEnv(792), 'symmetric');
    world.driver.runFor(25 * 60_000);
    expect([app.client.state, server.core.allocations]).to.deep.equal(['allocated', 1]);
    expect(app.events.filter((e) => e.type === 'refreshed').length).to.be.at.least(2);
    const echoes = ping.echoes.size;
    ping.sent = 0;
    ping.echoes.clear();
    ping.nextAt = world.driver.now;
    world.driver.runFor(5000);
    expect(ping.echoes.size, `had ${echoes} before`).to.be.at.least(25);
    expect(server.core.counters.dropped.no_permission).to.equal(0);
  });

  it('deletes the allocation and leaves no timers or allocations behind', () => {
    const { world, app, server } = run(seedFromEnv(790), 'port-restricted');
    app.client.close(world.driver.now);
    world.driver.runUntil(() => app.client.state === 'closed', { maxVirtualMs: 60_000 });
    world.driver.runFor(2000);
    expect([app.client.pollTimeout(), server.core.allocations, server.core.pollTimeout(), server.nodes.size]).to.deep.equal([undefined, 0, undefined, 1]);
  });

  it('ends the allocation within 1 s of revokeMember and the peer stops reaching the client', () => {
    const { world, app, ping, server } = run(seedFromEnv(791), 'symmetric');
    const before = app.echoed;
    server.core.revokeMember(world.driver.now, 'lob.r');
    ping.sent = 0;
    ping.nextAt = world.driver.now;
    world.driver.runFor(1000);
    expect([server.core.allocations, server.nodes.size, app.echoed]).to.deep.equal([0, 1, before]);
  });
});
