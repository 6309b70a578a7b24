// End-to-end: what `join --json` says about each link agrees with docs/cli.md (issue #12 item 10):
// peers on one machine are always `lan`, `local` is the address the link's socket really uses
// toward the remote, and rttMs has the documented 0.1 ms resolution.
import { expect } from 'chai';
import { useService } from './fixture.js';

interface Peer { id: number; path: string; rttMs: number; local: string; remote: string }

function host(endpoint: string): string {
  return endpoint.startsWith('[') ? endpoint.slice(1, endpoint.indexOf(']')) : endpoint.slice(0, endpoint.lastIndexOf(':'));
}

describe('join --json link report (end to end)', function () {
  this.timeout(90_000);
  const fx = useService();

  /** Three agents on this machine, wildcard bind (no --bind), twice: every report's peers. */
  async function meshOnce(lobby: string): Promise<Peer[]> {
    const args = ['--json', '--wait-peers', '3', '--timeout', '40'];
    const wildcard = { bind: null };
    const a = await fx.create(lobby, args, wildcard);
    const all = [a, fx.join(lobby, args, wildcard), fx.join(lobby, args, wildcard)];
    const codes = await Promise.all(all.map((p) => p.exited));
    expect(codes, all.map((p) => p.tail(5)).join('\n')).to.deep.equal([0, 0, 0]);
    return all.flatMap((p) => (JSON.parse(p.stdout.join('\n')) as { peers: Peer[] }).peers);
  }

  it('labels every link between peers on one machine lan, run after run, with local the address used toward remote', async () => {
    const peers = [...(await meshOnce('report-a')), ...(await meshOnce('report-b'))];
    expect(peers).to.have.length(12);
    for (const p of peers) {
      expect(p.path, JSON.stringify(p)).to.equal('lan');
      // On one machine the kernel sends to one of its own addresses from that same address.
      expect(host(p.local), JSON.stringify(p)).to.equal(host(p.remote));
      expect(Math.round(p.rttMs * 10) / 10, JSON.stringify(p)).to.equal(p.rttMs);
    }
    // 0.1 ms resolution: on loopback not every one of 12 RTTs is a whole number of ms.
    expect(peers.some((p) => !Number.isInteger(p.rttMs)), JSON.stringify(peers.map((p) => p.rttMs))).to.equal(true);
  });
});
