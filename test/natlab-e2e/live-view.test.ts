// NAT lab, the live web view (issue 17): `meshpunch signal --ui --no-relay` on the lab internet,
// a public agent and two behind symmetric NATs, so the symmetric pair cannot link (no relay
// offered) while both link the public agent directly. Debian's Chromium runs inside the public
// host's namespace (an operator on the internet; puppeteer-core talks to it over a pipe, which
// crosses namespaces) and the lobby and operator views are checked in its DOM.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { Lab } from '../natlab/lab/lab.js';
import { requireLab } from '../natlab/lab/prereq.js';
import type { LabProcess } from '../natlab/lab/run.js';
import { ARTIFACTS, CHROMIUM } from '../webui/chromium.js';
import { labAgent, LAB_SIGNAL, MESHPUNCH, peerIdOf, START_TIMEOUT_MS } from './lab-agents.js';

const ADMIN = 'natlab-admin-token-0123456789';

async function pageUntil(page: Page, what: string, fn: string, timeoutMs = 30_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate(fn)) === true) return;
    if (performance.now() > end) throw new Error(`page never showed ${what}: ${String(await page.evaluate('document.body.innerText')).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('live web view in the NAT lab (a pair that cannot link, then over the relay)', function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let profile: string | undefined;
  // Every process a test starts, stopped after it whatever the outcome: a failed assertion must not
  // leave the service holding the lab port for the next test (CI saw EADDRINUSE after one failure).
  let running: LabProcess[] = [];
  const track = <T extends LabProcess>(p: T): T => { running.push(p); return p; };

  before(async function () {
    requireLab(this);
    if (process.env.CI !== 'true') {
      const { existsSync } = await import('node:fs');
      if (!existsSync(CHROMIUM)) this.skip();
    }
    lab = await Lab.create({ publicHosts: 1, routers: [{ name: 'S', nat: 'symmetric' }, { name: 'R', nat: 'symmetric' }] });
  });

  afterEach(async () => {
    const stopping = running;
    running = [];
    await Promise.all(stopping.map((p) => p.stop()));
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    await lab?.destroy();
  });

  it('shows the two direct links and the symmetric pair failed with its reason and timeline; the operator sees the NATs\' addresses', async () => {
    const l = lab!;
    const signal = track(l.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', LAB_SIGNAL.host, '--port', String(LAB_SIGNAL.port), '--ui', '--admin-token', ADMIN, '--no-relay'], 'srv:signal'));
    await signal.waitForLine(/listening/, START_TIMEOUT_MS);
    const agents: LabProcess[] = [track(labAgent(l, 'p1', 'lab-view', ['--create', '--timeout', '90']))];
    await agents[0]!.waitForLine(/created 'lab-view' as peer 1/, START_TIMEOUT_MS);
    agents.push(track(labAgent(l, 's1', 'lab-view', ['--timeout', '90'])), track(labAgent(l, 'r1', 'lab-view', ['--timeout', '90'])));
    const [view] = (await agents[0]!.waitForLine(/\bview\s+http/, START_TIMEOUT_MS)).match(/http:\/\/\S+/) ?? [];
    expect(view).to.match(new RegExp(`^http://${LAB_SIGNAL.host.replace(/\./g, '\\.')}:${LAB_SIGNAL.port}/ui/lobby#lobby=lab-view&token=`));
    await agents[1]!.waitForLine(/ as peer \d+/, START_TIMEOUT_MS);
    await agents[2]!.waitForLine(/ as peer \d+/, START_TIMEOUT_MS);
    const [s1, r1] = [peerIdOf(agents[1]!), peerIdOf(agents[2]!)].map(String);
    await agents[1]!.waitForLine(new RegExp(`link ${r1} +FAILED`), 40_000);
    await agents[1]!.waitForLine(/link 1 +up: direct/, 40_000);
    await agents[2]!.waitForLine(/link 1 +up: direct/, 40_000);

    // Chromium inside p1's namespace: a wrapper enters it, the DevTools protocol goes over a pipe.
    profile = mkdtempSync(join(l.runDir, 'chromium-'));
    const wrapper = join(l.runDir, 'chromium-in-p1.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${l.ns('p1')} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = await puppeteer.launch({
      executablePath: wrapper, pipe: true, headless: true, protocolTimeout: 60_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(view!);
    await pageUntil(page, '3 members, 4 direct cells and 2 failed ones', `document.querySelectorAll('table.members tbody tr').length === 3 && document.querySelectorAll('td.cell[data-path="direct"]').length === 4 && document.querySelectorAll('td.cell[data-path="failed"]').length === 2`);
    const failure = (await page.evaluate(`[...document.querySelectorAll('.failures > ul > li')].map((e) => e.textContent)`)) as string[];
    expect(failure).to.have.length(1);
    expect(failure[0]).to.include(`peer ${Math.min(Number(s1), Number(r1))} ↔ peer ${Math.max(Number(s1), Number(r1))}`);
    expect(failure[0]).to.match(/: (timeout|unreachable)/);
    // The timeline names the kinds each side sent (both gathered a server-reflexive candidate through their NAT), no address.
    expect(failure[0]).to.match(/sent \d+ candidates?: [a-z, ]*srflx/);
    expect(failure[0]).not.to.match(/\d+\.\d+\.\d+\.\d+/);
    // Each side's per-candidate record (protocol 1.6): the srflx candidate through the other's
    // symmetric NAT was probed and never answered (the host one too, or it was not probed at
    // all), in words and without an address.
    const records = (await page.evaluate(`[...document.querySelectorAll('.failures > ul > li table.probes')].map((t) => ({
      from: t.dataset.from, rows: [...t.querySelectorAll('tbody tr')].map((tr) => ({ kind: tr.dataset.kind, outcome: tr.dataset.outcome, why: tr.querySelector('td.outcome').textContent })) }))`)) as Array<{ from: string; rows: Array<{ kind: string; outcome: string; why: string }> }>;
    expect(records.length, 'a record from at least one side').to.be.at.least(1);
    for (const r of records) {
      expect([s1, r1]).to.include(r.from);
      const srflx = r.rows.find((x) => x.kind === 'srflx');
      expect(srflx, JSON.stringify(r)).to.not.equal(undefined);
      expect(['timeout', 'not-sent']).to.include(srflx!.outcome);
      for (const x of r.rows) {
        expect(['timeout', 'unreachable', 'refused', 'not-sent'], JSON.stringify(x)).to.include(x.outcome);
        expect(x.why).to.match(/(timeout: no answer|unreachable: |refused: |not probed)/);
      }
    }
    await page.screenshot({ path: join(ARTIFACTS, 'natlab-lobby-view.png'), fullPage: true });

    const op = await browser.newPage();
    await op.setViewport({ width: 1280, height: 800 });
    await op.goto(`http://${LAB_SIGNAL.host}:${LAB_SIGNAL.port}/ui/operator#token=${ADMIN}`);
    await pageUntil(op, 'the lobby row', `document.querySelector('tr[data-lobby="lab-view"] [data-field="ratio"]')?.textContent === '67 % (2/3)'`);
    // The row is re-rendered on every lobby event: a handle taken first (page.click) can be detached
    // by the time puppeteer scrolls it into view (CI: "Node is detached from document"), so the click
    // happens inside the page, on whatever row is current.
    await op.evaluate(`document.querySelector('tr[data-lobby="lab-view"] button').click()`);
    await pageUntil(op, 'the members\' endpoints', `document.querySelectorAll('.detail table.members td.endpoint').length === 3`);
    const endpoints = (await op.evaluate(`[...document.querySelectorAll('.detail table.members td.endpoint')].map((e) => e.textContent)`)) as string[];
    // Each member's WebSocket source: p1's own address and the two NATs' public addresses, all distinct.
    expect(new Set(endpoints).size).to.equal(3);
    for (const e of endpoints) expect(e).to.match(/^(203\.0\.113|198\.51\.100)\.\d+$/);
    // The operator's records name the address each check went to: the other NAT's public address for srflx.
    await pageUntil(op, 'the probe records with addresses', `document.querySelectorAll('.detail .failures table.probes tr[data-kind="srflx"] td.endpoint').length >= 1`);
    for (const e of (await op.evaluate(`[...document.querySelectorAll('.detail .failures table.probes tr[data-kind="srflx"] td.endpoint')].map((e) => e.textContent)`)) as string[]) {
      expect(e).to.match(/^(203\.0\.113|198\.51\.100)\.\d+:\d+$/);
    }
    await op.screenshot({ path: join(ARTIFACTS, 'natlab-operator-view.png'), fullPage: true });
    for (const a of agents) await a.stop();
    await signal.stop();
    await page.close();
    await op.close();
  });

  it('with the embedded relay on, shows the symmetric pair linked over the relay, and the operator the relay in use', async () => {
    const l = lab!;
    const signal = track(l.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', LAB_SIGNAL.host, '--port', String(LAB_SIGNAL.port), '--ui', '--admin-token', ADMIN], 'srv:signal-relay'));
    await signal.waitForLine(/listening/, START_TIMEOUT_MS);
    const agents: LabProcess[] = [track(labAgent(l, 'p1', 'lab-relay', ['--create', '--timeout', '90']))];
    await agents[0]!.waitForLine(/created 'lab-relay' as peer 1/, START_TIMEOUT_MS);
    agents.push(track(labAgent(l, 's1', 'lab-relay', ['--timeout', '90'])), track(labAgent(l, 'r1', 'lab-relay', ['--timeout', '90'])));
    const [view] = (await agents[0]!.waitForLine(/\bview\s+http/, START_TIMEOUT_MS)).match(/http:\/\/\S+/) ?? [];
    await agents[1]!.waitForLine(/ as peer \d+/, START_TIMEOUT_MS);
    await agents[2]!.waitForLine(/ as peer \d+/, START_TIMEOUT_MS);
    const r1 = String(peerIdOf(agents[2]!));
    await agents[1]!.waitForLine(new RegExp(`link ${r1} +up: relay`), 60_000);
    const page = await browser!.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(view!);
    await pageUntil(page, '2 relay cells and 4 direct ones', `document.querySelectorAll('td.cell[data-path="relay"]').length === 2 && document.querySelectorAll('td.cell[data-path="direct"]').length === 4`);
    for (const t of (await page.evaluate(`[...document.querySelectorAll('td.cell[data-path="relay"]')].map((e) => e.textContent)`)) as string[]) expect(t).to.match(/^↻ relay \d+(\.\d)? ms$/);
    await page.screenshot({ path: join(ARTIFACTS, 'natlab-lobby-view-relay.png'), fullPage: true });
    const op = await browser!.newPage();
    await op.goto(`http://${LAB_SIGNAL.host}:${LAB_SIGNAL.port}/ui/operator#token=${ADMIN}`);
    await pageUntil(op, 'the relay in use', `/^[1-9]\\d* credentials, 0 refused, [1-9]\\d* allocations$/.test(document.querySelector('[data-field="relay"]')?.textContent ?? '')`);
    await pageUntil(op, 'every link up', `document.querySelector('tr[data-lobby="lab-relay"] [data-field="ratio"]')?.textContent === '100 % (3/3)'`);
    for (const a of agents) await a.stop();
    await signal.stop();
  });
});
