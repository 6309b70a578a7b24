// End to end on a signaling cluster (issue 14): two meshpunch-signal nodes sharing a real
// redis-server; 4 `meshpunch join` agents (2 per node, each given both URLs) form a mesh; the
// lobby's home node is killed with kill -9; the links stay, the agents resume on the other
// node with their ids, and a 5th agent then links with all of them.
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT, START_TIMEOUT_MS, startSignalProcess, type AgentProcess } from './agent-process.js';
import { useProcesses } from './fixture.js';

interface TestRedis { url: string; stop(): Promise<void> }
type RedisModule = { haveRedis(): boolean; startRedis(): Promise<TestRedis> };

describe('agents on a signaling cluster (end to end, Redis)', function () {
  this.timeout(180_000);
  const fx = useProcesses();
  let redis: TestRedis | undefined;

  before(async function () {
    // The signaling package's test helper (started on loopback, stopped by its pid).
    const m = (await import(join(ROOT, 'signaling', 'dist', 'test', 'support', 'redis-server.js'))) as RedisModule;
    if (!m.haveRedis()) this.skip();
    redis = await m.startRedis();
  });

  after(async () => {
    await redis?.stop();
  });

  it('4 agents on 2 nodes mesh; kill -9 of the home node: the mesh stays, they resume on the other node, a 5th agent links with all', async () => {
    const extra = ['--redis', redis!.url, '--redis-prefix', 'e2e:', '--redis-lease-ms', '1000', '--no-relay'];
    const [n0, n1] = await Promise.all([startSignalProcess(0, extra), startSignalProcess(0, extra)]);
    fx.track(n0.proc);
    fx.track(n1.proc);
    const url = (p: number): string => `ws://127.0.0.1:${p}`;
    const agent = (first: number, second: number, more: readonly string[]): AgentProcess =>
      fx.spawn(['join', '--signal', url(first), '--signal', url(second), '--lobby', 'cluster-e2e', '--create-if-missing', '--bind', '127.0.0.1',
        '--wait-peers', '5', '--exchange', '20', '--timeout', '120', ...more]);
    const first = agent(n0.port, n1.port, []);
    await first.waitFor(/ created '/, START_TIMEOUT_MS);
    const four = [first, agent(n0.port, n1.port, []), agent(n1.port, n0.port, []), agent(n1.port, n0.port, [])];
    // Three of them start while the first waits (seconds each at load ~20): START_TIMEOUT_MS. A
    // failure names what every agent said (one that never joined is not the one waited on).
    const everyone = (): string => four.map((a, i) => `--- agent ${i + 1}\n${a.tail(12)}`).join('\n');
    for (const a of four) await a.waitFor(/ up: lan/, START_TIMEOUT_MS, 3).catch((err: Error) => {
      throw new Error(`${err.message.split('\n')[0]}\n${everyone()}`);
    });
    const ids = four.map((a) => Number(/as peer (\d+)/.exec(a.stdout.find((l) => / as peer \d+/.test(l)) ?? '')![1]));
    // The lobby was created through n0, so n0 is its home: kill it.
    n0.proc.kill('SIGKILL');
    await n0.proc.exited;
    for (const a of four) await a.waitFor(/signaling {2}resumed on ws:\/\/127\.0\.0\.1:\d+\/ \(same peer id\)/, 30_000);
    const fifth = agent(n1.port, n0.port, ['--json']);
    const codes = await Promise.all([...four.map((a) => a.exited), fifth.exited]);
    expect(codes, [...four.map((a) => a.tail()), fifth.tail()].join('\n---\n')).to.deep.equal([0, 0, 0, 0, 0]);
    const report = JSON.parse(fifth.stdout.join('\n')) as { id: number; peers: Array<{ id: number }>; exchange: { received: Record<string, number> } };
    expect(ids).to.not.include(report.id);
    expect(report.peers.map((p) => p.id).sort((x, y) => x - y)).to.deep.equal([...ids].sort((x, y) => x - y));
    expect(report.exchange.received).to.deep.equal(Object.fromEntries(ids.map((i) => [String(i), 20])));
    for (const a of four) {
      // Every link made before the kill stayed: one "up" per peer, nobody removed.
      expect(a.stdout.filter((l) => / up: lan/.test(l)), a.tail()).to.have.length(4);
      expect(a.stdout.filter((l) => / removed | FAILED/.test(l)), a.tail()).to.deep.equal([]);
    }
  });
});
