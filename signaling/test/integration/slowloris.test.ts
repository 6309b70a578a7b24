// Issue #13 item 4, as an attacker does it: 356 silent TCP sockets from loopback against a
// service with --max-connections 100. Before the fix they took every TCP slot Node allowed
// (maxConnections + 256), so honest clients and /healthz were refused, and an unfinished
// request was cut only after ≈ 30 s (Node checks headersTimeout every 30 s).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import { startTestServer } from '../support/server.js';

function silent(port: number, closedAt: Map<Socket, number>, t0: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('close', () => closedAt.set(s, performance.now() - t0));
  });
}

async function until(pred: () => boolean, ms: number): Promise<void> {
  for (let i = 0; i < ms / 10 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('SignalingServer under slowloris', () => {
  let server: SignalingServer;

  afterEach(async () => {
    await server.close();
  });

  it('lets honest clients and /healthz in past 356 silent sockets from the same address, and cuts them at headersTimeoutMs', async function () {
    this.timeout(30_000);
    // The header timeout (5 s) well after the per-address cap's cut (1 s old, PENDING_YOUNG_MS):
    // with 1.5 s, a sweep delayed half a second on a loaded machine would cut them as timeouts
    // instead, and the per_ip count below would fall short (the race the caps test of
    // failure-modes lost at load ~18).
    server = await startTestServer({ maxConnections: 100, headersTimeoutMs: 5000, admin: { port: 0 } });
    const t0 = performance.now();
    const closedAt = new Map<Socket, number>();
    const socks: Socket[] = [];
    for (let i = 0; i < 356; i++) socks.push(await silent(server.port, closedAt, t0));
    await until(() => socks.filter((s) => !closedAt.has(s)).length <= 32, 4000);
    const heldAfterFlood = socks.filter((s) => !closedAt.has(s)).length;
    // Honest clients, from the same loopback address, after the flood.
    const clients = await Promise.all(Array.from({ length: 5 }, () => SignalingClient.connect(server.url)));
    const { lobby } = await clients[0]!.createLobby();
    for (const c of clients.slice(1)) await c.joinLobby(lobby.code);
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    const adminHealth = await fetch(`http://127.0.0.1:${server.adminPort!}/healthz`);
    const adminMetrics = await (await fetch(`http://127.0.0.1:${server.adminPort!}/metrics`)).text();
    // Every silent socket is cut; none outlives the header timeout by Node's 30 s check period.
    await until(() => closedAt.size === socks.length, 15_000);
    const lastCut = Math.max(...closedAt.values());
    console.log(`      figure: silent sockets held after the flood ${heldAfterFlood}/356, honest clients in 5/5, /healthz ${health.status}, `
      + `admin /healthz ${adminHealth.status}; last silent socket cut ${lastCut.toFixed(0)} ms after the flood began (headersTimeoutMs 5000)`);
    expect(heldAfterFlood).to.be.at.most(32);
    expect(health.status).to.equal(200);
    expect(adminHealth.status).to.equal(200);
    expect(closedAt.size).to.equal(socks.length);
    expect(adminMetrics).to.match(/^meshpunch_signal_http_pending_dropped_total\{reason="per_ip"\} (\d+)$/m);
    expect(Number(/^meshpunch_signal_http_pending_dropped_total\{reason="per_ip"\} (\d+)$/m.exec(adminMetrics)![1])).to.be.at.least(356 - 32);
    expect(server.core.memberCount).to.equal(5);
    for (const c of clients) await c.close();
    for (const s of socks) s.destroy();
  });

  it('cuts a request that never finishes its headers at headersTimeoutMs, counted as timeout', async function () {
    this.timeout(30_000);
    server = await startTestServer({ headersTimeoutMs: 500 });
    const t0 = performance.now();
    const s = connect({ port: server.port, host: '127.0.0.1' });
    s.on('error', () => undefined);
    s.write('GET / HTTP/1.1\r\nhost: x\r\n');
    // Trickle a header line every 100 ms (each resets nothing: the deadline is from accept).
    const trickle = setInterval(() => s.write('x-a: b\r\n'), 100);
    const closed = await new Promise<number>((r) => {
      const bound = setTimeout(() => r(-1), 10_000);
      s.once('close', () => {
        clearTimeout(bound);
        r(performance.now() - t0);
      });
    });
    clearInterval(trickle);
    console.log(`      figure: unfinished request cut after ${closed.toFixed(0)} ms (headersTimeoutMs 500)`);
    expect(closed).to.be.greaterThan(0);
    expect(server.metricsText()).to.include('meshpunch_signal_http_pending_dropped_total{reason="timeout"} 1\n');
    s.destroy();
  });
});
