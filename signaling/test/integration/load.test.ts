// Load on loopback: 2 000 clients in 200 lobbies join, exchange candidates for every pair,
// report, and leave — no error, and connections, lobbies and members all back to 0.
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { PairStart } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { startTestServer } from '../support/server.js';

const CLIENTS = 2000;
const LOBBY_SIZE = 10;
/** Sockets opening at once: enough to load the service, few enough for the kernel's accept queue. */
const CONCURRENCY = 64;

async function inBatches<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

describe('load on loopback', function () {
  // About 15 s of CPU (user + sys) in this one process: 70 s of wall time at load ~25 on 2 cores,
  // and past the former 90 s bound at load 14 (twice in two runs); a timeout here also left the
  // 2 000 clients open for the rest of the group, whose next tests then failed too.
  this.timeout(300_000);
  let server: SignalingServer;
  /** Every client connected, closed in `after` too: a failed run must not leave 2 000 open to the next tests. */
  const clients: SignalingClient[] = new Array(CLIENTS);

  before(async () => {
    // The hello limit (default 5 s) far above it too, for the same reason as the clients' limits below.
    server = await startTestServer({ helloTimeoutMs: 120_000 });
  });

  after(async () => {
    await Promise.all(clients.filter((c) => c !== undefined).map((c) => c.close()));
    await server.close();
  });

  it(`carries ${CLIENTS} clients in ${CLIENTS / LOBBY_SIZE} lobbies through join, candidates, results and leave`, async () => {
    const errors: unknown[] = [];
    const starts: PairStart[][] = Array.from({ length: CLIENTS }, () => []);
    const received: number[] = new Array(CLIENTS).fill(0);
    await inBatches([...Array(CLIENTS).keys()], CONCURRENCY, async (i) => {
      // Connect and request limits far above the default 10 s: at load ~17 an opening handshake
      // among these 64 at once once took longer (the service shares this starved process).
      const c = await SignalingClient.connect(server.url, { name: `c${i}`, connectTimeoutMs: 120_000, requestTimeoutMs: 120_000 });
      c.on('error', (e) => errors.push(e));
      c.on('disconnected', (e) => errors.push(e));
      c.on('pairStart', (p) => starts[i]!.push(p));
      c.on('candidates', (e) => {
        if (e.done) received[i]!++;
      });
      clients[i] = c;
    });
    expect(server.core.connectionCount).to.equal(CLIENTS);
    const owners = [...Array(CLIENTS / LOBBY_SIZE).keys()].map((l) => l * LOBBY_SIZE);
    const codes: string[] = [];
    await inBatches(owners, CONCURRENCY, async (o) => {
      codes[o / LOBBY_SIZE] = (await clients[o]!.createLobby({ maxPeers: LOBBY_SIZE })).lobby.code;
    });
    const joiners = [...Array(CLIENTS).keys()].filter((i) => i % LOBBY_SIZE !== 0);
    await inBatches(joiners, CONCURRENCY, async (i) => {
      await clients[i]!.joinLobby(codes[Math.floor(i / LOBBY_SIZE)]!);
    });
    expect(server.core.lobbyCount).to.equal(CLIENTS / LOBBY_SIZE);
    expect(server.core.memberCount).to.equal(CLIENTS);
    // Every member is in LOBBY_SIZE − 1 pairs; wait until every pair.start has arrived.
    const expectedPairs = LOBBY_SIZE - 1;
    for (let t = 0; t < 3000 && starts.some((s) => s.length < expectedPairs); t++) await new Promise((r) => setTimeout(r, 10));
    expect(starts.every((s) => s.length === expectedPairs)).to.equal(true);
    await inBatches([...Array(CLIENTS).keys()], CONCURRENCY, async (i) => {
      for (const p of starts[i]!) {
        await clients[i]!.sendCandidates(p.pair, [
          { kind: 'host', family: 4, address: '192.168.0.10', port: 20000 + (i % 40000) },
          { kind: 'srflx', family: 4, address: '203.0.113.10', port: 30000 + (i % 30000) },
        ], { done: true });
      }
    });
    for (let t = 0; t < 3000 && received.some((n) => n < expectedPairs); t++) await new Promise((r) => setTimeout(r, 10));
    expect(received.every((n) => n === expectedPairs)).to.equal(true);
    await inBatches([...Array(CLIENTS).keys()], CONCURRENCY, async (i) => {
      for (const p of starts[i]!) if (p.role === 'connect') await clients[i]!.reportPairResult(p.pair, { outcome: 'connected', path: 'direct', rttMs: 1 });
    });
    const view = await clients[0]!.getLobby();
    expect(view.links.length).to.equal((LOBBY_SIZE * (LOBBY_SIZE - 1)) / 2);
    expect(view.links.every((l) => l.state === 'connected')).to.equal(true);
    await inBatches(clients, CONCURRENCY, async (c) => {
      await c.close();
    });
    for (let t = 0; t < 2000 && server.core.connectionCount > 0; t++) await new Promise((r) => setTimeout(r, 10));
    expect(errors).to.deep.equal([]);
    expect(server.core.connectionCount).to.equal(0);
    expect(server.core.lobbyCount).to.equal(0);
    expect(server.core.memberCount).to.equal(0);
    const m = server.core.metrics;
    expect(m.candidatesRelayed).to.equal(CLIENTS * expectedPairs * 2);
    expect(m.pairResults['connected/direct']).to.equal((CLIENTS * expectedPairs) / 2);
    expect(Object.values(m.errors).reduce((a, b) => a + b, 0)).to.equal(0);
  });
});
