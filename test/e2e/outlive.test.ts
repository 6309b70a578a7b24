// End-to-end: the mesh outlives its coordinator (issue #12 items 1, 8, 11). `meshpunch join`
// agents and `meshpunch-signal` as separate processes on loopback: the service is stopped
// (SIGTERM) or killed (kill -9); the agents keep their links, say so, get their lobby back when
// the service returns (same ids), and a fourth agent then links with all of them; every link
// then carries `--exchange` messages.
import { expect } from 'chai';
import { START_TIMEOUT_MS, startSignalProcess, type AgentProcess } from './agent-process.js';
import { useProcesses } from './fixture.js';

/** How long the service stays dead in the kill -9 test (issue #12: 60 s); MESHPUNCH_E2E_OUTAGE_S shortens it for a local run. */
const OUTAGE_S = Number(process.env.MESHPUNCH_E2E_OUTAGE_S ?? 60);

interface TextAgent {
  proc: AgentProcess;
  id: number;
  /** remote id → our local endpoint of that link, from the "up:" lines. */
  locals: Map<number, string>;
}

describe('the mesh outlives its coordinator (end to end)', function () {
  this.timeout(60_000 + (OUTAGE_S + 120) * 1000);
  const fx = useProcesses();
  let lobbySeq = 0;

  function agent(port: number, lobby: string, extra: readonly string[]): AgentProcess {
    return fx.spawn(['join', '--signal', `ws://127.0.0.1:${port}`, '--lobby', lobby, '--create-if-missing', '--bind', '127.0.0.1', ...extra]);
  }

  /** Three text-mode agents waiting for 4 members; resolves once each has its 2 links up. */
  async function meshOfThree(port: number, lobby: string, timeoutS: number): Promise<TextAgent[]> {
    const args = ['--wait-peers', '4', '--exchange', '20', '--timeout', String(timeoutS)];
    const first = agent(port, lobby, args);
    await first.waitFor(/ created '/, START_TIMEOUT_MS);
    const ps = [first, agent(port, lobby, args), agent(port, lobby, args)];
    const out: TextAgent[] = [];
    for (const p of ps) {
      const ups = await p.waitFor(/ up: lan/, 30_000, 2);
      const id = Number(/as peer (\d+)/.exec(p.stdout.find((l) => / as peer \d+/.test(l)) ?? '')![1]);
      const locals = new Map<number, string>();
      for (const l of ups) {
        const m = /link (\d+)\s+up: lan, [\d.]+ ms, (\S+) ⇄/.exec(l)!;
        locals.set(Number(m[1]), m[2]!);
      }
      out.push({ proc: p, id, locals });
    }
    return out;
  }

  /** The 4th agent joins the restored lobby; everyone completes the mesh and the exchange. */
  async function fourthJoinsAndAllExchange(port: number, lobby: string, three: TextAgent[]): Promise<void> {
    const d = agent(port, lobby, ['--wait-peers', '4', '--exchange', '20', '--timeout', '60', '--json']);
    const codes = await Promise.all([...three.map((a) => a.proc.exited), d.exited]);
    expect(codes, [...three.map((a) => a.proc.tail()), d.tail()].join('\n---\n')).to.deep.equal([0, 0, 0, 0]);
    const report = JSON.parse(d.stdout.join('\n')) as { id: number; peers: Array<{ id: number }>; exchange: { received: Record<string, number> }; signaling: { state: string } };
    const ids = three.map((a) => a.id);
    // Issue #11: the newcomer gets an unused id (never 1, never a live member's) and links with all.
    expect(ids).to.not.include(report.id);
    expect(report.peers.map((p) => p.id).sort((x, y) => x - y)).to.deep.equal([...ids].sort((x, y) => x - y));
    expect(report.exchange.received).to.deep.equal(Object.fromEntries(ids.map((i) => [String(i), 20])));
    expect(report.signaling.state).to.equal('connected');
    for (const a of three) {
      const others = [...ids.filter((i) => i !== a.id), report.id];
      const got = a.proc.stdout.find((l) => l.startsWith('messages: '));
      expect(got, a.proc.tail()).to.match(/^messages: sent 20 to each peer; received /);
      const received = [...got!.matchAll(/(\d+) from (\d+)/g)].map((m) => [Number(m[2]), Number(m[1])] as const).sort((x, y) => x[0] - y[0]);
      expect(received).to.deep.equal(others.sort((x, y) => x - y).map((i) => [i, 20]));
      // The links made before the outage are the ones that carried the messages: same sockets,
      // never punched again (the final table lists each peer's local endpoint).
      for (const [remote, local] of a.locals) {
        const row = a.proc.stdout.find((l) => l.startsWith(`${remote} `) && l.includes(' lan '));
        expect(row, `${a.id}'s table row for ${remote}\n${a.proc.tail()}`).to.include(local);
      }
      // One "up" line per peer: no link was punched twice.
      expect(a.proc.stdout.filter((l) => / up: lan/.test(l)), a.proc.tail()).to.have.length(3);
      expect(a.proc.stdout.filter((l) => / removed /.test(l)), a.proc.tail()).to.deep.equal([]);
    }
  }

  it('SIGTERM of the service: agents keep their links and say so; after a restart they re-register under their ids and a 4th agent links with all', async () => {
    const lobby = `outlive-term-${lobbySeq++}`;
    const s1 = await startSignalProcess();
    fx.track(s1.proc);
    const three = await meshOfThree(s1.port, lobby, 90);
    s1.proc.kill('SIGTERM');
    expect(await s1.proc.exited).to.equal(0);
    for (const a of three) await a.proc.waitFor(/signaling {2}lost: .*1001.*the mesh stays, reconnecting/, 10_000);
    // Still running, nobody removed: the links did not depend on the service.
    await new Promise((r) => setTimeout(r, 3000));
    for (const a of three) {
      expect(a.proc.exitCode, a.proc.tail()).to.equal(null);
      expect(a.proc.stdout.filter((l) => / removed /.test(l))).to.deep.equal([]);
    }
    const s2 = await startSignalProcess(s1.port);
    fx.track(s2.proc);
    for (const a of three) await a.proc.waitFor(/signaling {2}restored the lobby on ws:\/\/127\.0\.0\.1:\d+\/ \(same peer id\)/, 20_000);
    await fourthJoinsAndAllExchange(s2.port, lobby, three);
  });

  it(`kill -9 of the service and no service for ${OUTAGE_S} s: the links stay; then a restarted service gets the lobby back`, async () => {
    const lobby = `outlive-kill-${lobbySeq++}`;
    const s1 = await startSignalProcess();
    fx.track(s1.proc);
    const three = await meshOfThree(s1.port, lobby, OUTAGE_S + 90);
    s1.proc.kill('SIGKILL');
    await s1.proc.exited;
    for (const a of three) await a.proc.waitFor(/signaling {2}lost: .*the mesh stays, reconnecting/, 10_000);
    // ENet drops a silent peer within ~5 s (peerTimeoutMs 4000): a whole outage without a single
    // "removed" line means every link stayed alive on its own socket.
    await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
    for (const a of three) {
      expect(a.proc.exitCode, a.proc.tail()).to.equal(null);
      expect(a.proc.stdout.filter((l) => / removed | FAILED/.test(l)), a.proc.tail()).to.deep.equal([]);
    }
    const s2 = await startSignalProcess(s1.port);
    fx.track(s2.proc);
    for (const a of three) await a.proc.waitFor(/signaling {2}restored the lobby/, 20_000);
    await fourthJoinsAndAllExchange(s2.port, lobby, three);
  });
});
