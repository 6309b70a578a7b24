// SignalingClient against a fake service that misbehaves: invalid messages, silence.
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingError } from '../../src/errors.js';

const WELCOME = { type: 'welcome', version: 1, caps: [], now: 1000, graceMs: 1000, heartbeatMs: 10_000, limits: { maxMessageBytes: 4096, maxCandidatesPerPair: 16, maxPeersCap: 64, messagesPerSecond: 50, messageBurst: 200 } };

describe('SignalingClient against a misbehaving service', () => {
  let wss: WebSocketServer;
  let url: string;
  let onRequest: (ws: WebSocket, msg: Record<string, unknown>) => void;

  beforeEach(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    wss.on('connection', (ws) => ws.on('message', (d: Buffer) => onRequest(ws, JSON.parse(d.toString()) as Record<string, unknown>)));
  });

  afterEach(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('reports invalid service messages as SIG_CLIENT_PROTOCOL errors and keeps working', async () => {
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
      if (msg.type === 'lobby.get') {
        ws.send('not json');
        ws.send(JSON.stringify({ type: 'pair.start', pair: 1, remote: 0, role: 'listen', at: 1, offsetMs: null, secret: 'x' }));
        ws.send(JSON.stringify({ type: 'error', rid: msg.rid, code: 'SIG_NOT_IN_LOBBY', message: 'in no lobby' }));
      }
    };
    const c = await SignalingClient.connect(url, { requestTimeoutMs: 2000 });
    const errors: SignalingError[] = [];
    c.on('error', (e) => errors.push(e));
    const err = await c.getLobby().catch((e: unknown) => e);
    expect(err).to.include({ code: 'SIG_NOT_IN_LOBBY', message: 'in no lobby' });
    expect(errors.map((e) => e.code)).to.deep.equal(['SIG_CLIENT_PROTOCOL', 'SIG_CLIENT_PROTOCOL']);
    expect(errors[0]!.message).to.equal('invalid message from the service: message is not valid JSON');
    await c.close();
  });

  it('sends lobby.join and lobby.create again while the service answers SIG_UNAVAILABLE (a cluster node cut off from its store), as docs/errors.md says', async () => {
    const lobby = { code: 'ABCD-EFGH', mode: 'mesh', maxPeers: 16, sealed: false, owner: 1, hasPassword: false, members: [{ id: 1, away: false }, { id: 2, away: false }], links: [] };
    const seen: string[] = [];
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
      if (msg.type !== 'lobby.join' && msg.type !== 'lobby.create') return;
      seen.push(msg.type);
      // Two refusals of each, then the answer.
      if (seen.filter((t) => t === msg.type).length <= 2) {
        ws.send(JSON.stringify({ type: 'error', rid: msg.rid, code: 'SIG_UNAVAILABLE', message: 'the service cannot reach its lobby store; retry later' }));
      } else ws.send(JSON.stringify({ type: 'lobby.joined', rid: msg.rid, you: msg.type === 'lobby.create' ? 1 : 2, token: 'tok', lobby }));
    };
    const c = await SignalingClient.connect(url, { requestTimeoutMs: 30_000 });
    expect((await c.joinLobby('ABCD-EFGH')).you).to.equal(2);
    await c.close();
    const d = await SignalingClient.connect(url, { requestTimeoutMs: 30_000 });
    expect((await d.createLobby({ name: 'table' })).you).to.equal(1);
    await d.close();
    expect(seen).to.deep.equal(['lobby.join', 'lobby.join', 'lobby.join', 'lobby.create', 'lobby.create', 'lobby.create']);
  });

  it('gives up on SIG_UNAVAILABLE after requestTimeoutMs and rejects with it; other refusals are not retried', async () => {
    let joins = 0;
    let creates = 0;
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
      if (msg.type === 'lobby.join') {
        joins++;
        ws.send(JSON.stringify({ type: 'error', rid: msg.rid, code: 'SIG_UNAVAILABLE', message: 'the service cannot reach its lobby store; retry later' }));
      }
      if (msg.type === 'lobby.create') {
        creates++;
        ws.send(JSON.stringify({ type: 'error', rid: msg.rid, code: 'SIG_LOBBY_EXISTS', message: 'a lobby has that name' }));
      }
    };
    const c = await SignalingClient.connect(url, { requestTimeoutMs: 600 });
    const err = await c.joinLobby('ABCD-EFGH').catch((e: unknown) => e);
    expect(err).to.include({ code: 'SIG_UNAVAILABLE' });
    // Backoff from 100 ms (jittered, doubling): a few tries in 600 ms, never a flood (how many
    // depends on how fast this machine answers; the test above shows the tries).
    expect(joins).to.be.within(1, 8);
    expect(await c.createLobby({ name: 'taken' }).catch((e: { code: string }) => e.code)).to.equal('SIG_LOBBY_EXISTS');
    expect(creates).to.equal(1);
    await c.close();
  });

  it('rejects a request the service never answers with SIG_CLIENT_TIMEOUT naming it', async () => {
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
    };
    const c = await SignalingClient.connect(url, { requestTimeoutMs: 150 });
    const err = await c.seal().catch((e: unknown) => e);
    expect(err).to.include({ code: 'SIG_CLIENT_TIMEOUT', message: 'no answer to lobby.seal within 150 ms' });
    await c.close();
  });

  it('closes the socket of a resume attempt the service rejects, then reports closed', async () => {
    const lobby = { code: 'ABCD-EFGH', mode: 'mesh', maxPeers: 16, sealed: false, owner: 1, hasPassword: false, members: [{ id: 1, away: false }], links: [] };
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
      if (msg.type === 'lobby.create') ws.send(JSON.stringify({ type: 'lobby.joined', rid: msg.rid, you: 1, token: 'tok', lobby }));
      if (msg.type === 'resume') ws.send(JSON.stringify({ type: 'error', rid: msg.rid, code: 'SIG_RESUME_REJECTED', message: 'gone' }));
    };
    const c = await SignalingClient.connect(url);
    await c.createLobby();
    const closed = c.next('closed');
    c.simulateConnectionLoss();
    const e = await closed;
    expect(e.error).to.include({ code: 'SIG_RESUME_REJECTED', message: 'gone' });
    for (let i = 0; i < 200 && wss.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(wss.clients.size).to.equal(0);
  });

  it('keeps one resume loop while attempts fail after hello (a failed attempt\'s socket closing is no second drop: no listener leak)', async () => {
    // Issue #15: each failed attempt's socket, closing, started another resume loop; the loops
    // multiplied and every one added an 'error' listener (MaxListenersExceededWarning).
    const lobby = { code: 'ABCD-EFGH', mode: 'mesh', maxPeers: 16, sealed: false, owner: 1, hasPassword: false, members: [{ id: 1, away: false }], links: [] };
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
      if (msg.type === 'lobby.create') ws.send(JSON.stringify({ type: 'lobby.joined', rid: msg.rid, you: 1, token: 'tok', lobby }));
      if (msg.type === 'resume') ws.send(JSON.stringify({ type: 'error', rid: msg.rid, code: 'SIG_RATE_LIMITED', message: 'slow down' }));
    };
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const c = await SignalingClient.connect(url, { reconnectWindowMs: 2500 });
      await c.createLobby();
      let disconnected = 0;
      let retrying = 0;
      c.on('disconnected', () => disconnected++);
      c.on('retrying', () => retrying++);
      const closed = c.next('closed', { timeoutMs: 10_000 });
      c.simulateConnectionLoss();
      const e = await closed;
      expect(disconnected).to.equal(1);
      expect(e.code).to.equal(4010);
      expect(e.error).to.include({ code: 'SIG_RATE_LIMITED' });
      // One loop: backoff 100 ms doubling (with jitter) within 2.5 s is at most ~7 attempts.
      expect(retrying).to.be.within(1, 8);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a resume attempt the service closes (1001) is retried by the one resume loop: one resume.ok, no second loop', async () => {
    const lobby = { code: 'ABCD-EFGH', mode: 'mesh', maxPeers: 16, sealed: false, owner: 1, hasPassword: false, members: [{ id: 1, away: false }], links: [] };
    let resumes = 0;
    onRequest = (ws, msg) => {
      if (msg.type === 'hello') ws.send(JSON.stringify({ ...WELCOME, rid: msg.rid }));
      if (msg.type === 'lobby.create') ws.send(JSON.stringify({ type: 'lobby.joined', rid: msg.rid, you: 1, token: 'tok', lobby }));
      if (msg.type !== 'resume') return;
      // The first attempt meets a cluster gateway whose lobby home is gone: closed, no answer.
      if (++resumes === 1) ws.close(1001, 'the lobby\'s node is gone; resume');
      else ws.send(JSON.stringify({ type: 'resume.ok', rid: msg.rid, you: 1, token: `tok${resumes}`, lobby }));
    };
    const c = await SignalingClient.connect(url);
    await c.createLobby();
    const resumed: number[] = [];
    const disconnects: number[] = [];
    c.on('resumed', (r) => resumed.push(r.you));
    c.on('disconnected', (d) => disconnects.push(d.code));
    c.simulateConnectionLoss();
    for (let i = 0; i < 500 && resumed.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // A second loop would send its own resume after its backoff (≤ 0.4 s here) and resume again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(resumed).to.deep.equal([1]);
    expect(resumes).to.equal(2);
    expect(disconnects).to.have.length(1);
    expect(wss.clients.size).to.equal(1);
    await c.close();
  });

  it('rejects connect with SIG_CLIENT_TIMEOUT when welcome never comes', async () => {
    onRequest = () => undefined;
    const err = await SignalingClient.connect(url, { requestTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).to.include({ code: 'SIG_CLIENT_TIMEOUT', message: 'no answer to hello within 150 ms' });
  });
});
