// NAT lab self-test: every lab NAT type really maps and filters as its name says (raw UDP
// probes and coturn's turnutils_natdiscovery), hairpinning, the §3.5 router fix, binding
// lifetime, impairment, and that destroy() leaves nothing behind (docs/specs/natlab.md).
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START_TIMEOUT_MS } from '../e2e/agent-process.js';
import { Lab, LAB_INTERNET, reapStaleLabs } from './lab/lab.js';
import { requireLab } from './lab/prereq.js';
import type { LabNatType } from './lab/rules.js';
import { run } from './lab/run.js';

interface MappingResult {
  local: number;
  results: Array<{ target: string; seen: string | null }>;
}
interface FilteringResult {
  opened: boolean;
  same: boolean;
  otherIp: boolean;
  otherPort: boolean;
}
interface ExchangeResult {
  ok: boolean;
  firstFrom: string;
  firstMs: number;
}

const R = LAB_INTERNET;

/** One side of a raw punch: the host, its local port, and the other side's public endpoint. */
type PunchSide = readonly [host: string, localPort: number, to: string];

/**
 * Runs `udp exchange` on both sides with windows that overlap: both processes are started and
 * ready first, then told to begin (`b` `headStartMs` after `a`). Spawned to begin at once, their
 * start-ups (seconds apart on a loaded machine) could use up a window of 2-3 s before the other
 * side sent anything, and a head start measured from the spawns was no head start.
 */
async function punch(lab: Lab, a: PunchSide, b: PunchSide, waitMs: number, headStartMs = 0): Promise<[ExchangeResult, ExchangeResult]> {
  const [pa, pb] = [a, b].map(([host, localPort, to]) => lab.spawnRunner(host, 'udp', ['exchange', String(localPort), to, String(waitMs), 'on-go']));
  try {
    await Promise.all([pa!.waitForLine(/^ready$/, START_TIMEOUT_MS), pb!.waitForLine(/^ready$/, START_TIMEOUT_MS)]);
    pa!.write('go\n');
    if (headStartMs > 0) await new Promise((r) => setTimeout(r, headStartMs));
    pb!.write('go\n');
    const codes = await Promise.all([pa!.exited, pb!.exited]);
    expect(codes, `${pa!.tail()}\n${pb!.tail()}`).to.deep.equal([0, 0]);
    return [JSON.parse(pa!.lines.at(-1)!) as ExchangeResult, JSON.parse(pb!.lines.at(-1)!) as ExchangeResult];
  } finally {
    await Promise.all([pa!.stop(), pb!.stop()]);
  }
}
/** Four destinations, then the first again (docs/specs/natlab.md §3 probe method). */
const MAPPING_TARGETS = [`${R.stunPrimary}:${R.reflectorPort}`, `${R.stunPrimary}:${R.reflectorPort + 1}`,
  `${R.stunAlternate}:${R.reflectorPort}`, `${R.third}:${R.reflectorPort}`, `${R.stunPrimary}:${R.reflectorPort}`];

/** Expected RFC 4787 behaviour per lab NAT type, in coturn's words too. */
const EXPECT: Record<LabNatType, { eim: boolean; filtering: FilteringResult; coturnMapping: string; coturnFiltering: string }> = {
  'full-cone': {
    eim: true, filtering: { opened: true, same: true, otherIp: true, otherPort: true },
    coturnMapping: 'Endpoint Independent Mapping', coturnFiltering: 'Endpoint Independent Filtering',
  },
  'address-restricted': {
    eim: true, filtering: { opened: true, same: true, otherIp: false, otherPort: true },
    coturnMapping: 'Endpoint Independent Mapping', coturnFiltering: 'Address Dependent Filtering',
  },
  'port-restricted': {
    eim: true, filtering: { opened: true, same: true, otherIp: false, otherPort: false },
    coturnMapping: 'Endpoint Independent Mapping', coturnFiltering: 'Address and Port Dependent Filtering',
  },
  symmetric: {
    eim: false, filtering: { opened: true, same: true, otherIp: false, otherPort: false },
    coturnMapping: 'Address and Port Dependent Mapping', coturnFiltering: 'Address and Port Dependent Filtering',
  },
};

const ROUTER_OF: Record<LabNatType, string> = { 'full-cone': 'A', 'address-restricted': 'B', 'port-restricted': 'C', symmetric: 'D' };

describe('NAT lab self-test', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;

  before(async function () {
    requireLab(this);
    lab = await Lab.create({
      routers: [
        { name: 'A', nat: 'full-cone' },
        { name: 'B', nat: 'address-restricted' },
        { name: 'C', nat: 'port-restricted', hosts: 2 },
        { name: 'D', nat: 'symmetric' },
        { name: 'E', nat: 'port-restricted' },
      ],
    });
    console.log(`      [natlab] lab ${lab.runId} up in ${lab.timings.totalMs} ms (namespaces ${lab.timings.namespacesMs} ms, services ${lab.timings.servicesMs} ms)`);
  });

  after(async function () {
    await lab?.destroy();
  });

  for (const nat of Object.keys(EXPECT) as LabNatType[]) {
    it(`${nat}: raw probes see the expected mapping and filtering`, async function () {
      const host = `${ROUTER_OF[nat].toLowerCase()}1`;
      const wan = lab!.wanIp(ROUTER_OF[nat]);
      const m = await lab!.runJson<MappingResult>(host, 'udp', ['mapping', '40000', ...MAPPING_TARGETS]);
      const seen = m.results.map((r) => r.seen);
      expect(seen.every((s) => s?.startsWith(`${wan}:`)), JSON.stringify(seen)).to.equal(true);
      const ports = new Set(seen);
      if (EXPECT[nat].eim) {
        // One public endpoint for every destination, and the local port preserved (§3.1).
        expect([...ports]).to.deep.equal([`${wan}:40000`]);
      } else {
        // A new public port per destination, the same again for the first destination (§3.2).
        expect(ports.size, JSON.stringify(seen)).to.equal(4);
        expect(seen[4]).to.equal(seen[0]);
      }
      const f = await lab!.runJson<FilteringResult>(host, 'udp', ['filtering', '41000', MAPPING_TARGETS[0]!]);
      expect(f).to.deep.equal(EXPECT[nat].filtering);
    });
  }

  it('coturn turnutils_natdiscovery classifies every lab NAT type the same way', async function () {
    const types = Object.keys(EXPECT) as LabNatType[];
    const outputs = await Promise.all(types.map((nat) => lab!.exec(`${ROUTER_OF[nat].toLowerCase()}1`,
      ['turnutils_natdiscovery', '-m', '-f', R.stunPrimary], { timeoutMs: 30_000 })));
    for (const [i, nat] of types.entries()) {
      const out = outputs[i]!.stdout;
      expect(out, nat).to.include(`NAT with ${EXPECT[nat].coturnMapping}!`);
      expect(out, nat).to.include(`NAT with ${EXPECT[nat].coturnFiltering}!`);
    }
  });

  it('hairpinning: off drops LAN → own public address, on delivers it from the sender\'s public endpoint', async function () {
    const wan = lab!.wanIp('C');
    for (const hairpin of [false, true]) {
      await lab!.setNat('C', 'port-restricted', { hairpin });
      // c2 opens its mapping (public port = 43000 by port preservation), then listens on it.
      await lab!.runJson('c2', 'udp', ['send', '43000', `${R.stunPrimary}:${R.reflectorPort}`, 'open']);
      // The sender is started and ready before the receiver's 1.5 s window opens, then told to
      // send: spawned inside the window, its start-up (seconds at load ~15) used it all up and the
      // hairpinned datagrams arrived after the receiver had given up ('expected [] to deeply equal …').
      const tx = lab!.spawnRunner('c1', 'udp', ['send', '44000', `${wan}:43000`, 'hairpin', '3', 'on-go']);
      await tx.waitForLine(/^ready/, START_TIMEOUT_MS);
      const rx = lab!.spawnRunner('c2', 'udp', ['recv', '43000', '1500', '1']);
      await rx.waitForLine(/^ready/, START_TIMEOUT_MS);
      tx.write('go\n');
      expect(await tx.exited, tx.tail()).to.equal(0);
      await rx.exited;
      const got = JSON.parse(rx.lines.at(-1)!) as { received: Array<{ from: string; text: string }> };
      if (hairpin) expect(got.received).to.deep.equal([{ from: `${wan}:44000`, text: 'hairpin' }]);
      else expect(got.received).to.deep.equal([]);
    }
    await lab!.setNat('C', 'port-restricted', { hairpin: false });
  });

  it('port-restricted ↔ port-restricted: a raw simultaneous punch opens both ways (§3.5 fix in place)', async function () {
    const [rc, re] = await punch(lab!, ['c1', 45000, `${lab!.wanIp('E')}:46000`], ['e1', 46000, `${lab!.wanIp('C')}:45000`], 3000);
    expect(rc.ok && re.ok, JSON.stringify([rc, re])).to.equal(true);
    expect(rc.firstFrom).to.equal(`${lab!.wanIp('E')}:46000`);
  });

  it('without the §3.5 drop rule an early punch moves the late side to another port, and punching fails', async function () {
    await lab!.setNat('C', 'port-restricted', { dropUnsolicited: false });
    await lab!.setNat('E', 'port-restricted', { dropUnsolicited: false });
    try {
      // e1 starts 400 ms early, so its first packets reach C's router before c1 sends anything.
      const [re, rc] = await punch(lab!, ['e1', 46001, `${lab!.wanIp('C')}:45001`], ['c1', 45001, `${lab!.wanIp('E')}:46001`], 2000, 400);
      expect(re.ok || rc.ok, JSON.stringify([rc, re])).to.equal(false);
      // The cause, read from C's conntrack: c1's flow to e1 was translated to a port other than 45001.
      const ct = await lab!.exec('C', ['conntrack', '-L', '-p', 'udp', '--orig-src', lab!.hostIp('c1'), '--orig-port-src', '45001'],
        { allowFail: true });
      const m = /sport=45001 dport=46001 .*src=\S+ dst=\S+ sport=46001 dport=(\d+)/.exec(ct.stdout);
      expect(m, ct.stdout).to.not.equal(null);
      expect(Number(m![1])).to.not.equal(45001);
    } finally {
      await lab!.setNat('C', 'port-restricted', { dropUnsolicited: true });
      await lab!.setNat('E', 'port-restricted', { dropUnsolicited: true });
    }
  });

  it('symmetric ↔ port-restricted: a raw punch to the announced endpoints fails', async function () {
    const [rd, rc] = await punch(lab!, ['d1', 45002, `${lab!.wanIp('C')}:46002`], ['c1', 46002, `${lab!.wanIp('D')}:45002`], 2000);
    expect(rd.ok || rc.ok, JSON.stringify([rd, rc])).to.equal(false);
  });

  it('full cone ↔ symmetric: the punch works once the cone side answers where the packets came from', async function () {
    const [ra, rd] = await punch(lab!, ['a1', 45003, `${lab!.wanIp('D')}:46003`], ['d1', 46003, `${lab!.wanIp('A')}:45003`], 3000);
    expect(ra.ok && rd.ok, JSON.stringify([ra, rd])).to.equal(true);
    // The cone side learnt the symmetric side's real (random) public port.
    expect(ra.firstFrom).to.match(new RegExp(`^${lab!.wanIp('D').replace(/\./g, '\\.')}:\\d+$`));
  });

  it('binding lifetime follows the router\'s conntrack/binding timeout (§3.7)', async function () {
    // No process starts inside the lifetime: the inbound sender is started and ready before the
    // receiver opens the binding, and told to send once it has (at load 30 a node process can
    // take seconds to start: CI lost a 2 s binding to three starts, then this test once more
    // with one start inside a 5 s lifetime).
    const lifetimeS = 5;
    await lab!.setUdpTimeout('A', lifetimeS);
    try {
      const wan = lab!.wanIp('A');
      const probe = async (openTo?: string): Promise<number> => {
        const tx = lab!.spawnRunner('srv', 'udp', ['send', '0', `${wan}:47000`, 'inbound', '3', 'on-go']);
        await tx.waitForLine(/^ready/, START_TIMEOUT_MS);
        const rx = lab!.spawnRunner('a1', 'udp', ['recv', '47000', String(lifetimeS * 1000 - 500), '1', ...(openTo === undefined ? [] : [openTo])]);
        await rx.waitForLine(/^ready/, START_TIMEOUT_MS);
        tx.write('go\n');
        expect(await tx.exited, tx.tail()).to.equal(0);
        await rx.exited;
        return (JSON.parse(rx.lines.at(-1)!) as { received: Array<{ text: string }> }).received.filter((d) => d.text === 'inbound').length;
      };
      // The receiving socket opens the binding itself, then the internet sends to it from another port.
      expect(await probe(`${R.third}:${R.reflectorPort}`), 'inside the lifetime').to.equal(1);
      await new Promise((r) => setTimeout(r, lifetimeS * 1000 + 1500));
      // Nothing opens it again: the inbound finds no binding.
      expect(await probe(), 'after the lifetime').to.equal(0);
    } finally {
      await lab!.setUdpTimeout('A', undefined);
    }
  });

  it('impairment: nft loss and duplication, NFQUEUE delay with jitter', async function () {
    const target = `${R.stunPrimary}:${R.reflectorPort}`;
    type Rtt = { answers: number; dups: number; reordered: number; rttMin: number; rttP50: number; rttMax: number };
    try {
      await lab!.impair('B', { lossPct: 30, dupPct: 0 });
      const lossy = await lab!.runJson<Rtt>('b1', 'udp', ['rtt', '300', target, '2']);
      // 30 % uplink loss: 210 expected answers of 300, binomial sd ≈ 8, so ±5 sd.
      expect(lossy.answers).to.be.within(170, 250);
      await lab!.impair('B', { dupPct: 50 });
      const dup = await lab!.runJson<Rtt>('b1', 'udp', ['rtt', '200', target, '2']);
      expect(dup.answers).to.equal(200);
      expect(dup.dups).to.be.within(60, 140);
      await lab!.impair('B', { delayMs: 40, jitterMs: 15 });
      const slow = await lab!.runJson<Rtt>('b1', 'udp', ['rtt', '200', target, '2']);
      console.log(`      [natlab] loss 30 %: ${lossy.answers}/300 answered; dup 50 %: ${dup.dups} duplicates; ` +
        `delay 40±15 ms: RTT min/p50/max ${slow.rttMin}/${slow.rttP50}/${slow.rttMax} ms, ${slow.reordered} reordered`);
      expect(slow.answers).to.equal(200);
      // Lower bounds only: the helper holds each packet at least delay − jitter = 25 ms.
      expect(slow.rttMin).to.be.at.least(24);
      expect(slow.rttP50).to.be.at.least(30);
      expect(slow.reordered).to.be.greaterThan(0);
    } finally {
      await lab!.clearImpairment('B');
    }
    const clean = await lab!.runJson<Rtt>('b1', 'udp', ['rtt', '50', target, '2']);
    expect(clean.answers).to.equal(50);
    expect(clean.dups).to.equal(0);
  });
});

describe('NAT lab teardown', function () {
  this.timeout(30_000);

  before(function () {
    requireLab(this);
  });

  it('destroy() removes every namespace and process it created, also ones it did not start itself', async function () {
    const lab = await Lab.create({ routers: [{ name: 'A', nat: 'port-restricted' }], stun: true, reflector: true });
    let names: readonly string[] = [];
    let strayPid = 0;
    try {
      names = lab.namespaceNames;
      const sleeper = lab.spawn('a1', ['sleep', '60']);
      // A process the lab knows nothing about (a test's own `ip netns exec ... &`).
      const stray = await run(['sh', '-c', `ip netns exec ${lab.ns('srv')} sleep 60 >/dev/null 2>&1 & echo $!`]);
      strayPid = Number(stray.stdout.trim());
      expect(sleeper.pid).to.be.greaterThan(1);
      expect(strayPid).to.be.greaterThan(1);
    } finally {
      await lab.destroy();
    }
    const list = (await run(['ip', 'netns', 'list'])).stdout;
    for (const n of names) expect(list).not.to.include(n);
    expect(names.length).to.equal(4);
    expect(isRunning(strayPid), `stray pid ${strayPid}`).to.equal(false);
  });

  it('two labs built at the same time with the same node names do not clash', async function () {
    const spec = { routers: [{ name: 'A', nat: 'port-restricted' as const }], stun: false };
    const [l1, l2] = await Promise.all([Lab.create(spec), Lab.create(spec)]);
    try {
      expect(l1.runId).to.not.equal(l2.runId);
      expect(l1.ns('a1')).to.not.equal(l2.ns('a1'));
      // Same addresses in both labs, yet each probe is answered by its own lab's reflector.
      const [m1, m2] = await Promise.all([l1, l2].map((l) => l.runJson<MappingResult>('a1', 'udp', ['mapping', '40100', MAPPING_TARGETS[0]!])));
      expect(m1!.results[0]!.seen).to.equal(`${l1.wanIp('A')}:40100`);
      expect(m2!.results[0]!.seen).to.equal(`${l2.wanIp('A')}:40100`);
    } finally {
      await Promise.all([l1.destroy(), l2.destroy()]);
    }
    const list = (await run(['ip', 'netns', 'list'])).stdout;
    expect(list).not.to.include(l1.runId);
    expect(list).not.to.include(l2.runId);
  });

  it('reaps namespaces left behind by a run whose process is gone, and only those', async function () {
    // A dead creator pid: spawn and reap a short process, then use its pid in the name.
    const dead = (await run(['sh', '-c', 'echo $$'])).stdout.trim();
    const staleName = `nlab-${Number(dead).toString(36)}-beef-inet`;
    const liveName = `nlab-${process.pid.toString(36)}-cafe-inet`;
    await run(['ip', 'netns', 'add', staleName]);
    await run(['ip', 'netns', 'add', liveName]);
    const staleDir = join(tmpdir(), `meshpunch-natlab-${Number(dead).toString(36)}-beef-test`);
    mkdirSync(staleDir, { recursive: true });
    try {
      const reaped = await reapStaleLabs();
      expect(existsSync(staleDir), 'stale scratch directory').to.equal(false);
      expect(reaped).to.include(staleName);
      expect(reaped).not.to.include(liveName);
      const list = (await run(['ip', 'netns', 'list'])).stdout;
      expect(list).not.to.include(staleName);
      expect(list).to.include(liveName);
    } finally {
      rmSync(staleDir, { recursive: true, force: true });
      await run(['ip', 'netns', 'del', staleName], { allowFail: true });
      await run(['ip', 'netns', 'del', liveName], { allowFail: true });
    }
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed child of ours may linger as a zombie until reaped (§8): that is not running.
  return !/^State:\s+Z/m.test(readStatus(pid));
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
