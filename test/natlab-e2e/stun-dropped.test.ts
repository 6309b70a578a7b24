// NAT lab, issue 11 (every pair links): one agent's router drops every STUN Binding request to a
// STUN port (nft: UDP dport 3478/3479, message type 0x0001 at UDP payload offset 0), so that agent
// gathers no server-reflexive candidate and its NAT discovery learns nothing, while its TURN
// relay (Allocate, 0x0003) still answers. The pair still links: the agent takes its srflx from
// the Allocate's XOR-MAPPED-ADDRESS (RFC 8656 §7.3) — directly when the NATs allow (port-restricted
// both), else through the relay (a symmetric NAT). Before, such a pair ended `relay-failed`: the
// listen side's allocation could permit none of the joiner's (private) addresses.
import { expect } from 'chai';
import { LAB_INTERNET, Lab } from '../natlab/lab/lab.js';
import { requireLab } from '../natlab/lab/prereq.js';
import { jsonReport, LAB_STUN, MESHPUNCH, START_TIMEOUT_MS, type JoinReport } from './lab-agents.js';

const SIGNAL = Object.freeze({ host: LAB_INTERNET.third, port: 8787 });
/** The table this test adds to a router (and deletes by this name). */
const TABLE = 'stundrop';

type Report = JoinReport & { exchange?: { received: Record<string, number> } };

/** Drops STUN Binding requests (type 0x0001, the first two bytes of the UDP payload) forwarded from the router's LAN to a STUN port. */
function dropStunRuleset(): string {
  return `table ip ${TABLE} {\n  chain forward {\n    type filter hook forward priority -10; policy accept;\n`
    + '    iifname != "wan0" udp dport { 3478, 3479 } @th,64,16 0x0001 counter drop\n  }\n}\n';
}

describe('STUN Binding requests dropped, the relay answering (NAT lab, issue 11)', function () {
  this.timeout(180_000);
  let lab: Lab | undefined;

  before(async function () {
    requireLab(this);
    lab = await Lab.create({
      routers: [
        { name: 'Q', nat: 'port-restricted' },
        { name: 'W', nat: 'port-restricted' },
        { name: 'S', nat: 'symmetric' },
      ],
    });
    const signal = lab.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', SIGNAL.host, '--port', String(SIGNAL.port)], 'srv:signal');
    await signal.waitForLine(/listening/, START_TIMEOUT_MS);
    for (const r of ['W', 'S']) await lab.exec(r, ['nft', '-f', '-'], { input: dropStunRuleset() });
  });

  after(async () => {
    for (const r of ['W', 'S']) await lab?.exec(r, ['nft', 'delete', 'table', 'ip', TABLE], { allowFail: true });
    await lab?.destroy();
  });

  /** Binding requests the router dropped so far (its rule's counter). */
  async function dropped(router: string): Promise<number> {
    const r = await lab!.exec(router, ['nft', 'list', 'table', 'ip', TABLE]);
    return Number(/counter packets (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  }

  /** `first` creates the lobby (peer 1, the listen side), `second` joins (its STUN dropped); both exchange 10 reliable messages. */
  async function pair(first: string, second: string, lobby: string): Promise<{ a: Report; b: Report; lines: string[] }> {
    const l = lab!;
    const args = ['--signal', `ws://${SIGNAL.host}:${SIGNAL.port}`, '--lobby', lobby, '--stun', LAB_STUN, '--json', '--wait-peers', '2', '--exchange', '10', '--timeout', '40'];
    const a = l.spawn(first, ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, MESHPUNCH, 'join', ...args, '--create'], `${first}:join`);
    await a.waitForLine(/join: lobby joined/, START_TIMEOUT_MS);
    const b = l.spawn(second, ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, MESHPUNCH, 'join', ...args], `${second}:join`);
    const codes = await Promise.all([a.exited, b.exited]);
    expect(codes, `${a.label}: ${a.tail(20)}\n${b.label}: ${b.tail(30)}`).to.deep.equal([0, 0]);
    return { a: jsonReport(a) as Report, b: jsonReport(b) as Report, lines: [...a.lines, ...b.lines] };
  }

  for (const [first, second, router, path] of [['q1', 'w1', 'W', 'direct'], ['q1', 's1', 'S', 'relay']] as const) {
    it(`${first} ↔ ${second} (${router} drops STUN Binding requests): linked ${path} on both sides, all 10 reliable messages each way`, async () => {
      const before = await dropped(router);
      const { a, b, lines } = await pair(first, second, `stundrop-${second}`);
      expect(await dropped(router) - before, `${router} dropped ${second}'s Binding requests`).to.be.above(0);
      for (const r of [a, b]) {
        expect(r.failures, JSON.stringify(r)).to.deep.equal([]);
        expect(r.peers.map((p) => p.path), JSON.stringify(r)).to.deep.equal([path]);
        expect(Object.values(r.exchange!.received)).to.deep.equal([10]);
      }
      // The joiner's srflx came from its relay's answer (trace line of the link).
      expect(lines.some((x) => /relay mapping (?!10\.)\d+\.\d+\.\d+\.\d+:\d+/.test(x)), lines.filter((x) => /relay|srflx/.test(x)).join('\n')).to.equal(true);
      console.log(`      [natlab] ${first}(${a.peers[0]!.path}) ↔ ${second}(${b.peers[0]!.path}), ${second}'s STUN dropped`);
    });
  }

  it('w1 ↔ q1 (the listen side\'s STUN dropped: its srflx comes with its own allocation): linked on both sides (direct or relay), all 10 reliable messages each way', async () => {
    const before = await dropped('W');
    const { a, b } = await pair('w1', 'q1', 'stundrop-listen');
    expect(await dropped('W') - before).to.be.above(0);
    for (const r of [a, b]) {
      expect(r.failures, JSON.stringify(r)).to.deep.equal([]);
      expect(Object.values(r.exchange!.received)).to.deep.equal([10]);
    }
    // Relayed (the joiner knew only a private address of w1), or direct once w1's srflx from its
    // allocation proved: which one a report catches depends on timing, so only that it is one.
    for (const r of [a, b]) expect(r.peers.map((p) => p.path), JSON.stringify(r)).to.satisfy((ps: string[]) => ps.length === 1 && ['direct', 'relay'].includes(ps[0]!));
    console.log(`      [natlab] w1(${a.peers[0]!.path}) ↔ q1(${b.peers[0]!.path}), w1's STUN dropped`);
  });
});
