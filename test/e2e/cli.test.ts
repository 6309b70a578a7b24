// End-to-end: the `meshpunch` binary as users run it, agents as separate processes on loopback
// with an in-process signaling service (issue #7 "Tests").
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { AgentProcess, MESHPUNCH, ROOT, START_TIMEOUT_MS, stopAll } from './agent-process.js';
import { useService } from './fixture.js';

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MESHPUNCH, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('meshpunch CLI (end to end)', function () {
  this.timeout(60_000);

  describe('usage', () => {
    it('prints help and exits 0', () => {
      const r = cli(['--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include('meshpunch join --signal ws://HOST:PORT --lobby NAME');
      expect(r.stderr).to.equal('');
    });

    const bad: Array<[string[], RegExp]> = [
      [['join', '--lobby', 'x'], /^meshpunch join: --signal ws:\/\/HOST:PORT \(or --lan\) is required/],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'x', '--wait-peers', '99'], /^meshpunch join: --wait-peers must be an integer 1\.\.32/],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'x', '--stun', 'nope'], /^meshpunch join: --stun: expected HOST:PORT/],
      [['netcheck', '--frob'], /^meshpunch netcheck: unknown option '--frob'/],
      [['dance'], /^meshpunch: unknown command 'dance'/],
    ];
    for (const [args, re] of bad) {
      it(`rejects \`${args.join(' ')}\` with one line and exit code 2`, () => {
        const r = cli(args);
        expect(r.code).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
        expect(r.stderr).to.match(re);
      });
    }

    it('rejects a repeated flag and a --bind address of no interface here before joining: one line, exit 2 (issue 12 item 9)', () => {
      for (const [args, re] of [
        [['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--lobby', 'y'], /^meshpunch join: --lobby may be given once/],
        [['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--bind', '203.0.113.254'], /^meshpunch join: --bind 203\.0\.113\.254 is not an address of this machine/],
      ] as const) {
        const r = cli([...args]);
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
        expect(r.stderr).to.match(re);
      }
    });

    it('exits 1 with one line when the signaling service is unreachable', () => {
      const r = cli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--bind', '127.0.0.1', '--json', '--wait-peers', '2', '--timeout', '5']);
      expect(r.code).to.equal(1);
      expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
      // The service is retried until --timeout: whichever ends first (the retry window or the
      // overall limit) names the failure; both are one line.
      expect(r.stderr).to.match(/^meshpunch join: (signaling service ws:\/\/127\.0\.0\.1:9\/: |could not reach the signaling service and join within 5 s)/);
    });
  });

  describe('meshpunch signal', () => {
    it('runs the signaling service that join uses, and stops with exit 0 on SIGTERM', async () => {
      const sig = new AgentProcess(['signal', '--host', '127.0.0.1', '--port', '0']);
      try {
        const deadline = performance.now() + START_TIMEOUT_MS;
        let port: number | undefined;
        while (port === undefined && performance.now() < deadline && sig.exitCode === null) {
          const line = sig.stderr.concat(sig.stdout).find((l) => /"event":"listening"/.test(l));
          if (line !== undefined) port = (JSON.parse(line) as { port: number }).port;
          else await new Promise((r) => setTimeout(r, 20));
        }
        expect(port, sig.tail()).to.be.a('number');
        const solo = new AgentProcess(['join', '--signal', `ws://127.0.0.1:${port}`, '--lobby', 'solo', '--create', '--bind', '127.0.0.1', '--wait-peers', '1', '--json']);
        expect(await solo.exited, solo.tail()).to.equal(0);
        expect(JSON.parse(solo.stdout.join('\n'))).to.deep.equal({ id: 1, lobby: 'solo', secure: true, peers: [], failures: [], signaling: { state: 'connected', outages: 0 } });
        sig.kill('SIGTERM');
        expect(await sig.exited).to.equal(0);
      } finally {
        await stopAll([sig]);
      }
    });
  });

  describe('meshes on loopback', () => {
    const fx = useService();
    let lobbySeq = 0;

    it('netcheck --json against the service\'s STUN responder on loopback reports no NAT', async () => {
      // Not spawnSync: the service runs in this process and must keep answering.
      const p = fx.spawn(['netcheck', '--stun', fx.signaling.stunAddress!, '--json']);
      expect(await p.exited, p.tail()).to.equal(0);
      const report = JSON.parse(p.stdout.join('\n')) as Record<string, unknown>;
      expect(report.udp).to.equal(true);
      expect(report.publicAddress).to.match(/^127\.0\.0\.1:\d+$/);
      expect(report.mappingBehavior).to.equal('none');
      expect(report.portAllocation).to.equal('none');
      expect(report.upnp).to.equal(null);
      expect(Object.keys(report.stunRttMs as object)).to.deep.equal([fx.signaling.stunAddress]);
      expect(report.verdict).to.match(/^No NAT/);
    });

    const agent = (lobby: string, extra: string[]): AgentProcess => fx.join(lobby, extra);
    const creator = (lobby: string, extra: string[]): Promise<AgentProcess> => fx.create(lobby, extra);

    it('links two agents over IPv6 loopback with --bind ::1 (issue 12 item 9: it ended in gather-failed)', async () => {
      const lobby = `e2e-v6-${lobbySeq++}`;
      // --timeout counts from a's start, so it covers b's start too (seconds at load ~20).
      const args = ['--json', '--wait-peers', '2', '--exchange', '5', '--timeout', '40'];
      const a = await fx.create(lobby, args, { bind: '::1' });
      const b = fx.join(lobby, args, { bind: '::1' });
      const codes = await Promise.all([a.exited, b.exited]);
      expect(codes, [a, b].map((p) => p.tail()).join('\n---\n')).to.deep.equal([0, 0]);
      for (const p of [a, b]) {
        const r = JSON.parse(p.stdout.join('\n')) as { peers: Array<{ path: string; local: string; remote: string }>; exchange: { sent: number } };
        expect(r.peers).to.have.length(1);
        expect(r.peers[0]!.local).to.match(/^\[::1\]:\d+$/);
        expect(r.peers[0]!.remote).to.match(/^\[::1\]:\d+$/);
        expect(r.exchange.sent).to.equal(5);
      }
    });

    it('forms a full mesh of 3 processes: each `join --json --wait-peers 3 --exchange 20` exits 0 with 2 peers and every message', async () => {
      const lobby = `e2e-json-${lobbySeq++}`;
      const args = ['--json', '--wait-peers', '3', '--exchange', '20', '--timeout', '30'];
      const a = await creator(lobby, args);
      const b = agent(lobby, args);
      const c = agent(lobby, args);
      const codes = await Promise.all([a.exited, b.exited, c.exited]);
      const reports = [a, b, c].map((p) => JSON.parse(p.stdout.join('\n')) as { id: number; lobby: string; peers: Array<{ id: number; path: string; rttMs: number; local: string; remote: string }>; failures: unknown[]; exchange: { sent: number; received: Record<string, number> } });
      expect(codes, [a, b, c].map((p) => p.tail()).join('\n---\n')).to.deep.equal([0, 0, 0]);
      expect(reports[0]!.id).to.equal(1);
      const ids = reports.map((r) => r.id);
      expect(new Set(ids).size).to.equal(3);
      for (const r of reports) {
        expect(r.lobby).to.equal(lobby);
        expect(r.exchange).to.deep.equal({ sent: 20, received: Object.fromEntries(ids.filter((i) => i !== r.id).map((i) => [String(i), 20])) });
        expect(r.failures).to.deep.equal([]);
        expect(r.peers.map((p) => p.id).sort((x, y) => x - y)).to.deep.equal(ids.filter((i) => i !== r.id).sort((x, y) => x - y));
        for (const p of r.peers) {
          expect(p.path).to.equal('lan');
          // Measured (the proving check, 0.1 ms resolution): a round trip between two processes
          // takes time, so 0 would mean no measurement was reported (≥ 0 held for any number).
          expect(p.rttMs).to.be.a('number').and.above(0);
          expect(p.local).to.match(/^127\.0\.0\.1:\d+$/);
          expect(p.remote).to.match(/^127\.0\.0\.1:\d+$/);
        }
      }
    });

    it('forms one full mesh of 4 processes started at once with the same `join --create-if-missing` command: exactly one becomes peer 1', async () => {
      const lobby = `e2e-same-${lobbySeq++}`;
      const args = ['--create-if-missing', '--json', '--wait-peers', '4', '--timeout', '30'];
      const ps = [0, 1, 2, 3].map(() => agent(lobby, args));
      const codes = await Promise.all(ps.map((p) => p.exited));
      expect(codes, ps.map((p) => p.tail()).join('\n---\n')).to.deep.equal([0, 0, 0, 0]);
      const reports = ps.map((p) => JSON.parse(p.stdout.join('\n')) as { id: number; peers: Array<{ id: number; path: string }>; failures: unknown[] });
      const ids = reports.map((r) => r.id);
      expect(ids.filter((id) => id === 1)).to.have.length(1);
      expect(new Set(ids).size).to.equal(4);
      for (const r of reports) {
        expect(r.failures).to.deep.equal([]);
        expect(r.peers.map((p) => p.id).sort((x, y) => x - y)).to.deep.equal(ids.filter((i) => i !== r.id).sort((x, y) => x - y));
      }
    });

    it('drops a SIGKILLed agent, removes a leaver at once, links a late joiner to everyone', async function () {
      // Three starts, then bounded waits for events (each generous for a loaded machine).
      this.timeout(4 * START_TIMEOUT_MS);
      const lobby = `e2e-life-${lobbySeq++}`;
      const a = await creator(lobby, []);
      const b = agent(lobby, []);
      const c = agent(lobby, []);
      for (const p of [a, b, c]) await p.waitFor(/ up: lan/, START_TIMEOUT_MS, 2);
      const idOf = (p: AgentProcess): number => Number(/as peer (\d+)/.exec(p.stdout.find((l) => / as peer \d+/.test(l)) ?? '')?.[1]);
      const [idA, idB, idC] = [idOf(a), idOf(b), idOf(c)];

      // SIGKILL: no goodbye; ENet's peer timeout (peerTimeoutMs 4 s) or the service's word that
      // its connection closed must remove it. How long it took is logged, not asserted (these
      // processes' timers, and this process reading their lines, run late on a loaded machine):
      // the wait bounds it far below the never of a peer that is not dropped.
      const killedAt = performance.now();
      c.kill('SIGKILL');
      await Promise.all([a, b].map((p) => p.waitFor(new RegExp(`peer ${idC} removed`), 30_000)));
      console.log(`      [e2e] SIGKILLed agent dropped by both others after ${((performance.now() - killedAt) / 1000).toFixed(2)} s`);

      // Leave (Ctrl-C): its goodbye removes it at once; the time is logged, as above.
      const leftAt = performance.now();
      b.kill('SIGINT');
      const [gone] = await a.waitFor(new RegExp(`peer ${idB} (removed|left)`), 30_000);
      console.log(`      [e2e] leaving agent removed after ${(performance.now() - leftAt).toFixed(0)} ms: ${gone}`);
      expect(await b.exited).to.equal(0);

      // Late joiner: linked to everyone still there (a).
      const d = agent(lobby, ['--json', '--wait-peers', '2', '--timeout', '40']);
      expect(await d.exited, d.tail()).to.equal(0);
      const report = JSON.parse(d.stdout.join('\n')) as { peers: Array<{ id: number }> };
      expect(report.peers.map((p) => p.id)).to.deep.equal([idA]);
      await a.waitFor(/ up: lan/, 15_000, 3);
    });
  });
});
