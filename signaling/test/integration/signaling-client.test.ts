// SignalingClient against a real SignalingServer over loopback WebSockets.
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { SignalingError } from '../../src/errors.js';
import { startTestServer } from '../support/server.js';

describe('SignalingClient', () => {
  let server: SignalingServer;
  const clients: SignalingClient[] = [];
  const connect = async (name?: string): Promise<SignalingClient> => {
    const c = await SignalingClient.connect(server.url, name === undefined ? {} : { name });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startTestServer({ graceMs: 3000 });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  describe('#createLobby / #joinLobby', () => {
    it('creates, joins, schedules a pair and relays candidates and results', async () => {
      const a = await connect('alice');
      const b = await connect('bob');
      expect(a.version).to.equal(1);
      const created = await a.createLobby({ password: 'pw' });
      expect(created.you).to.equal(1);
      const joined = a.next('peerJoined');
      const startA = a.next('pairStart');
      const startB = b.next('pairStart');
      const { you } = await b.joinLobby(created.lobby.code, { password: 'pw' });
      expect((await joined).id).to.equal(you);
      const [sa, sb] = await Promise.all([startA, startB]);
      expect(sa).to.deep.include({ remote: you, role: 'listen', pair: sb.pair });
      expect(sb).to.deep.include({ remote: 1, role: 'connect' });
      expect(Buffer.from(sa.secret).equals(Buffer.from(sb.secret))).to.equal(true);
      expect(sa.secret.length).to.equal(16);
      // startAt is on the local clock: service time plus the offset, ahead of now.
      expect(sa.startAt).to.equal(sa.at + a.clockOffsetMs);
      const cands = b.next('candidates');
      await a.sendCandidates(sa.pair, [{ kind: 'host', family: 4, address: '127.0.0.1', port: 4242 }], { done: true });
      expect(await cands).to.deep.equal({ pair: sa.pair, from: 1, candidates: [{ kind: 'host', family: 4, address: '127.0.0.1', port: 4242 }], done: true });
      const linkA = a.next('linkUpdated');
      await b.reportPairResult(sb.pair, { outcome: 'connected', path: 'direct', rttMs: 2 });
      expect(await linkA).to.deep.equal({ pair: sa.pair, a: 1, b: you, state: 'connected', path: 'direct', rttMs: 2 });
      expect(a.lobby!.links).to.deep.equal([{ pair: sa.pair, a: 1, b: you, state: 'connected', path: 'direct', rttMs: 2 }]);
      expect((await b.getLobby()).members.map((m) => m.name)).to.deep.equal(['alice', 'bob']);
    });

    it('offers link-view by default, so a late joiner\'s lobby lists the pairs of the members before it (1.8)', async () => {
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby();
      const pairAB = a.next('pairStart');
      const { you: idB } = await b.joinLobby(lobby.code);
      const { pair } = await pairAB;
      const c = await connect();
      expect(c.caps).to.include('link-view');
      const { you: idC, lobby: seen } = await c.joinLobby(lobby.code);
      // The pair a–b was made before c came: only the service's lobby view can have told c.
      expect(seen.links.find((l) => l.pair === pair)).to.deep.include({ a: 1, b: idB });
      expect(c.lobby!.links.find((l) => l.pair === pair)).to.deep.include({ a: 1, b: idB });
      // A client offering other caps gets none; its own pairs come with its pair.starts.
      const d = await SignalingClient.connect(server.url, { caps: ['resume'] });
      clients.push(d);
      const starts = d.next('pairStart');
      const { you: idD } = await d.joinLobby(lobby.code);
      await starts;
      expect(d.lobby!.members).to.have.length(4);
      expect(d.lobby!.links.filter((l) => l.a !== idD && l.b !== idD), `${idC}`).to.deep.equal([]);
    });

    it('rejects with typed errors carrying the service code', async () => {
      const a = await connect();
      const err = await a.joinLobby('ZZZZ-ZZZZ').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SignalingError);
      expect(err).to.include({ code: 'SIG_LOBBY_NOT_FOUND', message: 'no lobby has that code or name' });
      const { lobby } = await a.createLobby();
      const b = await connect();
      await b.joinLobby(lobby.code);
      const seal = await b.seal().catch((e: unknown) => e);
      expect(seal).to.include({ code: 'SIG_NOT_OWNER' });
      const bad = await b.sendCandidates(999, []).catch((e: unknown) => e);
      expect(bad).to.include({ code: 'SIG_UNKNOWN_PAIR' });
    });

    it('tracks ownership, sealing and leaving in its lobby view', async () => {
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby();
      const { you } = await b.joinLobby(lobby.code);
      const sealed = b.next('sealed');
      await a.seal();
      await sealed;
      expect(b.lobby!.sealed).to.equal(true);
      const owner = b.next('ownerChanged');
      const left = b.next('peerLeft');
      await a.leave();
      expect(await left).to.deep.equal({ id: 1, reason: 'left' });
      expect(await owner).to.deep.equal({ owner: you });
      expect(b.lobby!.owner).to.equal(you);
      expect(b.lobby!.members.map((m) => m.id)).to.deep.equal([you]);
      expect(a.lobby).to.equal(undefined);
    });
  });

  describe('resume', () => {
    it('resumes after a dropped WebSocket with the same id and a restarted pair', async () => {
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby();
      const firstStart = a.next('pairStart');
      const { you } = await b.joinLobby(lobby.code);
      const first = await firstStart;
      const away = a.next('peerAway');
      const back = a.next('peerBack');
      const resumed = b.next('resumed');
      const restart = a.next('pairStart');
      const disconnected = b.next('disconnected');
      b.simulateConnectionLoss();
      expect(await disconnected).to.deep.include({ willResume: true });
      expect(await away).to.deep.equal({ id: you, graceMs: 3000 });
      expect((await resumed).you).to.equal(you);
      expect(await back).to.deep.equal({ id: you });
      expect(await restart).to.deep.include({ remote: you, replaces: first.pair });
      expect(b.isOpen).to.equal(true);
      expect(b.peerId).to.equal(you);
    });

    it('rejects requests made while the connection is down with SIG_CLIENT_CONNECTION_LOST', async () => {
      const a = await connect();
      await a.createLobby();
      const disconnected = a.next('disconnected');
      a.simulateConnectionLoss();
      await disconnected;
      const err = await a.getLobby().catch((e: unknown) => e);
      expect(err).to.include({ code: 'SIG_CLIENT_CONNECTION_LOST' });
      await a.next('resumed');
    });
  });

  describe('resume after the grace period', () => {
    it('gives up with SIG_RESUME_REJECTED and close code 4010 when the service removed the member and the client has no lobby key', async () => {
      await server.close();
      server = await startTestServer({ graceMs: 0 });
      const a = await connect();
      // Without the restore capability the client holds no lobby key: nothing brings it back.
      const b = await SignalingClient.connect(server.url, { caps: ['resume'] });
      clients.push(b);
      const { lobby } = await a.createLobby();
      const { you } = await b.joinLobby(lobby.code);
      const left = a.next('peerLeft');
      const closed = b.next('closed');
      b.simulateConnectionLoss();
      expect(await left).to.deep.equal({ id: you, reason: 'closed' });
      const c = await closed;
      expect(c.code).to.equal(4010);
      expect(c.error).to.be.instanceOf(SignalingError);
      expect(c.error!.code).to.equal('SIG_RESUME_REJECTED');
      expect(b.isOpen).to.equal(false);
      expect(b.peerId).to.equal(undefined);
      // The socket opened for the failed resume is closed too: only a's connection is left.
      for (let i = 0; i < 200 && server.core.connectionCount > 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(server.core.connectionCount).to.equal(1);
    });
  });

  describe('restore (issue #12)', () => {
    it('comes back under its id with lobby.restore when the service removed it (grace over)', async () => {
      await server.close();
      server = await startTestServer({ graceMs: 0 });
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby();
      const { you } = await b.joinLobby(lobby.code);
      const rejoined = a.next('peerJoined', { filter: (m) => m.id === you });
      const resumed = b.next('resumed');
      b.simulateConnectionLoss();
      expect(await resumed).to.deep.include({ you, restored: true, url: server.url });
      expect((await rejoined).id).to.equal(you);
      expect(b.peerId).to.equal(you);
    });

    it('re-registers the lobby on a restarted service (SIGTERM-like shutdown, 1001) with every id, and a newcomer gets a fresh id', async () => {
      const port = server.port;
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby({ name: 'outlive', password: 'pw' });
      const { you } = await b.joinLobby('outlive', { password: 'pw' });
      const downA = a.next('disconnected');
      const downB = b.next('disconnected');
      const backA = a.next('resumed', { timeoutMs: 10_000 });
      const backB = b.next('resumed', { timeoutMs: 10_000 });
      await server.close();
      expect(await downA).to.deep.include({ code: 1001, willResume: true });
      await downB;
      // The clients keep retrying (backoff with jitter) until the service is back on its port.
      await new Promise((r) => setTimeout(r, 300));
      server = await startTestServer({ port });
      const [ra, rb] = await Promise.all([backA, backB]);
      expect(ra).to.deep.include({ you: 1, restored: true });
      expect(rb).to.deep.include({ you, restored: true });
      const view = await a.getLobby();
      expect(view.code).to.equal(lobby.code);
      expect(view.hasPassword).to.equal(true);
      expect(view.members.map((m) => m.id).sort((x, y) => x - y)).to.deep.equal([1, you].sort((x, y) => x - y));
      const c = await connect();
      const joined = await c.joinLobby('outlive', { password: 'pw' });
      expect([1, you]).to.not.include(joined.you);
    });

    it('rotates over every URL it was given: a dead first URL, the live second one', async () => {
      const dead = 'ws://127.0.0.1:9/';
      const c = await SignalingClient.connect([dead, server.url], { retryConnectMs: 5000 });
      clients.push(c);
      expect(c.url).to.equal(server.url);
      expect(c.urls).to.deep.equal([dead, server.url]);
    });

    it('retries the first connect within retryConnectMs: a client started before its service gets in', async () => {
      const port = server.port;
      await server.close();
      const connecting = SignalingClient.connect(`ws://127.0.0.1:${port}/`, { retryConnectMs: 10_000 });
      await new Promise((r) => setTimeout(r, 400));
      server = await startTestServer({ port });
      const c = await connecting;
      clients.push(c);
      expect(c.isOpen).to.equal(true);
    });
  });

  describe('#close', () => {
    it('leaves at once: the others see peer.left with reason left', async () => {
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby();
      const { you } = await b.joinLobby(lobby.code);
      const left = a.next('peerLeft');
      await b.close();
      expect(await left).to.deep.equal({ id: you, reason: 'left' });
      const err = await b.getLobby().catch((e: unknown) => e);
      expect(err).to.include({ code: 'SIG_CLIENT_CLOSED' });
    });

    it('reports a service shutdown as shutdown then a 1001 disconnect it will come back from', async () => {
      const a = await connect();
      await a.createLobby();
      const shutdown = a.next('shutdown');
      const down = a.next('disconnected');
      await server.close();
      expect(await shutdown).to.deep.equal({ reason: 'the service is shutting down' });
      expect(await down).to.deep.include({ code: 1001, willResume: true });
      server = await startTestServer();
    });

    it('closes with 1001 when the service shuts down and the client is in no lobby', async () => {
      const a = await connect();
      const closed = a.next('closed');
      await server.close();
      expect(await closed).to.deep.include({ code: 1001 });
      server = await startTestServer();
    });
  });

  describe('.connect', () => {
    it('rejects a bad url synchronously typed, and an unreachable service with SIG_CLIENT_CONNECT_FAILED', async () => {
      const e1 = await SignalingClient.connect('http://x').catch((e: unknown) => e);
      expect(e1).to.include({ code: 'ERR_INVALID_PARAMETER', message: 'url must start with ws:// or wss://, got "http://x"' });
      const port = server.port;
      await server.close();
      const e2 = await SignalingClient.connect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e);
      expect(e2).to.include({ code: 'SIG_CLIENT_CONNECT_FAILED' });
      server = await startTestServer();
    });

    it('rejects with SIG_SERVER_FULL when the service is at its connection cap', async () => {
      await server.close();
      server = await startTestServer({ maxConnections: 1 });
      await connect();
      const err = await SignalingClient.connect(server.url).catch((e: unknown) => e);
      expect(err).to.include({ code: 'SIG_SERVER_FULL' });
    });
  });
});
