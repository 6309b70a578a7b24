// @meshpunch/nat's discovery and punch state machine over real sockets behind real kernel NAT:
// discovery names every lab NAT type in RFC 4787 terms, and the punch matrix between every
// pair of lab NAT types (plus two hosts behind one NAT and a UPnP-mapped host) ends in a proven
// path or a typed failure, never a hang (issue 6). Prints the matrix.
import { expect } from 'chai';
import { Lab } from './lab/lab.js';
import { LabPeer } from './lab/peer.js';
import { requireLab } from './lab/prereq.js';
import type { LabNatType } from './lab/rules.js';

interface DiscoverAnswer {
  report: { udp: boolean; mapping: string; filtering: string; portAllocation: string; rfc5780: boolean; durationMs: number;
    mappedAddress?: { address: string; port: number } };
}
interface GatherAnswer {
  candidates: Array<{ type: string; address: string; port: number; priority: number }>;
  nat: { mapping?: string; filtering?: string };
}
interface PunchAnswer {
  state: string;
  counters: { badIntegrity: number; unknownUsername: number; validRequests: number; responsesSent: number };
  endState?: string;
  responsesDuringHold?: number;
  failure?: string;
  selected?: { address: string; port: number; path: string; candidateKind: string; rttMs: number; msFromStart: number };
  timeline: unknown[];
}

/** 'none' = a host straight on the lab internet (no NAT). */
type Kind = 'none' | LabNatType;
const NAT_TYPES: LabNatType[] = ['full-cone', 'address-restricted', 'port-restricted', 'symmetric'];
const TYPES: Kind[] = ['none', ...NAT_TYPES];
const SHORT: Record<LabNatType, string> = { 'full-cone': 'F', 'address-restricted': 'A', 'port-restricted': 'P', symmetric: 'S' };

/** RFC 4787 classes discovery must report per lab type. */
const DISCOVERY: Record<Kind, { mapping: string; filtering: string; portAllocation: string }> = {
  none: { mapping: 'none', filtering: 'endpoint-independent', portAllocation: 'preserving' },
  'full-cone': { mapping: 'endpoint-independent', filtering: 'endpoint-independent', portAllocation: 'preserving' },
  'address-restricted': { mapping: 'endpoint-independent', filtering: 'address-dependent', portAllocation: 'preserving' },
  'port-restricted': { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'preserving' },
  symmetric: { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' },
};

/** Issue 6: simple punching fails only for symmetric ↔ symmetric and symmetric ↔ port-restricted. */
function expected(a: Kind, b: Kind): 'direct' | 'fail' {
  const pair = [a, b].sort().join('|');
  return pair === 'symmetric|symmetric' || pair === 'port-restricted|symmetric' ? 'fail' : 'direct';
}

/** Punch give-up time in the lab, ms: long enough for 0.1 ms paths, short enough for CI. */
const PUNCH_TIMEOUT_MS = 5000;
/** Cells run at once: 2 cores are shared; each cell is two processes mostly waiting. */
const PARALLEL = 4;

describe('NAT discovery and punching over real sockets behind lab NATs', function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  const peers = new Map<string, LabPeer>();
  let nextPort = 31000;

  /** Connect side behind the first router of each type, listen side behind the second. */
  const hostOf = (t: Kind, side: 0 | 1): string => (t === 'none' ? `p${side + 1}` : `${SHORT[t].toLowerCase()}${side === 0 ? 'x' : 'y'}1`);

  before(async function () {
    requireLab(this);
    const t0 = performance.now();
    lab = await Lab.create({
      routers: [
        ...NAT_TYPES.flatMap((t) => [{ name: `${SHORT[t]}X`, nat: t }, { name: `${SHORT[t]}Y`, nat: t }]),
        { name: 'L', nat: 'port-restricted', hosts: 2 },
        { name: 'U', nat: 'symmetric', upnp: 'v2' },
      ],
      publicHosts: 2,
    });
    const hosts = [...TYPES.flatMap((t) => [hostOf(t, 0), hostOf(t, 1)]), 'l1', 'l2', 'u1'];
    await Promise.all(hosts.map(async (h) => peers.set(h, await LabPeer.start(lab!, h))));
    console.log(`      [natlab] matrix lab (${lab.namespaceNames.length} namespaces, ${hosts.length} peers) up in ${Math.round(performance.now() - t0)} ms`);
  });

  after(async function () {
    await Promise.all([...peers.values()].map((p) => p.quit()));
    await lab?.destroy();
  });

  describe('discovery (RFC 5780 against coturn, from the peer\'s own socket)', function () {
    for (const t of TYPES) {
      it(`names ${t} as mapping ${DISCOVERY[t].mapping}, filtering ${DISCOVERY[t].filtering}, ports ${DISCOVERY[t].portAllocation}`, async function () {
        const host = hostOf(t, 0);
        const r = await peers.get(host)!.request<DiscoverAnswer>({ cmd: 'discover', port: nextPort++ });
        expect(r.report.udp).to.equal(true);
        expect(r.report.rfc5780).to.equal(true);
        expect(r.report.mappedAddress?.address).to.equal(t === 'none' ? lab!.hostIp(host) : lab!.wanIp(lab!.routerOf(host)));
        expect({ mapping: r.report.mapping, filtering: r.report.filtering, portAllocation: r.report.portAllocation }).to.deep.equal(DISCOVERY[t]);
      });
    }
  });

  /** Gathers on both sides, then both punch at one scheduled time; returns both results. */
  async function punch(connectHost: string, listenHost: string,
    opts: { upnpListen?: boolean; holdMs?: number; listenSecret?: string } = {}): Promise<[PunchAnswer, PunchAnswer]> {
    const pc = nextPort++;
    const pl = nextPort++;
    const c = peers.get(connectHost)!;
    const l = peers.get(listenHost)!;
    const [gc, gl] = await Promise.all([
      c.request<GatherAnswer>({ cmd: 'gather', port: pc }),
      l.request<GatherAnswer>({ cmd: 'gather', port: pl, upnp: opts.upnpListen === true }),
    ]);
    const startAtEpochMs = Date.now() + 200;
    const common = { pairId: `${connectHost}-${listenHost}-${pc}`, secret: 'natlab-pair-secret-0123456789', startAtEpochMs, timeoutMs: PUNCH_TIMEOUT_MS,
      holdMs: opts.holdMs };
    return Promise.all([
      c.request<PunchAnswer>({ cmd: 'punch', port: pc, role: 'connect', remoteCandidates: gl.candidates, remoteNat: gl.nat, ...common },
        PUNCH_TIMEOUT_MS + 15_000 + (opts.holdMs ?? 0)),
      l.request<PunchAnswer>({ cmd: 'punch', port: pl, role: 'listen', remoteCandidates: gc.candidates, remoteNat: gc.nat, ...common,
        ...(opts.listenSecret ? { secret: opts.listenSecret } : {}) },
        PUNCH_TIMEOUT_MS + 15_000 + (opts.holdMs ?? 0)),
    ]);
  }

  describe("punch matrix (connect side's NAT × listen side's NAT)", function () {
    const grid = new Map<string, string>();

    it(`every ordered pair of the ${NAT_TYPES.length} lab NAT types and a public host: a proven direct path, or a typed failure where simple punching cannot open`, async function () {
      const cells = TYPES.flatMap((a) => TYPES.map((b) => [a, b] as const));
      const failures: string[] = [];
      const t0 = performance.now();
      for (let i = 0; i < cells.length; i += PARALLEL) {
        await Promise.all(cells.slice(i, i + PARALLEL).map(async ([a, b]) => {
          const [rc, rl] = await punch(hostOf(a, 0), hostOf(b, 1));
          const want = expected(a, b);
          if (want === 'direct') {
            grid.set(`${a}|${b}`, rc.state === 'selected' ? `${rc.selected!.path} ${rc.selected!.candidateKind} ${rc.selected!.msFromStart} ms` : `FAIL ${rc.failure ?? rc.state}`);
            if (rc.state !== 'selected' || rl.state !== 'selected' || rc.selected!.path !== 'direct') {
              failures.push(`${a}|${b}: connect ${rc.state}/${rc.failure ?? rc.selected?.path}, listen ${rl.state}/${rl.failure ?? rl.selected?.path}`);
            }
          } else {
            grid.set(`${a}|${b}`, rc.state === 'failed' ? `fail: ${rc.failure}` : `UNEXPECTED ${rc.state}`);
            // A typed reason, decided from both sides' discovered NAT profiles, within the time limit.
            if (rc.state !== 'failed' || rl.state !== 'failed' || !['symmetric-both-sides', 'incompatible-nat'].includes(rc.failure ?? '')) {
              failures.push(`${a}|${b}: expected typed failure, got connect ${rc.state}/${rc.failure}, listen ${rl.state}/${rl.failure}`);
            }
          }
        }));
      }
      console.log(`      [natlab] ${cells.length} cells in ${Math.round(performance.now() - t0)} ms`);
      expect(failures).to.deep.equal([]);
    });

    it('port-restricted ↔ port-restricted still punches with 10 % loss and 40 ± 10 ms delay on both uplinks', async function () {
      try {
        await lab!.impair('PX', { lossPct: 10, delayMs: 40, jitterMs: 10 });
        await lab!.impair('PY', { lossPct: 10, delayMs: 40, jitterMs: 10 });
        const [rc, rl] = await punch(hostOf('port-restricted', 0), hostOf('port-restricted', 1));
        grid.set('port-restricted ↔ port-restricted, 10 % loss + 40±10 ms each uplink',
          rc.state === 'selected' ? `${rc.selected!.path} ${rc.selected!.msFromStart} ms, RTT ${rc.selected!.rttMs} ms` : `FAIL ${rc.failure}`);
        expect(rc.state, JSON.stringify(rc)).to.equal('selected');
        expect(rl.state).to.equal('selected');
        expect(rc.selected!.path).to.equal('direct');
        // Both uplinks delay ≥ 30 ms each way: the proving round trip cannot be shorter.
        expect(rc.selected!.rttMs).to.be.at.least(55);
      } finally {
        await lab!.clearImpairment('PX');
        await lab!.clearImpairment('PY');
      }
    });

    it('a punched path stays selected and answered behind routers whose UDP bindings expire after 3 s', async function () {
      for (const r of ['PX', 'PY']) await lab!.setUdpTimeout(r, 3);
      try {
        const [rc, rl] = await punch(hostOf('port-restricted', 0), hostOf('port-restricted', 1), { holdMs: 9000 });
        grid.set('port-restricted ↔ port-restricted, 3 s UDP timeout, held 9 s',
          `${rc.endState}, ${rc.responsesDuringHold} keepalive answers during the hold`);
        expect(rc.state).to.equal('selected');
        expect(rc.endState).to.equal('selected');
        expect(rl.endState).to.equal('selected');
        // The PunchMachine's consent checks (every 2.5 s, under the 3 s binding lifetime) keep
        // being answered across three binding lifetimes; the path never drops.
        expect(rc.responsesDuringHold).to.be.at.least(3);
      } finally {
        for (const r of ['PX', 'PY']) await lab!.setUdpTimeout(r, undefined);
      }
    });

    it('probes made with another pair secret (another USERNAME) are counted and never answered: both sides time out', async function () {
      const [rc, rl] = await punch(hostOf('full-cone', 0), hostOf('full-cone', 1), { listenSecret: 'a-different-pair-secret-0123' });
      grid.set('full-cone ↔ full-cone, wrong pair secret', `${rc.state}: ${rc.failure}, ${rl.counters.unknownUsername} bad probes counted`);
      expect(rc.state).to.equal('failed');
      expect(rl.state).to.equal('failed');
      expect(rc.failure).to.equal('timeout');
      // USERNAMEs are derived from the pair secret (issue 13 item 6): another secret, another USERNAME.
      expect(rl.counters.unknownUsername).to.be.greaterThan(5);
      expect(rl.counters.validRequests).to.equal(0);
      expect(rl.counters.responsesSent).to.equal(0);
    });

    it('two hosts behind one port-restricted NAT connect over the LAN path', async function () {
      const [rc, rl] = await punch('l1', 'l2');
      grid.set('same NAT (l1 ↔ l2)', rc.state === 'selected' ? `${rc.selected!.path} ${rc.selected!.msFromStart} ms` : `FAIL ${rc.failure}`);
      expect(rc.state).to.equal('selected');
      expect(rl.state).to.equal('selected');
      expect(rc.selected!.path).to.equal('lan');
      expect(rc.selected!.address).to.equal(lab!.hostIp('l2'));
    });

    it('a host behind a symmetric NAT with UPnP is reached through its mapping by a symmetric-NAT peer', async function () {
      const [rc, rl] = await punch(hostOf('symmetric', 0), 'u1', { upnpListen: true });
      grid.set('symmetric → symmetric+UPnP (u1)', rc.state === 'selected' ? `${rc.selected!.path} ${rc.selected!.candidateKind} ${rc.selected!.msFromStart} ms` : `FAIL ${rc.failure}`);
      expect(rc.state, JSON.stringify(rc)).to.equal('selected');
      expect(rl.state).to.equal('selected');
      // The connect side proved the path to u1's UPnP-mapped public endpoint (from the lab internet side).
      expect(rc.selected!.candidateKind).to.equal('upnp');
      expect(rc.selected!.address).to.equal(lab!.wanIp('U'));
      // The mapping was removed again when the punch ended.
      expect(await lab!.upnpRules('U')).to.deep.equal([]);
    });

    after(function () {
      if (grid.size === 0) return;
      const w = 30;
      const lines = [`${'connect \\ listen'.padEnd(20)}${TYPES.map((t) => t.padEnd(w)).join('')}`];
      for (const a of TYPES) lines.push(`${a.padEnd(20)}${TYPES.map((b) => (grid.get(`${a}|${b}`) ?? '').padEnd(w)).join('')}`);
      for (const [k, v] of grid) if (!k.includes('|')) lines.push(`${k}: ${v}`);
      console.log(`\n      lab punch matrix (real kernel NAT; path, candidate type, time from scheduled start to the connect side's proven path)\n      ${lines.join('\n      ')}\n`);
    });
  });
});
