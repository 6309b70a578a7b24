// The live view under load (issue 17): `meshpunch signal --ui` (the agent CLI's in-process
// service) with 50 lobby pages open in Chromium while 64 clients join per second for 3 s.
// Every join must complete and every page must end up showing its lobby's members; how long
// joins and page updates take is measured by `npm run bench:webui`, not asserted here.
import { expect } from 'chai';
import { SignalingClient } from '@meshpunch/signaling/client';
import type { Page } from 'puppeteer-core';
import { AgentProcess, START_TIMEOUT_MS, stopAll } from '../e2e/agent-process.js';
import { launchChromium } from './chromium.js';
import type { Chromium } from './chromium.js';

const LOBBIES = 10;
const PAGES_PER_LOBBY = 5;
const JOINS_PER_SECOND = 64;
const JOIN_SECONDS = 3;

/** Starts `meshpunch signal` on 127.0.0.1 and resolves with its port once it listens. */
async function startMeshpunchSignal(procs: AgentProcess[], extra: readonly string[]): Promise<number> {
  const proc = new AgentProcess(['signal', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', ...extra]);
  procs.push(proc);
  const [line] = await proc.waitFor(/"event":"listening"/, START_TIMEOUT_MS, 1, 'stderr');
  return (JSON.parse(line!) as { port: number }).port;
}

async function membersShown(page: Page): Promise<number> {
  return (await page.evaluate(`document.querySelectorAll('table.members tbody tr').length`)) as number;
}

describe('live web view under load (50 pages open, 64 joins per second)', function () {
  this.timeout(300_000);
  let chromium: Chromium | undefined;
  const procs: AgentProcess[] = [];
  const clients: SignalingClient[] = [];

  before(async function () {
    chromium = await launchChromium();
    if (chromium === undefined) this.skip();
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await stopAll(procs.splice(0));
    await chromium?.close();
  });

  it('completes every join while 50 lobby pages stay live, and each page ends up showing its lobby', async () => {
    const port = await startMeshpunchSignal(procs, ['--ui', '--connections-per-second-per-ip', '0', '--no-relay']);
    const url = `ws://127.0.0.1:${port}`;
    const views: string[] = [];
    for (let i = 0; i < LOBBIES; i++) {
      const owner = await SignalingClient.connect(url, { name: `owner-${i}` });
      clients.push(owner);
      const joined = await owner.createLobby({ name: `load-${i}`, maxPeers: 64 });
      expect(joined.viewUrl, 'meshpunch signal --ui tells the view link').to.be.a('string');
      views.push(joined.viewUrl!);
    }
    // Opened ten at a time: a new tab costs Chromium about a second of CPU on a busy machine.
    const pages: Array<{ page: Page; lobby: number }> = [];
    for (let batch = 0; batch < LOBBIES * PAGES_PER_LOBBY; batch += 10) {
      pages.push(...await Promise.all(Array.from({ length: 10 }, async (_, k) => {
        const i = batch + k;
        const page = await chromium!.browser.newPage();
        await page.setViewport({ width: 1280, height: 800 });
        await page.goto(views[i % LOBBIES]!);
        return { page, lobby: i % LOBBIES };
      })));
    }
    await Promise.all(pages.map(({ page }) => page.waitForFunction(`document.querySelectorAll('table.members tbody tr').length === 1`, { timeout: 60_000, polling: 200 })));

    // 64 joins per second for 3 s, round-robin over the lobbies, each from its own connection.
    const total = JOINS_PER_SECOND * JOIN_SECONDS;
    const expected = new Array<number>(LOBBIES).fill(1);
    const joins: Array<Promise<void>> = [];
    const t0 = performance.now();
    for (let n = 0; n < total; n++) {
      const at = t0 + (n * 1000) / JOINS_PER_SECOND;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const lobby = n % LOBBIES;
      expected[lobby]!++;
      joins.push((async () => {
        const c = await SignalingClient.connect(url, { name: `joiner-${n}` });
        clients.push(c);
        await c.joinLobby(`load-${lobby}`);
      })());
    }
    const outcomes = await Promise.allSettled(joins);
    const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));
    expect(failed, failed.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(outcomes).to.have.length(total);

    // Every page follows its lobby to the final member count (pushed, never reloaded).
    for (const { page, lobby } of pages) {
      await page.waitForFunction(`document.querySelectorAll('table.members tbody tr').length === ${expected[lobby]!}`, { timeout: 60_000, polling: 200 })
        .catch(async (err: unknown) => {
          throw new Error(`a page of lobby load-${lobby} shows ${await membersShown(page)} members, expected ${expected[lobby]!} (${String(err)})`);
        });
      expect(await page.evaluate(`document.querySelector('.status').dataset.state`)).to.equal('live');
    }
    for (const { page } of pages) await page.close();
  });
});
