// The live web view in a real browser (issue 17): meshpunch-signal --ui as its own process, real
// meshpunch agents meshing on loopback, a member that cannot link (its one candidate is a UDP
// socket that never answers), Debian's Chromium through puppeteer-core. Checks the DOM (not
// pixels) and saves screenshots of both views to .test-results/webui.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'puppeteer-core';
import { FAILURE_REASONS } from '@meshpunch/protocol';
import { SignalingClient } from '@meshpunch/signaling/client';
import { AgentProcess, START_TIMEOUT_MS, startSignalProcess, stopAll } from '../e2e/agent-process.js';
import { ARTIFACTS, launchChromium } from './chromium.js';
import type { Chromium } from './chromium.js';

const ADMIN = 'webui-admin-token-0123456789';
/** A display name that is HTML: it must show as these characters. */
const HOSTILE_NAME = '<img src=x onerror=pwn()>';
/** The ghost's certificate fingerprint: well-formed, for a certificate it never presents. */
const GHOST_FINGERPRINT = `sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/;
/** An IPv6 address with at least two groups of hex digits around colons (not CSS `::before`). */
const IPV6 = /\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b|\[[0-9a-f:]+\]/i;

/** Polls `fn` in the page until it returns true (bounded), else fails with what it last saw. */
async function pageUntil(page: Page, what: string, fn: string, timeoutMs = 20_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate(fn)) === true) return;
    if (performance.now() > end) {
      const text = await page.evaluate('document.body.innerText');
      throw new Error(`page never showed ${what} within ${timeoutMs} ms; it shows:\n${String(text).slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('live web view in Chromium (meshpunch-signal --ui, real agents on loopback)', function () {
  this.timeout(120_000);
  let chromium: Chromium | undefined;
  let signal: AgentProcess;
  let port: number;
  let deadPort: Socket;
  const procs: AgentProcess[] = [];
  const clients: SignalingClient[] = [];

  before(async function () {
    chromium = await launchChromium();
    if (chromium === undefined) this.skip();
    // No relay: the unlinkable member must stay unlinked (the relayed view is natlab-e2e/live-view.test.ts).
    const s = await startSignalProcess(0, ['--ui', '--admin-token', ADMIN, '--connections-per-second-per-ip', '0', '--no-relay']);
    signal = s.proc;
    port = s.port;
    procs.push(signal);
    // The unlinkable member's only candidate: a bound UDP socket that reads and never answers
    // (no ICMP either), so every probe to it goes unanswered and the punch times out.
    deadPort = createSocket('udp4');
    deadPort.on('message', () => undefined);
    await new Promise<void>((r) => deadPort.bind(0, '127.0.0.1', () => r()));
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await stopAll(procs.splice(0));
    await chromium?.close();
    if (deadPort !== undefined) await new Promise<void>((r) => deadPort.close(() => r()));
  });

  it('shows members, paths and a failed link with its timeline; an agent leaving updates the page; the operator sees endpoints', async () => {
    const browser = chromium!.browser;
    const url = `ws://127.0.0.1:${port}`;
    const args = ['join', '--signal', url, '--lobby', 'mesh-view', '--create-if-missing', '--bind', '127.0.0.1', '--timeout', '110'];
    const first = new AgentProcess(args);
    procs.push(first);
    const [viewLine] = await first.waitFor(/\bview\s+http/, START_TIMEOUT_MS);
    const agents = [first, new AgentProcess(args), new AgentProcess(args)];
    procs.push(agents[1]!, agents[2]!);
    for (const a of agents) await a.waitFor(/ up: lan/, START_TIMEOUT_MS, 2);
    const viewUrl = /(http:\/\/\S+)/.exec(viewLine!)![1]!;
    expect(viewUrl).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${port}/ui/lobby#lobby=mesh-view&token=[A-Za-z0-9_-]{22}$`));
    for (const a of agents) expect(a.stdout.join('\n')).to.include(`view       ${viewUrl}`);

    // The member that cannot link, with a display name that is HTML.
    const ghost = await SignalingClient.connect(url, { name: HOSTILE_NAME });
    clients.push(ghost);
    ghost.on('pairStart', (p) => {
      // With a fingerprint (any): without one the agents refuse the link before probing (DTLS,
      // issue 18) and there would be no per-candidate record to show.
      void ghost.sendCandidates(p.pair, [{ kind: 'host', family: 4, address: '127.0.0.1', port: (deadPort.address()).port }], { done: true, fingerprint: GHOST_FINGERPRINT }).catch(() => undefined);
    });
    await ghost.joinLobby('mesh-view');

    // The lobby view, opened by name rather than address so no IP is even in its URLs.
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const traffic: string[] = [];
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketFrameReceived', (e) => traffic.push(`ws< ${e.response.payloadData}`));
    cdp.on('Network.webSocketFrameSent', (e) => traffic.push(`ws> ${e.response.payloadData}`));
    cdp.on('Network.requestWillBeSent', (e) => traffic.push(`req ${e.request.url}`));
    page.on('response', (r) => {
      void r.text().then((t) => traffic.push(`body ${r.url()} ${t}`), () => undefined);
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(viewUrl.replace('127.0.0.1', 'localhost'));
    await pageUntil(page, '4 members', `document.querySelectorAll('table.members tbody tr').length === 4`);
    // 3 agent pairs up over lan (each pair is two cells of the matrix), 3 pairs with the ghost failed.
    await pageUntil(page, '6 lan cells and 6 failed cells', `document.querySelectorAll('td.cell[data-path="lan"]').length === 6 && document.querySelectorAll('td.cell[data-path="failed"]').length === 6`, 40_000);
    const dom = await page.evaluate(`({
      names: [...document.querySelectorAll('table.members td.name')].map((e) => e.textContent),
      images: document.querySelectorAll('img').length,
      lanCells: [...document.querySelectorAll('td.cell[data-path="lan"]')].map((e) => e.textContent),
      failedCells: [...document.querySelectorAll('td.cell[data-path="failed"]')].map((e) => e.textContent),
      failures: [...document.querySelectorAll('.failures > ul > li')].map((e) => e.textContent),
      code: document.querySelector('[data-field="code"]')?.textContent,
      links: document.querySelector('[data-field="links"]')?.textContent,
      pwned: window.pwned,
    })`) as { names: string[]; images: number; lanCells: string[]; failedCells: string[]; failures: string[]; code: string; links: string; pwned: unknown };
    expect(dom.code).to.equal('mesh-view');
    expect(dom.names.filter((n) => n === HOSTILE_NAME), 'the HTML name shows as text').to.have.length(1);
    expect(dom.images, 'no element was made from the name').to.equal(0);
    expect(dom.pwned).to.equal(undefined);
    for (const t of dom.lanCells) expect(t).to.match(/^≡ LAN \d+(\.\d)? ms$/);
    // No probe answered: each agent reports why in the protocol's words (`timeout` for a
    // punch-timeout, `unreachable` when the punch gave up early, … mesh-session.ts wireReason),
    // whichever its punch machine reached first; the ghost reports nothing.
    const reasons = new RegExp(`^✕ failed: (${FAILURE_REASONS.join('|')})$`);
    for (const t of dom.failedCells) expect(t).to.match(reasons);
    expect(dom.links).to.equal('3 of 6');
    expect(dom.failures).to.have.length(3);
    for (const f of dom.failures) {
      expect(f).to.include(`${HOSTILE_NAME} (`);
      expect(f).to.include('pair started');
      expect(f).to.match(/sent 1 candidate: host/);
      expect(f).to.match(new RegExp(`failed: (${FAILURE_REASONS.join('|')})`));
    }
    // Each agent's per-candidate record (protocol 1.6) under its failure: its one check, the
    // ghost's host candidate, probed and never answered — in words, without the address.
    const records = await page.evaluate(`[...document.querySelectorAll('.failures > ul > li')].map((li) => [...li.querySelectorAll('table.probes tbody tr')].map((tr) => ({
      kind: tr.dataset.kind, outcome: tr.dataset.outcome, cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })))`) as Array<Array<{ kind: string; outcome: string; cells: string[] }>>;
    expect(records).to.have.length(3);
    for (const rows of records) {
      expect(rows, JSON.stringify(records)).to.have.length(1);
      expect(rows[0]!.kind).to.equal('host');
      expect(rows[0]!.outcome).to.equal('timeout');
      const [kind, path, first, sent, why] = rows[0]!.cells;
      expect([kind, path, why]).to.deep.equal(['host', 'lan', '○ timeout: no answer']);
      expect(first).to.match(/^\+\d/);
      expect(Number(sent)).to.be.greaterThan(0);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'lobby-view-1280x800.png'), fullPage: true });

    // Phone width: the page itself never scrolls sideways (the matrix scrolls in its box).
    await page.setViewport({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).to.be.at.most(390);
    await page.screenshot({ path: join(ARTIFACTS, 'lobby-view-390.png'), fullPage: true });
    await page.setViewport({ width: 1280, height: 800 });

    // The operator view: the lobby row with its link success ratio, then the lobby with endpoints.
    const op = await browser.newPage();
    await op.setViewport({ width: 1280, height: 800 });
    await op.goto(`http://127.0.0.1:${port}/ui/operator#token=${ADMIN}`);
    await pageUntil(op, 'the lobby row', `document.querySelector('tr[data-lobby="mesh-view"] [data-field="ratio"]')?.textContent === '50 % (3/6)'`);
    const health = await op.evaluate(`Object.fromEntries([...document.querySelectorAll('.card .value')].map((e) => [e.dataset.field, e.textContent]))`) as Record<string, string>;
    expect(health.lobbies).to.equal('1');
    expect(health.members).to.equal('4');
    expect(Number(health.connections)).to.equal(4);
    // Clicked inside the page in one step: live updates re-render the rows, so an element handle
    // taken first (page.click) can be detached by the time puppeteer scrolls it into view.
    await op.evaluate(`document.querySelector('tr[data-lobby="mesh-view"] button').click()`);
    await pageUntil(op, 'endpoints in the lobby detail', `[...document.querySelectorAll('.detail td.endpoint')].filter((e) => e.textContent === '127.0.0.1').length === 4`);
    const opText = await op.evaluate('document.body.innerText') as string;
    expect(opText).to.include(`host 127.0.0.1:${(deadPort.address()).port}`);
    // The operator's per-candidate records carry the address each check went to.
    await pageUntil(op, 'the probe records with addresses', `[...document.querySelectorAll('.detail .failures table.probes td.endpoint')].filter((e) => e.textContent === '127.0.0.1:${(deadPort.address()).port}').length === 3`);
    await op.screenshot({ path: join(ARTIFACTS, 'operator-view-1280x800.png'), fullPage: true });

    // An agent leaves (Ctrl-C: it leaves the lobby): both views follow.
    agents[2]!.kill('SIGINT');
    await agents[2]!.exited;
    await pageUntil(page, '3 members after the agent left', `document.querySelectorAll('table.members tbody tr').length === 3 && document.querySelectorAll('td.cell[data-path="lan"]').length === 2`);
    await pageUntil(op, '3 members in the operator view', `document.querySelector('[data-field="members"]')?.textContent === '3'`);
    await page.screenshot({ path: join(ARTIFACTS, 'lobby-view-after-leave.png'), fullPage: true });

    // Nothing the lobby page sent or received holds an IP address.
    expect(traffic.length).to.be.greaterThan(5);
    for (const t of traffic) {
      expect(t, t.slice(0, 300)).not.to.match(IPV4);
      if (t.startsWith('ws')) expect(t, t.slice(0, 300)).not.to.match(IPV6);
    }
    expect(errors, errors.join('\n')).to.deep.equal([]);
    await page.close();
    await op.close();
  });

  it('keeps the operator view behind its token and one lobby\'s link away from another lobby', async () => {
    const browser = chromium!.browser;
    const url = `ws://127.0.0.1:${port}`;
    const a = await SignalingClient.connect(url, { name: 'a' });
    const b = await SignalingClient.connect(url, { name: 'secret-member-of-b' });
    clients.push(a, b);
    const ja = await a.joinLobby('lobby-one', { createIfMissing: true });
    const jb = await b.joinLobby('lobby-two', { createIfMissing: true });
    const tokenA = new URLSearchParams(ja.viewUrl!.split('#')[1]).get('token')!;
    const page = await browser.newPage();
    // Lobby two's page with lobby one's token: refused, nothing of lobby two shown.
    await page.goto(`http://localhost:${port}/ui/lobby#lobby=lobby-two&token=${tokenA}`);
    await pageUntil(page, 'the refusal', `document.body.innerText.includes('This lobby view link is not valid')`);
    expect(await page.evaluate('document.body.innerText')).not.to.include('secret-member-of-b');
    // No token: the operator API answers 401 from the page's own origin too.
    await page.goto(`http://localhost:${port}/ui/operator`);
    await pageUntil(page, 'the token form', `document.querySelector('input#token') !== null`);
    const status = await page.evaluate(async () => (await fetch('/ui/api/operator')).status);
    expect(status).to.equal(401);
    await page.type('input#token', 'not-the-admin-token-at-all');
    await page.click('form.token-form button');
    await pageUntil(page, 'the refused token', `document.body.innerText.includes('The admin token was not accepted')`);
    expect(await page.evaluate('document.querySelectorAll("tr[data-lobby]").length')).to.equal(0);
    expect(jb.viewUrl).to.not.equal(ja.viewUrl);
    await page.close();
  });
});
