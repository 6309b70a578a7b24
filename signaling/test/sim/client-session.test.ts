// ClientSession (the signaling client's sans-IO core) against SignalingCore on the simulator's
// network, in virtual time with seeds (issue #15): connect, join, resume after a drop, resume
// rejected, restore on a restarted service, pending requests failing on close and on a drop.
import { expect } from 'chai';
import type { LobbyJoinedMessage } from '@meshpunch/protocol';
import { Prng, SimDriver, SimNet, seedFromEnv } from '@meshpunch/sim';
import type { Endpoint } from '@meshpunch/sim';
import type { ClientSessionConfig } from '../../src/core/client-session.js';
import type { PairStart } from '../../src/core/client-events.js';
import type { SignalingError } from '../../src/errors.js';
import { SimSignalingClient, SimSignalingService } from '../support/sim-signaling.js';

const SEEDS = [seedFromEnv(15_001), 15_002, 15_003];
const SERVICE: Endpoint = { address: '203.0.113.10', port: 8787 };
/** One-way delay of every link (ms); no loss or jitter: a WebSocket is reliable and ordered. */
const LATENCY_MS = 20;

class World {
  readonly prng: Prng;
  readonly driver: SimDriver;
  readonly service: SimSignalingService;
  #next = 1;

  constructor(readonly seed: number, serviceOptions = {}) {
    this.prng = new Prng(seed);
    this.driver = new SimDriver(new SimNet({ prng: new Prng(seed ^ 0x9e37), defaultLink: { latencyMs: LATENCY_MS } }));
    this.service = new SimSignalingService({ graceMs: 5000, heartbeatMs: 2000, idleTimeoutMs: 6000, ...serviceOptions }, this.prng);
    this.driver.add(this.service, SERVICE.address, SERVICE.port);
  }

  get now(): number {
    return this.driver.now;
  }

  client(config: Partial<ClientSessionConfig> = {}): SimSignalingClient {
    const local = { address: `198.51.100.${this.#next++}`, port: 40_000 };
    const c = new SimSignalingClient(local, [SERVICE], config, this.prng);
    this.driver.add(c, local.address, local.port);
    return c;
  }

  connected(config: Partial<ClientSessionConfig> = {}): SimSignalingClient {
    const c = this.client(config);
    c.connect(this.now);
    this.driver.runUntil(() => c.session.isOpen, { maxVirtualMs: 5000 });
    return c;
  }

  /** Sends a request and runs until its outcome is in. */
  ask(c: SimSignalingClient, body: Record<string, unknown>, kind?: Parameters<SimSignalingClient['request']>[2]): { message?: unknown; error?: SignalingError } {
    const rid = c.request(this.now, body, kind);
    this.driver.runUntil(() => c.answers.has(rid), { maxVirtualMs: 30_000 });
    return c.answers.get(rid)! as { message?: unknown; error?: SignalingError };
  }
}

for (const seed of SEEDS) {
  describe(`ClientSession in the simulator (seed ${seed})`, () => {
    it('connects: hello answered with welcome, RTT and clock offset from the exchange, heartbeats answered', () => {
      const w = new World(seed);
      const c = w.client();
      c.connect(w.now);
      expect(c.session.phase).to.equal('connecting');
      w.driver.runUntil(() => c.session.isOpen, { maxVirtualMs: 1000 });
      expect(c.records).to.deep.equal([{ type: 'connected' }]);
      expect(c.session.welcome!.heartbeatMs).to.equal(2000);
      // open (one round trip) then hello (another): the RTT is the hello's.
      expect(c.session.rttMs).to.equal(2 * LATENCY_MS);
      w.driver.runFor(20_000);
      expect(c.session.isOpen, 'heartbeats kept the connection').to.equal(true);
      expect(w.service.connections).to.equal(1);
    });

    it('joins: creator is peer 1, the joiner gets a pair start, lobby copies follow the service', () => {
      const w = new World(seed);
      const a = w.connected();
      const b = w.connected();
      const created = w.ask(a, { type: 'lobby.create', maxPeers: 4 }, 'joined').message as LobbyJoinedMessage;
      expect(created.you).to.equal(1);
      const joined = w.ask(b, { type: 'lobby.join', lobby: created.lobby.code }, 'joined').message as LobbyJoinedMessage;
      expect(joined.you).to.be.within(2, 0x7fffffff);
      w.driver.runFor(500);
      const starts = b.emitted<PairStart>('pairStart');
      expect(starts.map((p) => p.remote)).to.deep.equal([1]);
      expect(starts[0]!.secret).to.have.length(16);
      expect(a.emitted<{ id: number }>('peerJoined').map((m) => m.id)).to.deep.equal([joined.you]);
      expect(a.session.lobby!.members.map((m) => m.id)).to.deep.equal([1, joined.you]);
      expect(a.session.lobby!.links.map((l) => [l.a, l.b, l.state])).to.deep.equal([[1, joined.you, 'pending']]);
      expect(b.session.peerId).to.equal(joined.you);
    });

    it('resumes after a drop: one disconnected, same id, the others see away then back; requests meanwhile fail with CONNECTION_LOST', () => {
      const w = new World(seed);
      const a = w.connected();
      const b = w.connected();
      const code = (w.ask(a, { type: 'lobby.create' }, 'joined').message as LobbyJoinedMessage).lobby.code;
      const you = (w.ask(b, { type: 'lobby.join', lobby: code }, 'joined').message as LobbyJoinedMessage).you;
      const tag = b.tag!;
      b.dropConnection(w.now);
      w.service.dropConnection(w.now, b.local, tag);
      const during = b.request(w.now, { type: 'lobby.get' }, 'lobbyState');
      expect(b.answers.get(during)!.error).to.include({ code: 'SIG_CLIENT_CONNECTION_LOST' });
      w.driver.runUntil(() => b.emitted('resumed').length === 1, { maxVirtualMs: 5000 });
      expect(b.emitted('disconnected')).to.deep.equal([{ code: 1006, reason: '', willResume: true }]);
      expect(b.emitted<{ you: number; restored: boolean }>('resumed')[0]).to.include({ you, restored: false });
      expect(b.session.isOpen).to.equal(true);
      expect(a.emitted<{ id: number }>('peerAway').map((e) => e.id)).to.deep.equal([you]);
      w.driver.runFor(200);
      expect(a.emitted<{ id: number }>('peerBack').map((e) => e.id)).to.deep.equal([you]);
      expect(w.ask(b, { type: 'lobby.get' }, 'lobbyState').message).to.have.property('type', 'lobby.state');
    });

    it('gives up when the restarted service rejects resume and there is no lobby key: closed 4010 SIG_RESUME_REJECTED, nothing left scheduled', () => {
      const w = new World(seed);
      // Without the restore capability the service hands out no lobby key.
      const caps = ['relay'];
      const a = w.connected({ caps });
      w.ask(a, { type: 'lobby.create' }, 'joined');
      w.service.restart();
      a.dropConnection(w.now);
      w.driver.runUntil(() => a.session.phase === 'closed', { maxVirtualMs: 5000 });
      const closed = a.emitted<{ code: number; error: SignalingError }>('closed');
      expect(closed).to.have.length(1);
      expect(closed[0]!.code).to.equal(4010);
      expect(closed[0]!.error).to.include({ code: 'SIG_RESUME_REJECTED' });
      expect(a.emitted('disconnected')).to.have.length(1);
      expect(a.session.pollTimeout()).to.equal(undefined);
      expect(a.session.pendingRequests).to.equal(0);
      w.driver.runFor(1000);
      expect(w.service.connections, 'the rejected attempt\'s socket was closed').to.equal(0);
    });

    it('restores the lobby on a restarted service with the lobby key, under the same id', () => {
      const w = new World(seed);
      const a = w.connected();
      const created = w.ask(a, { type: 'lobby.create', name: `room-${seed}` }, 'joined').message as LobbyJoinedMessage;
      w.service.restart();
      a.dropConnection(w.now);
      w.driver.runUntil(() => a.emitted('resumed').length === 1, { maxVirtualMs: 5000 });
      expect(a.emitted<{ you: number; restored: boolean }>('resumed')[0]).to.include({ you: created.you, restored: true });
      expect(w.service.core.lobbyCount).to.equal(1);
    });

    it('keeps one resume loop while every attempt fails after hello, and gives up when the window ends', () => {
      const w = new World(seed);
      const a = w.connected();
      w.ask(a, { type: 'lobby.create' }, 'joined');
      w.service.intercept = (msg) => (msg.type === 'resume' ? { type: 'error', rid: msg.rid, code: 'SIG_RATE_LIMITED', message: 'slow down' } : undefined);
      a.dropConnection(w.now);
      // The window is the session's default reconnectWindowMs (10 min of virtual time).
      w.driver.runUntil(() => a.session.phase === 'closed', { maxVirtualMs: 700_000 });
      expect(a.emitted('disconnected')).to.have.length(1);
      const retrying = a.emitted<{ attempt: number }>('retrying');
      expect(retrying.map((r) => r.attempt)).to.deep.equal(retrying.map((_, i) => i + 1));
      expect(a.socketsOpened, 'one socket per attempt').to.equal(1 + 1 + retrying.length);
      expect(a.emitted<{ code: number; error: SignalingError }>('closed')[0]!.error).to.include({ code: 'SIG_RATE_LIMITED' });
    });

    it('fails pending requests: SIG_CLIENT_CLOSED on close(), SIG_CLIENT_CONNECTION_LOST on a drop, SIG_CLIENT_TIMEOUT when unanswered', () => {
      const w = new World(seed);
      const a = w.connected({ requestTimeoutMs: 3000 });
      w.ask(a, { type: 'lobby.create' }, 'joined');
      const lost = a.request(w.now, { type: 'lobby.get' }, 'lobbyState');
      a.dropConnection(w.now);
      expect(a.answers.get(lost)!.error).to.include({ code: 'SIG_CLIENT_CONNECTION_LOST', message: 'the connection closed (1006) before an answer came' });
      w.driver.runUntil(() => a.session.isOpen, { maxVirtualMs: 5000 });
      w.service.intercept = (msg) => (msg.type === 'lobby.seal' ? { type: 'heartbeat', n: 0 } : undefined);
      const silent = a.request(w.now, { type: 'lobby.seal' }, 'seal');
      w.driver.runUntil(() => a.answers.has(silent), { maxVirtualMs: 5000 });
      expect(a.answers.get(silent)!.error).to.include({ code: 'SIG_CLIENT_TIMEOUT', message: 'no answer to lobby.seal within 3000 ms' });
      const closedBefore = a.request(w.now, { type: 'lobby.get' }, 'lobbyState');
      a.close();
      expect(a.answers.get(closedBefore)!.error).to.include({ code: 'SIG_CLIENT_CLOSED', message: 'the client closed before an answer came' });
      const after = a.request(w.now, { type: 'lobby.get' });
      expect(a.answers.get(after)!.error).to.include({ code: 'SIG_CLIENT_CLOSED', message: 'the client is closed' });
      expect(a.emitted('closed')).to.deep.equal([{ code: 1000, reason: 'client closed' }]);
      expect(a.session.pollTimeout()).to.equal(undefined);
      w.driver.runFor(1000);
      expect(w.service.connections).to.equal(0);
    });

    it('rotates over its services: a dead first one times out, the second answers; a drop there resumes on the second', () => {
      const w = new World(seed);
      const dead: Endpoint = { address: '203.0.113.66', port: 8787 };
      const local = { address: '198.51.100.77', port: 40_000 };
      const c = new SimSignalingClient(local, [dead, SERVICE], { connectTimeoutMs: 2000, retryConnectMs: 5000 }, w.prng);
      w.driver.add(c, local.address, local.port);
      c.connect(w.now);
      w.driver.runUntil(() => c.session.isOpen, { maxVirtualMs: 10_000 });
      expect(c.session.serviceIndex).to.equal(1);
      expect(c.socketsOpened).to.equal(2);
      expect(w.now, 'the dead service cost one connect timeout').to.be.within(2000, 2500);
      w.ask(c, { type: 'lobby.create' }, 'joined');
      const tag = c.tag!;
      c.dropConnection(w.now);
      w.service.dropConnection(w.now, local, tag);
      w.driver.runUntil(() => c.emitted('resumed').length === 1, { maxVirtualMs: 10_000 });
      // Resume starts at the service last used.
      expect(c.emitted<{ url: string }>('resumed')[0]!.url).to.equal(`ws://${SERVICE.address}:${SERVICE.port}/`);
    });

    it('with the default retryConnectMs (0) the first connect still tries every service once: a dead first one, then the second', () => {
      const w = new World(seed);
      const dead: Endpoint = { address: '203.0.113.66', port: 8787 };
      const local = { address: '198.51.100.78', port: 40_000 };
      const c = new SimSignalingClient(local, [dead, SERVICE], { connectTimeoutMs: 2000 }, w.prng);
      w.driver.add(c, local.address, local.port);
      c.connect(w.now);
      w.driver.runUntil(() => c.session.isOpen || c.session.phase === 'closed', { maxVirtualMs: 10_000 });
      expect(c.session.isOpen, 'gave up after the first URL').to.equal(true);
      expect(c.session.serviceIndex).to.equal(1);
      expect(c.socketsOpened).to.equal(2);
    });

    it('close() during a resume attempt leaves nothing queued or scheduled', () => {
      const w = new World(seed);
      const a = w.connected();
      w.ask(a, { type: 'lobby.create' }, 'joined');
      a.dropConnection(w.now);
      w.driver.runUntil(() => a.socketsOpened === 2, { maxVirtualMs: 5000 });
      a.close();
      expect(a.session.phase).to.equal('closed');
      expect(a.session.pollTimeout()).to.equal(undefined);
      expect(a.session.pendingRequests).to.equal(0);
      expect(a.session.pollTransmit(w.now, new Uint8Array(4096), { address: '', port: 0 })).to.equal(0);
    });

    it('declares a silent service dead after 2.5 heartbeats and resumes', () => {
      const w = new World(seed);
      const a = w.connected();
      w.ask(a, { type: 'lobby.create' }, 'joined');
      const cutAt = w.now;
      w.driver.net.cut(SERVICE.address);
      w.driver.runUntil(() => a.emitted('disconnected').length === 1, { maxVirtualMs: 10_000 });
      // Last heard at most one heartbeat (2 s) before the cut; dead once 5 s of silence passed.
      expect(w.now - cutAt).to.be.within(3000, 5001);
      w.driver.net.cut(SERVICE.address, false);
      w.driver.runUntil(() => a.emitted('resumed').length === 1, { maxVirtualMs: 10_000 });
      expect(a.session.isOpen).to.equal(true);
    });
  });
}
