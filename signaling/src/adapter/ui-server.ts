// The live web view served by the signaling service itself (adapter, issue 17): the page's
// files under /ui/, a WebSocket at /ui/live that pushes the lobby view (to holders of a lobby's
// view token) or the operator view (to holders of the admin token), and JSON snapshots under
// /ui/api/. What a page may see is built in core/live-view.ts; this file only moves it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import type { Lobby } from '../core/lobby.js';
import { liveLobby, liveLobbyRows, parseLiveHello } from '../core/live-view.js';
import type { LiveHealth, LiveOperator, LiveServerMessage } from '../core/live-view.js';
import type { SignalingCore } from '../core/signaling-core.js';
import { SignalingError } from '../errors.js';
import type { LogSink } from './json-log.js';

/** Options of the live view (`--ui`, `--admin-token`). */
export interface UiOptions {
  /**
   * Token of the operator view (`--admin-token`); at least 16 characters. Absent: the operator
   * view is off (its page and API answer 404); lobby views work either way.
   */
  adminToken?: string;
  /** Folder holding the built page (app.js, app.css); default: signaling/dist/ui. */
  assetsDir?: string;
}

/** Path of the lobby view page; the core adds `#lobby=<code>&token=<view token>` (lobby-admission.ts). */
export const LOBBY_VIEW_PATH = '/ui/lobby';
/** Path of the operator view page; the admin token goes in its fragment (`#token=…`). */
export const OPERATOR_VIEW_PATH = '/ui/operator';
/** Shortest accepted admin token: 16 characters keeps a guess out of reach of an online attack. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/**
 * How often live pages are brought up to date (ms): a change reaches a page within this plus
 * the network, inside the 1 s; every page of one lobby shares one rendering per tick.
 */
const TICK_MS = 250;
/** The operator view's health and lobby list are sent every this many ticks (1 s). */
const OPERATOR_EVERY_TICKS = 4;
/** Open live pages at most: each costs a socket and a rendering per change; more get 503. */
const MAX_SESSIONS = 512;
/** ms a page has to send its first message (which view, which token). */
const HELLO_TIMEOUT_MS = 5000;
/** Largest message a page sends (its hello or a lobby selection). */
const MAX_PAGE_MESSAGE_BYTES = 1024;
/** A page that does not read this much pending output is cut off. */
const MAX_PAGE_BUFFERED_BYTES = 1024 * 1024;
/** Rows in the operator's lobby list: bounds the message on a service with many lobbies. */
const MAX_LOBBY_ROWS = 500;
/** WebSocket close codes towards a page (4000–4999 are the application's, RFC 6455 §7.4.2). */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_HELLO_TIMEOUT = 4408;

/**
 * Content-Security-Policy of every /ui/ answer: only this origin's script, style and
 * WebSocket; no inline code, no frames, no forms, no plugins (docs/security.md).
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

/** Three linked dots: the mesh. Served so a browser's icon request is not a 404. */
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M3 12L8 3L13 12Z" fill="none" stroke="#0072b2" stroke-width="1.5"/><circle cx="3" cy="12" r="2.2" fill="#009e73"/><circle cx="8" cy="3" r="2.2" fill="#009e73"/><circle cx="13" cy="12" r="2.2" fill="#009e73"/></svg>';

/** A built asset, served under a name carrying its content hash (cached for a year). */
interface Asset {
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
}

/** One open live page. */
interface Session {
  readonly ws: WebSocket;
  readonly openedAt: number;
  kind: 'new' | 'lobby' | 'operator';
  /** The lobby shown (lobby view, or the operator's selection); its code for `lobby.ended`. */
  code: string | undefined;
  lobby: Lobby | undefined;
  /** Lobby revision last sent; -1: nothing sent yet. */
  revision: number;
}

/**
 * The folder of the built page: signaling/dist/ui beside this module; or, when this module is
 * bundled into the meshpunch CLI (agent/scripts/bundle.mjs, whose URL is then the bundle's), the
 * signaling package's under the nearest node_modules (its exports offer no `require` condition,
 * so require.resolve cannot find it).
 */
function defaultAssetsDir(): string {
  const here = fileURLToPath(new URL('../../ui/', import.meta.url));
  if (existsSync(join(here, 'app.js'))) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', '@meshpunch', 'signaling', 'dist', 'ui');
    if (existsSync(join(candidate, 'app.js'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return here;
    dir = up;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Equal strings, in time independent of where they differ (both are hashed first). */
function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** `Authorization: Bearer <token>` → token, or undefined. */
function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return undefined;
  const t = h.slice(7).trim();
  return t === '' || t.length > 256 ? undefined : t;
}

/** The page's HTML: the same for every lobby (the token stays in the fragment, never sent here). */
function pageHtml(view: 'lobby' | 'operator', js: string, css: string): Buffer {
  const title = view === 'lobby' ? 'meshpunch · lobby' : 'meshpunch · operator';
  return Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="/ui/favicon.svg">
<link rel="stylesheet" href="${css}">
<script type="module" src="${js}"></script>
</head>
<body data-view="${view}">
<noscript>This page needs JavaScript: it shows the lobby live over a WebSocket.</noscript>
<main id="app" tabindex="-1"><p class="status">Connecting…</p></main>
</body>
</html>
`);
}

/** Serves the live view for one SignalingServer. Create with `UiServer.create`. */
export class UiServer {
  readonly #core: SignalingCore;
  readonly #now: () => number;
  readonly #log: LogSink;
  readonly #adminToken: string | undefined;
  readonly #assets = new Map<string, Asset>();
  readonly #lobbyPage: Buffer;
  readonly #operatorPage: Buffer;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<Session>();
  readonly #startedAt: number;
  /** Live extras the service adds to the health (relay allocations once the embedded relay runs). */
  readonly #extraHealth: () => { relayAllocations?: number };
  /** Operator handles of lobbies (LiveLobbyRow.id), and the lobbies the last list showed. */
  readonly #ids = new WeakMap<Lobby, number>();
  #nextId = 1;
  #listed = new Map<number, Lobby>();
  #timer: NodeJS.Timeout | undefined;
  #tick = 0;
  #admittedAt: { count: number; at: number };
  #admissionsPerS = 0;
  #closed = false;

  private constructor(core: SignalingCore, now: () => number, log: LogSink, options: UiOptions, extraHealth: () => { relayAllocations?: number }) {
    this.#core = core;
    this.#now = now;
    this.#log = log;
    this.#adminToken = options.adminToken;
    this.#extraHealth = extraHealth;
    this.#startedAt = now();
    this.#admittedAt = { count: core.metrics.membersAdmitted, at: this.#startedAt };
    const dir = options.assetsDir ?? defaultAssetsDir();
    const read = (name: string, type: string): string => {
      let body: Buffer;
      try {
        body = readFileSync(join(dir, name));
      } catch (err) {
        throw new SignalingError('ERR_UNCONFIGURED', `the live view's page is not built (${join(dir, name)} is missing): run node signaling/scripts/bundle-ui.mjs`, { path: join(dir, name) }, err);
      }
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
      const dot = name.lastIndexOf('.');
      const path = `/ui/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
      this.#assets.set(path, { path, type, body });
      return path;
    };
    const js = read('app.js', 'text/javascript; charset=utf-8');
    const css = read('app.css', 'text/css; charset=utf-8');
    this.#lobbyPage = pageHtml('lobby', js, css);
    this.#operatorPage = pageHtml('operator', js, css);
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAGE_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false });
  }

  /**
   * @throws SignalingError ERR_INVALID_PARAMETER for an admin token shorter than 16 characters
   * @throws SignalingError ERR_UNCONFIGURED when the page is not built
   */
  static create(core: SignalingCore, now: () => number, log: LogSink, options: UiOptions, extraHealth: () => { relayAllocations?: number } = () => ({})): UiServer {
    const t = options.adminToken;
    if (t !== undefined && (typeof t !== 'string' || t.length < MIN_ADMIN_TOKEN_LENGTH || t.length > 256)) {
      throw new SignalingError('ERR_INVALID_PARAMETER', `adminToken must be ${MIN_ADMIN_TOKEN_LENGTH}..256 characters, got ${typeof t === 'string' ? t.length : typeof t}`, { option: 'adminToken' });
    }
    return new UiServer(core, now, log, options, extraHealth);
  }

  /** Open live pages. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Answers a request under /ui/ (GET/HEAD only). */
  handleRequest(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.#send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === LOBBY_VIEW_PATH) return this.#send(res, 200, 'text/html; charset=utf-8', this.#lobbyPage, { 'cache-control': 'no-cache' });
    if (path === OPERATOR_VIEW_PATH) {
      if (this.#adminToken === undefined) return this.#notFound(res);
      return this.#send(res, 200, 'text/html; charset=utf-8', this.#operatorPage, { 'cache-control': 'no-cache' });
    }
    const asset = this.#assets.get(path);
    if (asset !== undefined) return this.#send(res, 200, asset.type, asset.body, { 'cache-control': 'public, max-age=31536000, immutable' });
    if (path === '/ui/favicon.svg') return this.#send(res, 200, 'image/svg+xml', FAVICON, { 'cache-control': 'public, max-age=86400' });
    if (path === '/ui/api/operator') {
      if (this.#adminToken === undefined) return this.#notFound(res);
      const t = bearer(req);
      if (t === undefined || !tokensEqual(t, this.#adminToken)) return this.#unauthorized(res);
      return this.#json(res, { type: 'operator', operator: this.#operator(this.#now()) });
    }
    if (path === '/ui/api/lobby') {
      const code = new URL(req.url ?? '/', 'http://x').searchParams.get('lobby') ?? '';
      const t = bearer(req);
      const lobby = t === undefined ? undefined : this.#authorizeLobby(code, t);
      if (lobby === undefined) return this.#unauthorized(res);
      return this.#json(res, { type: 'lobby', lobby: liveLobby(lobby, this.#now(), { endpoints: false }), operator: false });
    }
    this.#notFound(res);
  }

  /** Takes a WebSocket upgrade under /ui/ (only /ui/live is one). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): void {
    socket.on('error', () => socket.destroy());
    if (path !== '/ui/live' || this.#closed) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    // A page of another site may not use a visitor's link (defence in depth: the tokens are
    // unguessable anyway). Browsers always send Origin on a WebSocket; tools may send none.
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (origin !== undefined && (host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (this.#sessions.size >= MAX_SESSIONS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSession(ws));
  }

  /** Closes every live page (1001) and stops the timer. */
  close(): void {
    this.#closed = true;
    for (const s of this.#sessions) s.ws.terminate();
    this.#sessions.clear();
    this.#arm();
  }

  #onSession(ws: WebSocket): void {
    const s: Session = { ws, openedAt: this.#now(), kind: 'new', code: undefined, lobby: undefined, revision: -1 };
    this.#sessions.add(s);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onPageMessage(s, isBinary ? undefined : data.toString('utf8')));
    ws.on('close', () => {
      this.#sessions.delete(s);
      this.#arm();
    });
    ws.on('error', () => ws.terminate());
    this.#arm();
  }

  #onPageMessage(s: Session, text: string | undefined): void {
    const hello = text === undefined ? undefined : parseLiveHello(text);
    if (hello === undefined) {
      s.ws.close(1008, 'expected a view request');
      return;
    }
    const now = this.#now();
    if (hello.view === 'lobby') {
      // One lobby per page: a page that already showed one may not switch with another token.
      const lobby = s.kind === 'new' ? this.#authorizeLobby(hello.lobby, hello.token) : undefined;
      if (lobby === undefined) {
        s.ws.close(CLOSE_UNAUTHORIZED, 'unknown lobby or wrong view token');
        return;
      }
      s.kind = 'lobby';
      s.code = lobby.code;
      s.lobby = lobby;
      s.revision = -1;
      this.#sendLobby(s, now, new Map());
      return;
    }
    if (this.#adminToken === undefined || !tokensEqual(hello.token, this.#adminToken) || s.kind === 'lobby') {
      s.ws.close(CLOSE_UNAUTHORIZED, 'wrong admin token');
      return;
    }
    const first = s.kind === 'new';
    s.kind = 'operator';
    if (first) this.#sendText(s, JSON.stringify({ type: 'operator', operator: this.#operator(now) } satisfies LiveServerMessage));
    s.lobby = hello.lobby === undefined ? undefined : this.#listed.get(hello.lobby);
    s.code = s.lobby?.code;
    s.revision = -1;
    if (hello.lobby !== undefined && s.lobby === undefined) this.#sendText(s, JSON.stringify({ type: 'lobby.ended', code: String(hello.lobby) } satisfies LiveServerMessage));
    if (s.lobby !== undefined) this.#sendLobby(s, now, new Map());
  }

  /**
   * The lobby named `code` whose view token is `token` (claimed lobbies of one name are
   * several: each has its own token); the view token exists once a member was told it.
   */
  #authorizeLobby(code: string, token: string): Lobby | undefined {
    const plain = this.#core.lobby(code);
    if (plain !== undefined && plain.viewToken !== undefined && tokensEqual(token, plain.viewToken)) return plain;
    for (const l of this.#core.lobbies()) {
      if (l !== plain && l.code === code && l.viewToken !== undefined && tokensEqual(token, l.viewToken)) return l;
    }
    return undefined;
  }

  #idOf = (l: Lobby): number => {
    let id = this.#ids.get(l);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(l, id);
    }
    this.#listed.set(id, l);
    return id;
  };

  /**
   * Sends the session's lobby when it changed since the last send; `cache` shares renderings
   * within a tick, encoded once: every page of a lobby gets the same bytes (ws would otherwise
   * encode the string again for each page).
   */
  #sendLobby(s: Session, now: number, cache: Map<Lobby, Buffer>): void {
    const lobby = s.lobby;
    if (lobby === undefined) return;
    if (this.#core.lobby(lobby.registryKey) !== lobby) {
      // Gone (a lobby made anew under the same name is another one, with another view token).
      if (s.revision !== -2) this.#sendText(s, JSON.stringify({ type: 'lobby.ended', code: lobby.code } satisfies LiveServerMessage));
      s.revision = -2;
      if (s.kind === 'lobby') s.ws.close(1000, 'lobby ended');
      return;
    }
    if (lobby.revision === s.revision) return;
    s.revision = lobby.revision;
    const operator = s.kind === 'operator';
    if (operator) {
      this.#sendText(s, JSON.stringify({ type: 'lobby', lobby: liveLobby(lobby, now, { endpoints: true }), operator } satisfies LiveServerMessage));
      return;
    }
    let bytes = cache.get(lobby);
    if (bytes === undefined) {
      bytes = Buffer.from(JSON.stringify({ type: 'lobby', lobby: liveLobby(lobby, now, { endpoints: false }), operator: false } satisfies LiveServerMessage));
      cache.set(lobby, bytes);
    }
    this.#sendText(s, bytes);
  }

  /** Sends one text message (a Buffer holds UTF-8 text already encoded). */
  #sendText(s: Session, text: string | Buffer): void {
    if (s.ws.readyState !== WebSocket.OPEN) return;
    if (s.ws.bufferedAmount > MAX_PAGE_BUFFERED_BYTES) {
      this.#log('warn', 'ui.page.slow', { bufferedBytes: s.ws.bufferedAmount });
      s.ws.terminate();
      return;
    }
    s.ws.send(text, { binary: false });
  }

  #operator(now: number): LiveOperator {
    const core = this.#core;
    const m = core.metrics;
    let connected = 0;
    let failed = 0;
    for (const [k, v] of Object.entries(m.pairResults)) {
      if (k.startsWith('connected/')) connected += v;
      else failed += v;
    }
    const extra = this.#extraHealth();
    let relay: LiveHealth['relay'];
    if (core.relay !== undefined) {
      relay = { minted: m.relayCredentials.minted, refused: m.relayCredentials.refused };
      if (extra.relayAllocations !== undefined) relay.allocations = extra.relayAllocations;
    }
    const health: LiveHealth = {
      connections: core.connectionCount, lobbies: core.lobbyCount, members: core.memberCount,
      admissionsPerS: this.#admissionsPerS, relay, pairsConnected: connected, pairsFailed: failed,
      uptimeS: Math.floor((now - this.#startedAt) / 1000),
    };
    this.#listed = new Map();
    const { rows, omitted } = liveLobbyRows(core.lobbies(), core.lobbyCount, now, MAX_LOBBY_ROWS, this.#idOf);
    return { health, lobbies: rows, omitted };
  }

  /** Runs the tick timer while any page is open. */
  #arm(): void {
    const want = !this.#closed && this.#sessions.size > 0;
    if (want && this.#timer === undefined) this.#timer = setInterval(this.#onTick, TICK_MS);
    else if (!want && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  readonly #onTick = (): void => {
    const now = this.#now();
    this.#tick++;
    const cache = new Map<Lobby, Buffer>();
    let operatorText: Buffer | undefined;
    const operatorDue = this.#tick % OPERATOR_EVERY_TICKS === 0;
    if (operatorDue) {
      // Admissions per second over the last second, sampled here (only while pages are open).
      const count = this.#core.metrics.membersAdmitted;
      const dt = now - this.#admittedAt.at;
      if (dt > 0) this.#admissionsPerS = Math.round(((count - this.#admittedAt.count) * 1000) / dt * 10) / 10;
      this.#admittedAt = { count, at: now };
    }
    for (const s of this.#sessions) {
      if (s.kind === 'new') {
        if (now - s.openedAt > HELLO_TIMEOUT_MS) s.ws.close(CLOSE_HELLO_TIMEOUT, 'no view request');
        continue;
      }
      if (s.kind === 'operator' && operatorDue) {
        operatorText ??= Buffer.from(JSON.stringify({ type: 'operator', operator: this.#operator(now) } satisfies LiveServerMessage));
        this.#sendText(s, operatorText);
      }
      this.#sendLobby(s, now, cache);
    }
  };

  #send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  #json(res: ServerResponse, value: LiveServerMessage): void {
    this.#send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value), { 'cache-control': 'no-store' });
  }

  #notFound(res: ServerResponse): void {
    this.#send(res, 404, 'text/plain; charset=utf-8', 'not found\n', { 'cache-control': 'no-store' });
  }

  #unauthorized(res: ServerResponse): void {
    this.#send(res, 401, 'text/plain; charset=utf-8', 'unauthorized\n', { 'cache-control': 'no-store', 'www-authenticate': 'Bearer realm="meshpunch"' });
  }
}
