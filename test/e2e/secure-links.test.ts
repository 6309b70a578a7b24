// End-to-end (issue 18): `meshpunch join` agents as separate processes on loopback link with DTLS
// by default (fingerprints through the in-process service, messages exchanged over the secured
// links), `--insecure` on both sides still links (plain ENet), and a secure agent refuses an
// `--insecure` one with the typed reason `auth-failed`.
import { expect } from 'chai';
import type { AgentProcess } from './agent-process.js';
import { useService } from './fixture.js';

interface Report {
  secure: boolean;
  peers: Array<{ id: number }>;
  failures: Array<{ id: number; reason: string; detail?: string }>;
  exchange?: { sent: number; received: Record<string, number> };
}

describe('secured mesh links (end to end)', function () {
  this.timeout(60_000);
  const fx = useService();
  let seq = 0;

  async function mesh(extraA: string[], extraB: string[], exchange: number, timeoutS = 25, timeoutSB = timeoutS): Promise<[AgentProcess, AgentProcess]> {
    const lobby = `e2e-dtls-${seq++}`;
    const args = (extra: string[], t: number): string[] => ['--json', '--wait-peers', '2', ...(exchange > 0 ? ['--exchange', String(exchange)] : []), '--timeout', String(t), ...extra];
    const a = await fx.create(lobby, args(extraA, timeoutS));
    return [a, fx.join(lobby, args(extraB, timeoutSB))];
  }

  it('links two agents with DTLS by default and carries their messages', async () => {
    const [a, b] = await mesh([], [], 20);
    const codes = await Promise.all([a.exited, b.exited]);
    expect(codes, [a, b].map((p) => p.tail()).join('\n---\n')).to.deep.equal([0, 0]);
    for (const p of [a, b]) {
      const r = JSON.parse(p.stdout.join('\n')) as Report;
      expect(r.secure).to.equal(true);
      expect(r.peers).to.have.length(1);
      expect(r.failures).to.deep.equal([]);
      expect(Object.values(r.exchange!.received)).to.deep.equal([20]);
    }
  });

  it('links two --insecure agents with plain ENet', async () => {
    const [a, b] = await mesh(['--insecure'], ['--insecure'], 5);
    const codes = await Promise.all([a.exited, b.exited]);
    expect(codes, [a, b].map((p) => p.tail()).join('\n---\n')).to.deep.equal([0, 0]);
    for (const p of [a, b]) {
      const r = JSON.parse(p.stdout.join('\n')) as Report;
      expect(r.secure).to.equal(false);
      expect(r.peers).to.have.length(1);
    }
  });

  it('a secure agent refuses an --insecure one: auth-failed, exit 1, no peer', async () => {
    // The insecure side keeps trying its ENet handshake until its --timeout; 8 s bounds it. The
    // secure side's --timeout runs from its own start, before the other process is even spawned:
    // it must outlast the insecure agent's start (seconds on a loaded machine) and the refusal.
    const [a, b] = await mesh([], ['--insecure'], 0, 25, 8);
    const codes = await Promise.all([a.exited, b.exited]);
    expect(codes, [a, b].map((p) => p.tail()).join('\n---\n')).to.deep.equal([1, 1]);
    const ra = JSON.parse(a.stdout.join('\n')) as Report;
    expect(ra.peers).to.deep.equal([]);
    expect(ra.failures).to.have.length(1);
    expect(ra.failures[0]).to.include({ reason: 'auth-failed' });
    expect(ra.failures[0]!.detail).to.match(/no DTLS fingerprint/);
    const rb = JSON.parse(b.stdout.join('\n')) as Report;
    expect(rb.peers).to.deep.equal([]);
  });
});
