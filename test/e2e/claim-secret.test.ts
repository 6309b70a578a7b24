// End-to-end: name squatting (issue #13 item 8) against the real CLI. A stranger creates the
// group's lobby name first; the group's `join --create-if-missing --claim-secret S` agents still
// form their own mesh (one of them peer 1) and the stranger's lobby gets nobody.
import { expect } from 'chai';
import { START_TIMEOUT_MS, until, type AgentProcess } from './agent-process.js';
import { useService } from './fixture.js';

describe('meshpunch join --claim-secret (end to end)', function () {
  this.timeout(60_000);
  const fx = useService();
  const join = (extra: readonly string[]): AgentProcess => fx.join('party', extra);

  it('a lobby of the same name created first by a stranger does not take the group in', async () => {
    const squatter = join(['--create', '--json']);
    await until(() => fx.signaling.lobbyCount() > 0 || squatter.exitCode !== null, START_TIMEOUT_MS, 'the squatter\'s lobby');
    expect(fx.signaling.lobbyCount(), squatter.tail()).to.equal(1);
    const group = [0, 1].map(() => join(['--create-if-missing', '--claim-secret', 'our table by the window', '--wait-peers', '2', '--json', '--timeout', '30']));
    const codes = await Promise.all(group.map((p) => p.exited));
    expect(codes, group.map((p) => p.tail()).join('\n')).to.deep.equal([0, 0]);
    const reports = group.map((p) => JSON.parse(p.stdout.filter((l) => l !== '')[0]!) as { id: number; peers: Array<{ id: number }> });
    // Peer 1 is one of the group, and each is linked to the other only.
    expect(reports.map((r) => r.id)).to.include(1);
    expect(reports[0]!.peers.map((p) => p.id)).to.deep.equal([reports[1]!.id]);
    expect(reports[1]!.peers.map((p) => p.id)).to.deep.equal([reports[0]!.id]);
    // Without the claim both would have joined the stranger's lobby: its peer 1 among their peers.
  });
});
