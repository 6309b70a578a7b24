// The live view's HTTP and WebSocket surface (ui-server.ts) against a real SignalingServer on
// loopback: who may see what, the headers every answer carries, the view link in lobby.joined,
// and that no secret or (in the lobby view) no IP address is ever in what a page gets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import type { LiveServerMessage } from '../../src/core/live-view.js';
import { startTestServer } from '../support/server.js';

const ADMIN = 'operator-token-0123456789';
const IPV4 = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/;

/** A page's first messages on /ui/live after `hello`, or its close code. */
function live(port: number, hello: unknown, count: number, origin?: string): Promise<{ messages: LiveServerMessage[]; close?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ui/live`, origin === undefined ? {} : { origin });
    const messages: LiveServerMessage[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no ${count} live messages within 5 s: ${JSON.stringify(messages)}`));
    }, 5000);
    ws.on('open', () => ws.send(JSON.stringify(hello)));
    ws.on('message', (d: Buffer) => {
      messages.push(JSON.parse(d.toString()) as LiveServerMessage);
      if (messages.length >= count) {
        clearTimeout(timer);
        ws.close();
        resolve({ messages });
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ messages, close: res.statusCode });
      ws.terminate();
    });
    ws.on('close', (code: number) => {
      clearTimeout(timer);
      resolve({ messages, close: code });
    });
    ws.on('error', () => undefined);
  });
}

/** `#lobby=…&token=…` of a view path. */
function fragment(view: string): { lobby: string; token: string } {
  const p = new URLSearchParams(view.slice(view.indexOf('#') + 1));
  return { lobby: p.get('lobby')!, token: p.get('token')! };
}

describe('UiServer (live view)', () => {
  let assets: string;
  let server: SignalingServer;
  const clients: SignalingClient[] = [];
  const connect = async (name?: string): Promise<SignalingClient> => {
    const c = await SignalingClient.connect(server.url, name === undefined ? {} : { name });
    clients.push(c);
    return c;
  };
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`http://127.0.0.1:${server.port}${path}`, { headers });

  before(() => {
    // The signaling group does not need the browser bundle: a stand-in page is served the same way.
    assets = mkdtempSync(join(tmpdir(), 'meshpunch-ui-'));
    writeFileSync(join(assets, 'app.js'), 'console.log("page");\n');
    writeFileSync(join(assets, 'app.css'), 'body{}\n');
  });
  after(() => rmSync(assets, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  describe('without an admin token', () => {
    beforeEach(async () => {
      server = await startTestServer({ ui: { assetsDir: assets } });
    });

    it('answers 404 for the operator view and its API, and serves lobby views', async () => {
      expect((await get('/ui/operator')).status).to.equal(404);
      expect((await get('/ui/api/operator', { authorization: `Bearer ${ADMIN}` })).status).to.equal(404);
      const r = await live(server.port, { view: 'operator', token: ADMIN }, 1);
      expect(r.close).to.equal(4401);
      const page = await get('/ui/lobby');
      expect(page.status).to.equal(200);
    });
  });

  describe('with an admin token', () => {
    beforeEach(async () => {
      server = await startTestServer({ ui: { adminToken: ADMIN, assetsDir: assets } });
    });

    it('serves the pages with their content type, caching and CSP, and hashed assets cached for a year', async () => {
      for (const path of ['/ui/lobby', '/ui/operator']) {
        const r = await get(path);
        expect(r.status, path).to.equal(200);
        expect(r.headers.get('content-type')).to.equal('text/html; charset=utf-8');
        expect(r.headers.get('cache-control')).to.equal('no-cache');
        expect(r.headers.get('content-security-policy')).to.match(/default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
        expect(r.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(r.headers.get('referrer-policy')).to.equal('no-referrer');
        const html = await r.text();
        // Nothing from another origin, no inline script or style.
        expect(html).not.to.match(/https?:\/\//);
        expect(html).not.to.match(/<script>|<style|\sstyle=|\son[a-z]+=/);
        const js = /src="(\/ui\/app\.[0-9a-f]{16}\.js)"/.exec(html)![1]!;
        const css = /href="(\/ui\/app\.[0-9a-f]{16}\.css)"/.exec(html)![1]!;
        const jr = await get(js);
        expect(jr.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
        expect(jr.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
        expect(await jr.text()).to.equal('console.log("page");\n');
        expect((await get(css)).headers.get('content-type')).to.equal('text/css; charset=utf-8');
      }
      expect((await get('/ui/app.js')).status).to.equal(404);
      expect((await get('/ui/../metrics')).status).to.not.equal(500);
      const post = await fetch(`http://127.0.0.1:${server.port}/ui/lobby`, { method: 'POST', body: 'x' });
      expect(post.status).to.equal(405);
    });

    it('answers 401 for the operator API without the right token and the view with it', async () => {
      expect((await get('/ui/api/operator')).status).to.equal(401);
      expect((await get('/ui/api/operator', { authorization: 'Bearer wrong-token-wrong-token' })).status).to.equal(401);
      const a = await connect('alice');
      await a.createLobby({ name: 'ops' });
      const r = await get('/ui/api/operator', { authorization: `Bearer ${ADMIN}` });
      expect(r.status).to.equal(200);
      expect(r.headers.get('cache-control')).to.equal('no-store');
      const body = (await r.json()) as LiveServerMessage & { type: 'operator' };
      expect(body.operator.health).to.include({ connections: 1, lobbies: 1, members: 1 });
      expect(body.operator.lobbies).to.have.length(1);
      expect(body.operator.lobbies[0]).to.include({ claimed: false, code: 'ops', mode: 'mesh', members: 1, sealed: false, connected: 0, failed: 0, pending: 0 });
      const w = await live(server.port, { view: 'operator', token: 'wrong-token-wrong-token' }, 1);
      expect(w.close).to.equal(4401);
    });

    it('tells each member the view link, which shows its own lobby only and no IP address or secret', async () => {
      const a = await connect('alice');
      const b = await connect('bob');
      const c = await connect('carol');
      const ja = await a.createLobby({ name: 'lobby-a', password: 'secret-pw' });
      const started = a.next('pairStart');
      const jb = await b.joinLobby('lobby-a', { password: 'secret-pw' });
      const jc = await c.createLobby({ name: 'lobby-b' });
      const base = `http://127.0.0.1:${server.port}/ui/lobby#lobby=`;
      expect(ja.viewUrl).to.match(new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}lobby-a&token=[A-Za-z0-9_-]{22}$`));
      expect(jb.viewUrl, 'every member gets the same link').to.equal(ja.viewUrl);
      expect(jc.viewUrl).to.not.equal(ja.viewUrl);
      const va = fragment(ja.viewUrl!);
      const vb = fragment(jc.viewUrl!);
      // Candidates with addresses travel; the lobby view must not show them.
      const start = await started;
      await a.sendCandidates(start.pair, [{ kind: 'host', family: 4, address: '192.0.2.7', port: 4000 }, { kind: 'srflx', family: 6, address: '2001:db8::7', port: 4001 }], { done: true });
      await b.reportPairResult(start.pair, { outcome: 'failed', reason: 'timeout' });
      const r = await live(server.port, { view: 'lobby', lobby: va.lobby, token: va.token }, 1);
      expect(r.messages[0]!.type).to.equal('lobby');
      const text = JSON.stringify(r.messages[0]);
      const lobby = (r.messages[0] as { lobby: { code: string; members: Array<{ name?: string }>; links: Array<{ state: string; reason?: string; events: Array<{ kind: string; candidates?: unknown[] }> }> } }).lobby;
      expect(lobby.code).to.equal('lobby-a');
      expect(lobby.members.map((m) => m.name)).to.deep.equal(['alice', 'bob']);
      expect(lobby.links).to.have.length(1);
      expect(lobby.links[0]).to.include({ state: 'failed', reason: 'timeout' });
      expect(lobby.links[0]!.events.map((e) => e.kind)).to.deep.equal(['start', 'candidates', 'result']);
      expect(lobby.links[0]!.events[1]!.candidates).to.deep.equal([{ kind: 'host' }, { kind: 'srflx' }]);
      expect(text).not.to.match(IPV4);
      expect(text).not.to.include('2001:db8');
      expect(text).not.to.include('127.0.0.1');
      expect(text).not.to.include('secret-pw');
      expect(text).not.to.include(va.token);
      // Lobby A's token cannot open lobby B, nor can B's open A.
      expect((await live(server.port, { view: 'lobby', lobby: vb.lobby, token: va.token }, 1)).close).to.equal(4401);
      expect((await live(server.port, { view: 'lobby', lobby: va.lobby, token: vb.token }, 1)).close).to.equal(4401);
      expect((await get(`/ui/api/lobby?lobby=${vb.lobby}`, { authorization: `Bearer ${va.token}` })).status).to.equal(401);
      expect((await get(`/ui/api/lobby?lobby=${va.lobby}`, { authorization: `Bearer ${va.token}` })).status).to.equal(200);
      // The operator's view of the same lobby shows the endpoints.
      const rows = ((await (await get('/ui/api/operator', { authorization: `Bearer ${ADMIN}` })).json()) as { operator: { lobbies: Array<{ id: number; code: string }> } }).operator.lobbies;
      const op = await live(server.port, { view: 'operator', token: ADMIN, lobby: rows.find((l) => l.code === 'lobby-a')!.id }, 2);
      const detail = op.messages.find((m) => m.type === 'lobby');
      expect(JSON.stringify(detail)).to.include('192.0.2.7:4000').and.include('[2001:db8::7]:4001').and.include('127.0.0.1');
      expect(JSON.stringify(op.messages)).not.to.include('secret-pw');
    });

    it('pushes a change to an open page, and says when the lobby ended', async () => {
      const a = await connect('alice');
      const ja = await a.createLobby({ name: 'pushed' });
      const v = fragment(ja.viewUrl!);
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ui/live`);
      const got: LiveServerMessage[] = [];
      const waitFor = async (pred: (m: LiveServerMessage) => boolean, what: string): Promise<LiveServerMessage> => {
        const end = performance.now() + 3000;
        for (;;) {
          const hit = got.find(pred);
          if (hit !== undefined) return hit;
          if (performance.now() > end) throw new Error(`no ${what}: ${JSON.stringify(got)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as LiveServerMessage));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ view: 'lobby', ...v }));
      await waitFor((m) => m.type === 'lobby' && m.lobby.members.length === 1, 'first view');
      const b = await connect('bob');
      await b.joinLobby('pushed');
      await waitFor((m) => m.type === 'lobby' && m.lobby.members.length === 2, 'the view with bob');
      const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
      await b.leave();
      await a.leave();
      await waitFor((m) => m.type === 'lobby.ended', 'lobby.ended');
      expect(await closed).to.equal(1000);
    });

    it('refuses a page of another origin, a bad first message and an oversized one', async () => {
      expect((await live(server.port, { view: 'operator', token: ADMIN }, 1, 'http://evil.example')).close).to.equal(403);
      expect((await live(server.port, { view: 'nope' }, 1)).close).to.equal(1008);
      expect((await live(server.port, 'x'.repeat(2000), 1)).close).to.equal(1009);
    });
  });
});
