// The live view's page (browser): reads which view it is (body data-view) and its token from the
// URL fragment (never sent to the service in a request line or a Referer), opens the /ui/live
// WebSocket, and re-renders on every message. Reconnects with a bounded backoff.
import type { LiveHello, LiveOperator, LiveServerMessage } from '../src/core/live-view.js';
import { formatAge, h } from './dom.js';
import { renderLobby } from './lobby-view.js';

const app = document.getElementById('app')!;
const view = document.body.dataset.view === 'operator' ? 'operator' : 'lobby';
const fragment = new URLSearchParams(location.hash.slice(1));
/** Pair ids whose timeline the reader opened. */
const open = new Set<number>();
/** Backoff between reconnects, ms (doubling, capped: the page retries forever but gently). */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
let retryMs = RETRY_MIN_MS;
let operatorLobby: number | undefined;
let lastOperator: LiveOperator | undefined;
let lobbyDetail: HTMLElement | undefined;
let ended = false;

const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Connecting…');
const content = h('div', { class: 'content' });

function setStatus(text: string, state: 'live' | 'down' | 'ended'): void {
  status.textContent = text;
  status.dataset.state = state;
}

function showMessage(text: string): void {
  content.replaceChildren(h('p', { class: 'notice' }, text));
}

function helloFor(): LiveHello | undefined {
  if (view === 'lobby') {
    const lobby = fragment.get('lobby');
    const token = fragment.get('token');
    if (lobby === null || token === null) return undefined;
    return { view: 'lobby', lobby, token };
  }
  const token = fragment.get('token');
  if (token === null) return undefined;
  return operatorLobby === undefined ? { view: 'operator', token } : { view: 'operator', token, lobby: operatorLobby };
}

let socket: WebSocket | undefined;

function connect(): void {
  const hello = helloFor();
  if (hello === undefined) {
    if (view === 'lobby') showMessage('This link has no lobby view token. Use the link the meshpunch agent printed.');
    else askForToken();
    setStatus('Not connected', 'down');
    return;
  }
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ui/live`);
  socket = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify(hello));
    setStatus('Live', 'live');
    retryMs = RETRY_MIN_MS;
  };
  ws.onmessage = (ev: MessageEvent<string>) => receive(JSON.parse(ev.data) as LiveServerMessage);
  ws.onclose = (ev: CloseEvent) => {
    socket = undefined;
    if (ev.code === 4401) {
      setStatus('Not allowed', 'down');
      showMessage(view === 'lobby' ? 'This lobby view link is not valid (the lobby may have ended).' : 'The admin token was not accepted.');
      return;
    }
    if (ended) return;
    setStatus(`Reconnecting in ${(retryMs / 1000).toFixed(1)} s…`, 'down');
    setTimeout(connect, retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  };
}

/**
 * Messages not rendered yet. A page that falls behind (a slow device, a large lobby) renders
 * only the newest view of each kind instead of every one in between.
 */
let pendingLobby: LiveServerMessage | undefined;
let pendingOperator: LiveServerMessage | undefined;
let renderScheduled = false;

function receive(msg: LiveServerMessage): void {
  if (msg.type === 'operator') pendingOperator = msg;
  else pendingLobby = msg;
  if (renderScheduled) return;
  renderScheduled = true;
  setTimeout(() => {
    renderScheduled = false;
    const o = pendingOperator;
    const l = pendingLobby;
    pendingOperator = undefined;
    pendingLobby = undefined;
    if (o !== undefined) onMessage(o);
    if (l !== undefined) onMessage(l);
  }, 0);
}

function onMessage(msg: LiveServerMessage): void {
  if (msg.type === 'lobby') {
    const el = renderLobby(msg.lobby, open, msg.operator);
    if (view === 'lobby') {
      document.title = `meshpunch · lobby ${msg.lobby.code}`;
      content.replaceChildren(el);
    } else {
      lobbyDetail = el;
      renderOperator();
    }
  } else if (msg.type === 'lobby.ended') {
    if (view === 'lobby') {
      ended = true;
      setStatus('Lobby ended', 'ended');
      showMessage(`Lobby ${msg.code} has ended: every member left.`);
    } else {
      lobbyDetail = h('p', { class: 'notice' }, `Lobby ${msg.code} has ended.`);
      renderOperator();
    }
  } else {
    lastOperator = msg.operator;
    renderOperator();
  }
}

function select(id: number | undefined): void {
  operatorLobby = id;
  lobbyDetail = undefined;
  const hello = helloFor();
  if (socket !== undefined && socket.readyState === WebSocket.OPEN && hello !== undefined) socket.send(JSON.stringify(hello));
  renderOperator();
}

function renderOperator(): void {
  const o = lastOperator;
  if (o === undefined) return;
  const hl = o.health;
  const total = hl.pairsConnected + hl.pairsFailed;
  const card = (label: string, value: string, field: string): HTMLElement => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-field': field }, value));
  const cards = h('section', { class: 'cards', 'aria-label': 'service health' },
    card('connections', String(hl.connections), 'connections'),
    card('lobbies', String(hl.lobbies), 'lobbies'),
    card('members', String(hl.members), 'members'),
    card('admissions/s', String(hl.admissionsPerS), 'admissions'),
    card('pair reports', total === 0 ? 'none yet' : `${hl.pairsConnected} linked, ${hl.pairsFailed} failed (${Math.round((100 * hl.pairsConnected) / total)} %)`, 'pairs'),
    card('relay', hl.relay === undefined ? 'off' : `${hl.relay.minted} credentials, ${hl.relay.refused} refused${hl.relay.allocations !== undefined ? `, ${hl.relay.allocations} allocations` : ''}`, 'relay'),
    card('uptime', formatAge(hl.uptimeS * 1000), 'uptime'));
  const rows = o.lobbies.map((l) => {
    const done = l.connected + l.failed;
    const ratio = done === 0 ? '—' : `${Math.round((100 * l.connected) / done)} % (${l.connected}/${done})`;
    const btn = h('button', { type: 'button', class: 'link-button', 'aria-pressed': operatorLobby === l.id ? 'true' : 'false' }, l.code);
    btn.addEventListener('click', () => select(operatorLobby === l.id ? undefined : l.id));
    return h('tr', { 'data-lobby': l.code, 'data-id': l.id },
      h('td', {}, btn, l.claimed ? ' (claimed)' : ''), h('td', {}, l.mode), h('td', { class: 'num' }, `${l.members}/${l.maxPeers}`), h('td', {}, l.sealed ? 'sealed' : 'open'),
      h('td', { class: 'num' }, formatAge(l.ageMs)), h('td', { class: 'num', 'data-field': 'ratio' }, ratio), h('td', { class: 'num' }, l.pending));
  });
  const table = h('table', { class: 'lobbies', 'aria-label': 'lobbies' },
    h('thead', {}, h('tr', {}, ...['lobby', 'mode', 'members', 'sealed', 'age', 'links up', 'linking'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows));
  content.replaceChildren(
    h('h1', {}, 'meshpunch signaling'),
    cards,
    h('section', { 'aria-labelledby': 'h-lobbies' }, h('h2', { id: 'h-lobbies' }, `Lobbies (${hl.lobbies})`),
      o.lobbies.length === 0 ? h('p', {}, 'No lobbies.') : h('div', { class: 'scroll' }, table),
      o.omitted > 0 ? h('p', {}, `${o.omitted} older lobbies not listed.`) : null),
    operatorLobby === undefined ? '' : h('section', { class: 'detail', 'aria-label': 'selected lobby' }, lobbyDetail ?? h('p', {}, 'Loading…')));
}

function askForToken(): void {
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', required: true, minlength: 16 });
  const form = h('form', { class: 'token-form' }, h('label', { for: 'token' }, 'Admin token'), input, h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fragment.set('token', input.value);
    // The token stays in the fragment: history.replaceState keeps it out of any request.
    history.replaceState(null, '', `#${fragment.toString()}`);
    connect();
  });
  content.replaceChildren(form);
}

// Ages move on between updates.
setInterval(() => {
  for (const el of document.querySelectorAll<HTMLElement>('[data-age-ms]')) {
    const base = Number(el.dataset.ageMs);
    const since = Number(el.dataset.since ?? (el.dataset.since = String(performance.now())));
    el.textContent = formatAge(base + performance.now() - since);
  }
}, 1000);

app.replaceChildren(h('header', { class: 'bar' }, h('span', { class: 'brand' }, view === 'lobby' ? 'meshpunch · lobby view' : 'meshpunch · operator view'), status), content);
connect();
