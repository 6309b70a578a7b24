// End-to-end: what scripts may rely on from `meshpunch join` (issue #12 items 5 and 6): exactly
// one JSON object with --json, also on failure; exit 130 when interrupted before completion;
// --timeout bounds reaching the service; an agent started before its service gets in.
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { START_TIMEOUT_MS, startSignalProcess, type AgentProcess } from './agent-process.js';
import { useService } from './fixture.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** The one JSON object a --json run printed (fails unless stdout is exactly one JSON line). */
function oneObject(p: AgentProcess): Record<string, unknown> {
  const lines = p.stdout.filter((l) => l !== '');
  expect(lines, p.tail()).to.have.length(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('meshpunch join promises (end to end)', function () {
  this.timeout(60_000);
  const fx = useService();
  const join = (url: string, lobby: string, extra: readonly string[]): AgentProcess => fx.join(lobby, ['--json', ...extra], { signal: url });

  describe('--json (item 5)', () => {
    it('prints exactly one object { error: { code, message } } when the lobby is refused, and exits 1', async () => {
      const p = join(fx.signaling.url, 'no-such-lobby', ['--timeout', '10']);
      expect(await p.exited).to.equal(1);
      const o = oneObject(p);
      expect(Object.keys(o)).to.deep.equal(['error']);
      expect(o.error).to.deep.include({ code: 'AGENT_LOBBY_FAILED' });
      expect((o.error as { message: string }).message).to.match(/no lobby has that code or name/);
      expect(p.stderr.filter((l) => l.startsWith('meshpunch join: '))).to.have.length(1);
    });

    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      it(`exits 130 with one report (error AGENT_INTERRUPTED) on ${sig} before the --wait-peers mesh is complete`, async () => {
        // The timeline (stderr) says when the agent has joined: its `joined` event comes in the
        // same turn as the session it reports on (before: a fixed 1 s after the lobby existed,
        // which a loaded machine may not give the agent to load its session modules).
        const p = fx.join(`interrupted-${sig.toLowerCase()}`, ['--json', '--create', '--wait-peers', '3', '--timeout', '30'], { env: { MESHPUNCH_TIMELINE: '1' } });
        await p.waitFor(/ event joined$/, START_TIMEOUT_MS, 1, 'stderr');
        p.kill(sig);
        expect(await p.exited, p.tail()).to.equal(130);
        const o = oneObject(p);
        expect(o).to.deep.include({ id: 1 });
        expect(o.error).to.deep.equal({ code: 'AGENT_INTERRUPTED', message: 'interrupted before the mesh was complete' });
      });
    }
  });

  describe('--timeout and a service that is not there yet (item 6)', () => {
    let sockets: Socket[] = [];
    let silent: Server | undefined;
    afterEach(async () => {
      for (const s of sockets) s.destroy();
      sockets = [];
      await new Promise((r) => (silent === undefined ? r(undefined) : silent.close(r)));
      silent = undefined;
    });

    it('bounds the signaling handshake: --timeout 3 against a service that accepts and never answers ends in time with AGENT_SIGNAL_FAILED or AGENT_TIMEOUT', async () => {
      // Timed from the agent's first connection, not from the spawn: --timeout counts from the
      // command's start, which comes before that connection, while how long Node takes to load
      // the CLI is the machine's load, not the agent (5.6 s from the spawn was seen at load 20).
      let connectedAt: number | undefined;
      silent = createServer((s) => {
        connectedAt ??= performance.now();
        sockets.push(s);
      });
      const port = await listen(silent);
      const t0 = performance.now();
      const p = join(`ws://127.0.0.1:${port}`, 'silent', ['--wait-peers', '2', '--timeout', '3']);
      expect(await p.exited).to.equal(1);
      const exitedAt = performance.now();
      expect(connectedAt, p.tail()).to.be.a('number');
      const s = (exitedAt - connectedAt!) / 1000;
      console.log(`      [e2e] --timeout 3 against a silent service: exited ${s.toFixed(2)} s after its first connection (${((exitedAt - t0) / 1000).toFixed(2)} s after the spawn)`);
      // What ended it is the 3 s bound, in the agent's own clock: AGENT_TIMEOUT says so, and a
      // signaling failure comes from the one attempt --timeout allows (3 s, not the 10 s default).
      const error = oneObject(p).error as { code: string; message: string };
      expect(['AGENT_TIMEOUT', 'AGENT_SIGNAL_FAILED'], error.message).to.include(error.code);
      if (error.code === 'AGENT_TIMEOUT') expect(error.message).to.equal('could not reach the signaling service and join within 3 s');
      // Issue #12 measured 10.2 s before, and an unbounded agent retries for 10 minutes. Healthy
      // is ~3 s; the rest of the bound is for a loaded machine (this process reads the exit late).
      expect(s).to.be.below(9);
    });

    it('retries instead of failing at once: an agent started before its service joins once the service is up', async () => {
      // A free port: bind one, release it, start the service there later.
      const probe = createServer();
      const port = await listen(probe);
      await new Promise((r) => probe.close(r));
      const p = join(`ws://127.0.0.1:${port}`, 'early-bird', ['--create-if-missing', '--wait-peers', '1', '--timeout', '30']);
      await new Promise((r) => setTimeout(r, 1500));
      expect(p.exitCode, p.tail()).to.equal(null);
      const svc = await startSignalProcess(port);
      fx.track(svc.proc);
      expect(await p.exited, p.tail()).to.equal(0);
      expect(oneObject(p)).to.deep.include({ id: 1, lobby: 'early-bird' });
    });
  });
});
