// The signaling server writes text frames straight to ws' private `_socket` and reads frame errors
// by ws' error codes (signaling-server.ts). These tests pin what it relies on, on real connections
// with the options the server uses, so that a ws upgrade that changes any of it fails here first:
// the exact version, `_socket` being the connection's net.Socket, `bufferedAmount` being that
// socket's backlog, the sender writing straight through (its queue empty) without
// permessage-deflate, and the WS_ERR_* codes with their close codes.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { Socket, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeTextFrame } from '../../src/adapter/text-frame.js';

const signalingDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const repoRoot = join(signalingDir, '..');

/** The private fields of a ws 8 WebSocket the server touches or depends on. */
interface WsPrivate {
  _socket: Socket | null;
  _sender: { _queue: unknown[]; _state: number; _bufferedBytes: number };
}
const internals = (ws: WebSocket): WsPrivate => ws as unknown as WsPrivate;

/** A server with the signaling server's ws options; `connections` yields each server-side socket. */
async function startWs(maxPayload = 64 * 1024): Promise<{
  http: Server;
  wss: WebSocketServer;
  url: string;
  next: () => Promise<{ ws: WebSocket; req: IncomingMessage; errors: Array<Error & { code?: string }> }>;
}> {
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: false });
  const waiting: Array<(c: { ws: WebSocket; req: IncomingMessage; errors: Array<Error & { code?: string }> }) => void> = [];
  const http = createServer();
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const errors: Array<Error & { code?: string }> = [];
      ws.on('error', (e) => errors.push(e));
      waiting.shift()?.({ ws, req, errors });
    });
  });
  await new Promise<void>((res) => http.listen(0, '127.0.0.1', res));
  const { port } = http.address() as AddressInfo;
  return {
    http,
    wss,
    url: `ws://127.0.0.1:${port}/`,
    next: () => new Promise((res) => waiting.push(res)),
  };
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; messages: string[] }> {
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  return new Promise((res) => ws.once('close', (code) => res({ code, messages })));
}

describe('ws internals the signaling server relies on', () => {
  let srv: Awaited<ReturnType<typeof startWs>>;
  let client: WebSocket | undefined;

  afterEach(async () => {
    client?.terminate();
    client = undefined;
    await new Promise<void>((res) => {
      srv.wss.close();
      srv.http.close(() => res());
      srv.http.closeAllConnections();
    });
  });

  describe('version', () => {
    beforeEach(async () => {
      srv = await startWs();
    });

    it('resolves ws to exactly the version signaling/package.json and the lockfile pin', () => {
      const pkg = JSON.parse(readFileSync(join(signalingDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      const pinned = pkg.dependencies['ws'];
      expect(pinned, 'signaling/package.json must pin ws exactly (no ^ or ~)').to.match(/^\d+\.\d+\.\d+$/);
      const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
      };
      expect(lock.packages['signaling']?.dependencies?.['ws'], 'lockfile entry of signaling/').to.equal(pinned);
      expect(lock.packages['node_modules/ws']?.version, 'lockfile resolution of ws').to.equal(pinned);
      const require = createRequire(join(signalingDir, 'package.json'));
      const installed = JSON.parse(readFileSync(require.resolve('ws/package.json'), 'utf8')) as { version: string };
      expect(installed.version, 'installed ws').to.equal(pinned);
    });
  });

  describe('a server-side connection', () => {
    beforeEach(async () => {
      srv = await startWs();
    });

    it('keeps its net.Socket, the upgraded request socket, in _socket', async () => {
      const conn = srv.next();
      client = new WebSocket(srv.url);
      await opened(client);
      const { ws, req } = await conn;
      const sock = internals(ws)._socket;
      expect(sock).to.be.instanceOf(Socket);
      expect(sock).to.equal(req.socket);
      expect(sock!.writable).to.equal(true);
    });

    it('reports the socket backlog plus the sender buffer as bufferedAmount', async () => {
      const conn = srv.next();
      client = new WebSocket(srv.url);
      await opened(client);
      const { ws } = await conn;
      const sock = internals(ws)._socket!;
      expect(internals(ws)._sender._bufferedBytes).to.equal(0);
      sock.cork();
      sock.write(encodeTextFrame('x'.repeat(100)));
      expect(sock.writableLength).to.equal(102);
      expect(ws.bufferedAmount).to.equal(sock.writableLength);
      sock.uncork();
    });

    it('writes straight through its sender (queue empty, state DEFAULT) without permessage-deflate', async () => {
      const conn = srv.next();
      client = new WebSocket(srv.url);
      await opened(client);
      const { ws } = await conn;
      const sender = internals(ws)._sender;
      expect(sender._queue).to.be.an('array').that.is.empty;
      expect(sender._state).to.equal(0);
      ws.send('via ws');
      ws.ping();
      expect(sender._queue).to.be.empty;
      expect(sender._state).to.equal(0);
    });

    it('keeps raw frames written to _socket in order with ws frames and the close', async () => {
      const conn = srv.next();
      client = new WebSocket(srv.url);
      await opened(client);
      const done = closed(client);
      const { ws } = await conn;
      const sock = internals(ws)._socket!;
      ws.send('one');
      sock.write(encodeTextFrame('two'));
      ws.send('three');
      sock.write(encodeTextFrame('four'));
      ws.close(4000, 'bye');
      const { code, messages } = await done;
      expect(messages).to.deep.equal(['one', 'two', 'three', 'four']);
      expect(code).to.equal(4000);
    });
  });

  describe('frame errors', () => {
    beforeEach(async () => {
      srv = await startWs(16);
    });

    it('raises WS_ERR_UNSUPPORTED_MESSAGE_LENGTH and closes with 1009 for a message over maxPayload', async () => {
      const conn = srv.next();
      client = new WebSocket(srv.url);
      await opened(client);
      const done = closed(client);
      const { errors } = await conn;
      client.send('x'.repeat(17));
      expect((await done).code).to.equal(1009);
      expect(errors.map((e) => e.code)).to.deep.equal(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
    });

    it('raises WS_ERR_INVALID_UTF8 and closes with 1007 for a text frame that is not UTF-8', async () => {
      const conn = srv.next();
      client = new WebSocket(srv.url);
      await opened(client);
      const done = closed(client);
      const { errors } = await conn;
      client.send(Buffer.from([0xc3, 0x28]), { binary: false });
      expect((await done).code).to.equal(1007);
      expect(errors.map((e) => e.code)).to.deep.equal(['WS_ERR_INVALID_UTF8']);
    });

    it('maps WS_ERR_TOO_MANY_BUFFERED_PARTS to close code 1008 in its receiver', () => {
      // Reaching this one takes more fragments than a test should send; read ws' own table instead.
      const require = createRequire(join(signalingDir, 'package.json'));
      const receiver = readFileSync(join(dirname(require.resolve('ws/package.json')), 'lib', 'receiver.js'), 'utf8');
      const codes = [...receiver.matchAll(/createError\(\s*\w+,\s*[^,]+?,\s*(?:true|false),\s*(\d+),\s*'(WS_ERR_\w+)'/g)].map((m) => `${m[2]} ${m[1]}`);
      expect(codes).to.include.members([
        'WS_ERR_TOO_MANY_BUFFERED_PARTS 1008',
        'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH 1009',
        'WS_ERR_INVALID_UTF8 1007',
      ]);
    });
  });
});
