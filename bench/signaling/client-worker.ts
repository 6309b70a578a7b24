// Benchmark client process: drives a share of the clients on command from main.ts over IPC.
import { LeanClient } from './lean-client.js';

/** Commands from main.ts. */
export type WorkerCommand =
  | { cmd: 'admit'; url: string; items: Array<{ lobby: string; create: boolean }>; concurrency: number; pipeline: boolean; hint?: boolean }
  | { cmd: 'relay'; inflight: number }
  | { cmd: 'probe'; url: string; probes: number; hint?: boolean }
  | { cmd: 'close' };

const clients: LeanClient[] = [];

function reply(msg: unknown): void {
  process.send!(msg);
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, n) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function admit(c: Extract<WorkerCommand, { cmd: 'admit' }>): Promise<void> {
  const pipeline = c.pipeline;
  const latencies: number[] = [];
  /** TCP connect → 101 (not part of the join latency): where a --workers primary's hand-off shows. */
  const opens: number[] = [];
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(c.items, c.concurrency, async (item) => {
    try {
      // With hint: the lobby named in the URL (protocol.md "Routing hint"), as SignalingClient does.
      const o0 = performance.now();
      const client = new LeanClient(Number(new URL(c.url).port), c.hint === true ? `/?lobby=${encodeURIComponent(item.lobby)}` : '/');
      await client.opened;
      opens.push(performance.now() - o0);
      // Join latency as the shared kit defines it: socket open (101 received) → lobby.joined.
      const start = performance.now();
      const second = item.create ? `{"type":"lobby.create","name":"${item.lobby}","maxPeers":10}` : `{"type":"lobby.join","lobby":"${item.lobby}"}`;
      if (pipeline) await client.requestPair('{"type":"hello","versions":[1]}', second);
      else {
        await client.request('{"type":"hello","versions":[1]}');
        await client.request(second);
      }
      latencies.push(performance.now() - start);
      clients.push(client);
    } catch {
      errors++;
    }
  });
  const cpu = process.cpuUsage(cpu0);
  reply({ kind: 'admitted', latencies, opens, errors, ms: performance.now() - t0, cpuUs: cpu.user + cpu.system });
}

async function relay(inflight: number): Promise<void> {
  const expected = clients.reduce((n, c) => n + c.pairs.length, 0);
  const jobs: Array<{ c: LeanClient; pair: number }> = [];
  if (inflight > 0) for (const c of clients) for (const p of c.pairs) jobs.push({ c, pair: p.pair });
  let errors = 0;
  const t0 = performance.now();
  await pool(jobs, inflight, async ({ c, pair }) => {
    try {
      await c.request(`{"type":"pair.candidates","pair":${pair},"candidates":[{"kind":"host","family":4,"address":"192.168.1.20","port":40000},{"kind":"srflx","family":4,"address":"203.0.113.20","port":51000}],"done":true}`);
    } catch {
      errors++;
    }
  });
  // Wait (bounded) until every candidates message addressed to our clients has arrived.
  const deadline = performance.now() + 30_000;
  while (inflight > 0 && clients.reduce((n, c) => n + c.candidatesDone, 0) < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  reply({ kind: 'relayed', sent: jobs.length, received: clients.reduce((n, c) => n + c.candidatesDone, 0), expected, errors, ms: performance.now() - t0 });
}

/**
 * Join probes on an otherwise idle service (the shared kit's --join-probes): one after another,
 * a client creates a lobby (the service draws its code) and a second one joins it by that code,
 * while every admitted client stays connected. Latency = socket open (101) → lobby.joined, hello
 * pipelined, as in admit(). The probe clients leave before the next probe.
 */
async function probe(c: Extract<WorkerCommand, { cmd: 'probe' }>): Promise<void> {
  const port = Number(new URL(c.url).port);
  const create: number[] = [];
  const join: number[] = [];
  let errors = 0;
  for (let i = 0; i < c.probes; i++) {
    const made: LeanClient[] = [];
    try {
      const a = new LeanClient(port, '/');
      made.push(a);
      await a.opened;
      let t = performance.now();
      const [, created] = await a.requestPair('{"type":"hello","versions":[1]}', '{"type":"lobby.create","maxPeers":2}');
      create.push(performance.now() - t);
      const code = String((created.lobby as { code: string }).code);
      const b = new LeanClient(port, c.hint === true ? `/?lobby=${encodeURIComponent(code)}` : '/');
      made.push(b);
      await b.opened;
      t = performance.now();
      await b.requestPair('{"type":"hello","versions":[1]}', `{"type":"lobby.join","lobby":"${code}"}`);
      join.push(performance.now() - t);
    } catch {
      errors++;
    }
    for (const m of made) m.close();
    await Promise.race([Promise.all(made.map((m) => m.closed)), new Promise((r) => setTimeout(r, 5000))]);
  }
  reply({ kind: 'probed', create, join, errors });
}

async function closeAll(): Promise<void> {
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => c.closed));
  clients.length = 0;
  reply({ kind: 'closed' });
}

process.on('message', (m: WorkerCommand) => {
  if (m.cmd === 'admit') void admit(m);
  else if (m.cmd === 'relay') void relay(m.inflight);
  else if (m.cmd === 'probe') void probe(m);
  else if (m.cmd === 'close') void closeAll();
});
process.on('disconnect', () => process.exit(0));
// main.ts ends workers with SIGTERM; exiting normally lets --cpu-prof write its profile.
process.on('SIGTERM', () => process.exit(0));
