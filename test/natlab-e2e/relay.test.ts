// NAT lab, relay fallback (issue 11): pairs punching cannot open (symmetric ↔ symmetric,
// symmetric ↔ port-restricted, both role orders) link through a TURN relay spoken from the ENet
// link socket, with path "relay" on both sides and every exchanged message delivered; a pair
// that punches stays direct with no allocation. Twice: the default `meshpunch signal` (its
// embedded relay), and the lab's coturn started as TURN (use-auth-secret) advertised by
// `meshpunch signal --no-relay-embedded --turn-server … --relay-secret …`.
import { expect } from 'chai';
import { join } from 'node:path';
import { LAB_INTERNET, Lab } from '../natlab/lab/lab.js';
import { requireLab } from '../natlab/lab/prereq.js';
import type { LabProcess } from '../natlab/lab/run.js';
import { jsonReport, LAB_STUN, MESHPUNCH, START_TIMEOUT_MS, type JoinReport } from './lab-agents.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNERS = join(dirname(fileURLToPath(import.meta.url)), 'runners');

const SECRET = 'natlab-relay-secret';
/** coturn as TURN: its own address and port, off the STUN-only instance's 3478/3479. */
const TURN = Object.freeze({ host: LAB_INTERNET.stunAlternate, port: 3490 });
/** The two services: the default one (embedded relay on its STUN port) and one offering only coturn. */
const EMBEDDED = Object.freeze({ host: LAB_INTERNET.third, port: 8787 });
const VIA_COTURN = Object.freeze({ host: LAB_INTERNET.third, port: 8788 });

type Report = JoinReport & { exchange?: { received: Record<string, number> } };

/** Starts coturn as a TURN server (REST secret) on srv and waits until it answers on its port. */
async function startCoturnTurn(lab: Lab): Promise<LabProcess> {
  const p = lab.spawn('srv', ['turnserver', '-n', '--use-auth-secret', '--static-auth-secret', SECRET, '--realm', 'meshpunch',
    '-L', TURN.host, '--listening-port', String(TURN.port), '--relay-ip', TURN.host, '--min-port', '40000', '--max-port', '40999',
    '--fingerprint', '--no-tcp', '--no-tls', '--no-dtls', '--no-cli', '--no-tcp-relay', '--verbose', '--log-file', 'stdout', '--simple-log',
    '--pidfile', join(lab.runDir, 'coturn-turn.pid'), '--db', join(lab.runDir, 'turndb-turn')], 'srv:coturn-turn');
  for (let i = 0; i < 100; i++) {
    const r = await lab.exec('srv', ['ss', '-Hlnu'], { allowFail: true });
    if (r.stdout.includes(`${TURN.host}:${TURN.port}`)) return p;
    if (p.hasExited) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`coturn (TURN) did not bind: ${p.tail()}`);
}

/** Allocations coturn logged (one "ALLOCATE" success line per allocation). */
function coturnAllocations(p: LabProcess): number {
  return p.lines.filter((l) => /ALLOCATE processed, success/.test(l)).length;
}

type StreamResult = { sent: number; received: number; inOrder: boolean; disconnected: number; path: string };

/**
 * Lets two stream peers send `afterMs` longer, stops both (stdin "stop") and checks their results:
 * both exit 0, each received exactly what the other sent, in order, with no peerDisconnected, and
 * both end on `path`.
 */
async function endStreams(a: LabProcess, b: LabProcess, afterMs: number, path: string): Promise<[StreamResult, StreamResult]> {
  await new Promise((r) => setTimeout(r, afterMs));
  for (const p of [a, b]) p.write('stop\n');
  const [ca, cb] = await Promise.all([a.exited, b.exited]);
  expect([ca, cb], `${a.tail(10)}\n${b.tail(10)}`).to.deep.equal([0, 0]);
  const result = (p: LabProcess): StreamResult => JSON.parse(p.lines.find((x) => x.startsWith('result '))!.slice(7)) as StreamResult;
  const ra = result(a);
  const rb = result(b);
  expect(ra.received, `${a.label} got all of ${b.label}'s`).to.equal(rb.sent);
  expect(rb.received, `${b.label} got all of ${a.label}'s`).to.equal(ra.sent);
  for (const r of [ra, rb]) {
    expect(r.inOrder).to.equal(true);
    expect(r.disconnected).to.equal(0);
    expect(r.path).to.equal(path);
  }
  return [ra, rb];
}

describe('relay fallback in the NAT lab', function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  let coturn: LabProcess | undefined;

  before(async function () {
    requireLab(this);
    lab = await Lab.create({
      routers: [
        { name: 'S', nat: 'symmetric' },
        { name: 'R', nat: 'symmetric' },
        { name: 'Q', nat: 'port-restricted' },
        { name: 'W', nat: 'port-restricted' },
      ],
    });
    coturn = await startCoturnTurn(lab);
    const embedded = lab.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', EMBEDDED.host, '--port', String(EMBEDDED.port)], 'srv:signal');
    const viaCoturn = lab.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', VIA_COTURN.host, '--port', String(VIA_COTURN.port),
      '--no-relay-embedded', '--turn-server', `${TURN.host}:${TURN.port}`, '--relay-secret', SECRET], 'srv:signal-coturn');
    await Promise.all([embedded.waitForLine(/listening/, START_TIMEOUT_MS), viaCoturn.waitForLine(/listening/, START_TIMEOUT_MS)]);
  });

  after(async () => {
    await lab?.destroy();
  });

  /** Two agents: `first` creates the lobby (peer 1, the listen side), `second` joins; both exchange 10 reliable messages. */
  async function pair(signal: { host: string; port: number }, first: string, second: string, lobby: string): Promise<{ a: Report; b: Report; ms: number; lines: string[] }> {
    const l = lab!;
    const args = ['--signal', `ws://${signal.host}:${signal.port}`, '--lobby', lobby, '--stun', LAB_STUN, '--json', '--wait-peers', '2', '--exchange', '10', '--timeout', '40'];
    // The creator is peer 1, the listen side (the lower id); its timeline says when it joined.
    const a = l.spawn(first, ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, MESHPUNCH, 'join', ...args, '--create'], `${first}:join`);
    await a.waitForLine(/join: lobby joined/, START_TIMEOUT_MS);
    const b = l.spawn(second, ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, MESHPUNCH, 'join', ...args], `${second}:join`);
    const codes = await Promise.all([a.exited, b.exited]);
    expect(codes, `${a.label}: ${a.tail(12)}\n${b.label}: ${b.tail(12)}`).to.deep.equal([0, 0]);
    // The joiner's own clock: lobby joined → link up (its timeline lines).
    const at = (re: RegExp): number => Number(/^trace ([\d.]+) ms/.exec(b.lines.find((x) => re.test(x)) ?? '')?.[1] ?? NaN);
    const linkMs = at(/ event linkUp /) - at(/ join: lobby joined/);
    return { a: jsonReport(a) as Report, b: jsonReport(b) as Report, ms: linkMs, lines: [...a.lines, ...b.lines] };
  }

  /** The link-up line of a `--json` run's stderr progress is not printed; the relay lines are. */
  function allocations(lines: readonly string[]): number {
    return lines.filter((x) => /relay allocated/.test(x)).length;
  }

  // CI runs every cell on the embedded relay and one on coturn; MESHPUNCH_NATLAB_FULL=1 runs all
  // of them on both (keeps the natlab-e2e group within a few minutes).
  const full = process.env.MESHPUNCH_NATLAB_FULL === '1';
  for (const [via, signal] of [['embedded relay', EMBEDDED], ['coturn', VIA_COTURN]] as const) {
    for (const [first, second] of ([['s1', 'r1'], ['s1', 'q1'], ['q1', 's1']] as const).filter(([, s]) => full || signal === EMBEDDED || s === 'r1')) {
      it(`${via}: ${first} ↔ ${second} link over the relay on both sides, all 10 reliable messages each way`, async () => {
        const before = coturnAllocations(coturn!);
        const { a, b, ms, lines } = await pair(signal, first, second, `relay-${signal.port}-${first}-${second}`);
        for (const r of [a, b]) {
          expect(r.failures, JSON.stringify(r)).to.deep.equal([]);
          expect(r.peers.map((p) => p.path), JSON.stringify(r)).to.deep.equal(['relay']);
          expect(Object.values(r.exchange!.received)).to.deep.equal([10]);
        }
        // Exactly one allocation, by the listen side (peer 1) from its link socket, on the relay offered.
        expect(allocations(lines), lines.join('\n')).to.equal(1);
        // coturn's log shows it (its lines may trail the agents' exit, so only "at least").
        if (signal === VIA_COTURN) expect(coturnAllocations(coturn!) - before, coturn!.tail(20)).to.be.at.least(1);
        console.log(`      [natlab] ${via}: ${first}(${a.peers[0]!.path}) ↔ ${second}(${b.peers[0]!.path}), link up ${ms.toFixed(0)} ms after the joiner joined`);
      });
    }

    if (!full && signal !== EMBEDDED) continue;
    it(`${via}: q1 ↔ w1 (port-restricted both) stay direct with no allocation`, async () => {
      const { a, b, ms, lines } = await pair(signal, 'q1', 'w1', `relay-${signal.port}-direct`);
      for (const r of [a, b]) expect(r.peers.map((p) => p.path)).to.deep.equal(['direct']);
      expect(allocations(lines)).to.equal(0);
      console.log(`      [natlab] ${via}: q1(direct) ↔ w1(direct), link up ${ms.toFixed(0)} ms after the joiner joined, 0 allocations`);
    });
  }

  it('embedded relay: s1 ↔ r1 with 5 % loss and 40 ± 10 ms on each uplink: relayed, 100 of 100 reliable messages each way', async () => {
    const l = lab!;
    for (const r of ['S', 'R']) await l.impair(r, { lossPct: 5, delayMs: 40, jitterMs: 10 });
    try {
      const args = ['--signal', `ws://${EMBEDDED.host}:${EMBEDDED.port}`, '--lobby', 'relay-lossy', '--stun', LAB_STUN, '--json', '--wait-peers', '2', '--exchange', '100', '--timeout', '60'];
      const a = l.spawn('s1', ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, MESHPUNCH, 'join', ...args, '--create'], 's1:join');
      await a.waitForLine(/join: lobby joined/, START_TIMEOUT_MS);
      const b = l.spawn('r1', [process.execPath, MESHPUNCH, 'join', ...args], 'r1:join');
      const codes = await Promise.all([a.exited, b.exited]);
      expect(codes, `${a.tail(12)}\n${b.tail(12)}`).to.deep.equal([0, 0]);
      for (const p of [a, b]) {
        const r = jsonReport(p) as Report;
        expect(r.peers.map((x) => x.path)).to.deep.equal(['relay']);
        expect(Object.values(r.exchange!.received)).to.deep.equal([100]);
      }
    } finally {
      for (const r of ['S', 'R']) await l.clearImpairment(r);
    }
  });

  it('embedded relay: a direct pair (q1 ↔ w1) whose mapping changes (Q becomes symmetric) falls back to the relay before ENet\'s timeout, one ENet peer, a gapless sequence', async () => {
    const l = lab!;
    const url = `ws://${EMBEDDED.host}:${EMBEDDED.port}`;
    const a = l.spawn('q1', [process.execPath, join(RUNNERS, 'stream-peer.js'), url, 'relay-fallback', '1', LAB_STUN, '60'], 'q1:stream');
    await a.waitForLine(/^joined as peer 1/, START_TIMEOUT_MS);
    const b = l.spawn('w1', [process.execPath, join(RUNNERS, 'stream-peer.js'), url, 'relay-fallback', '0', LAB_STUN, '60'], 'w1:stream');
    await Promise.all([a.waitForLine(/^linked direct/, START_TIMEOUT_MS), b.waitForLine(/^linked direct/, START_TIMEOUT_MS)]);
    await new Promise((r) => setTimeout(r, 1500));
    // q1's router turns symmetric and forgets its UDP mappings: the punched path is dead.
    const t0 = performance.now();
    await l.setNat('Q', 'symmetric', { udpOnly: true });
    await Promise.all([a.waitForLine(/"pathChanged".*"to":"relay"/, 10_000), b.waitForLine(/"pathChanged".*"to":"relay"/, 10_000)]);
    const switchMs = performance.now() - t0;
    // A few more seconds of traffic over the relay, then both end their streams.
    const [ra] = await endStreams(a, b, 3000, 'relay');
    // Before ENet's timeout (2 × peerTimeoutMs = 8 s with a relay): endStreams asserts no disconnect
    // and a gapless sequence. The time is logged, not asserted: it is measured by this test process,
    // which on a loaded machine reads the agents' lines late (no timing thresholds in tests).
    console.log(`      [natlab] q1 ↔ w1 direct → relay ${switchMs.toFixed(0)} ms after Q turned symmetric; ${ra.sent}+${ra.received} reliable messages, all in order`);
    await l.setNat('Q', 'port-restricted');
  });

  it('embedded relay: a relayed pair (q1 ↔ s1) whose symmetric NAT becomes full-cone upgrades to direct, one ENet peer, a gapless sequence; the allocation is released after relayReleaseMs', async () => {
    const l = lab!;
    const url = `ws://${EMBEDDED.host}:${EMBEDDED.port}`;
    /** The service's live allocations (its /metrics, read from srv). */
    const allocationsNow = async (): Promise<number> => {
      const r = await l.exec('srv', [process.execPath, '-e', `fetch('http://${EMBEDDED.host}:${EMBEDDED.port}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
      const m = /^meshpunch_signal_relay_allocations (\d+)$/m.exec(r.stdout);
      if (m === null) throw new Error(`no relay_allocations in /metrics: ${r.stdout.slice(0, 400)}`);
      return Number(m[1]);
    };
    // q1 creates (peer 1, the listen side: the allocation is its own, on Q, which stays as it is);
    // s1, behind S, probes the relayed address. A re-probe every 2 s, the relay released 3 s after the upgrade.
    const tuning = ['2000', '3000'];
    // With the link's trace lines (MESHPUNCH_TIMELINE): a side that never upgrades says which
    // looks it made and why, in this test's failure message (the upgrade failed 1 in ~4 CI runs).
    const a = l.spawn('q1', ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, join(RUNNERS, 'stream-peer.js'), url, 'relay-upgrade', '1', LAB_STUN, '90', ...tuning], 'q1:stream');
    await a.waitForLine(/^joined as peer 1/, START_TIMEOUT_MS);
    const b = l.spawn('s1', ['env', 'MESHPUNCH_TIMELINE=1', process.execPath, join(RUNNERS, 'stream-peer.js'), url, 'relay-upgrade', '0', LAB_STUN, '90', ...tuning], 's1:stream');
    try {
      await Promise.all([a.waitForLine(/^linked relay/, START_TIMEOUT_MS), b.waitForLine(/^linked relay/, START_TIMEOUT_MS)]);
      expect(await allocationsNow(), 'the relayed pair holds one allocation').to.equal(1);
      await new Promise((r) => setTimeout(r, 1500));
      // S turns full-cone and forgets its UDP mappings: s1's link socket gets one public port for
      // every destination, reachable from anyone; its next look finds the new mapping.
      const t0 = performance.now();
      await l.setNat('S', 'full-cone', { udpOnly: true });
      await Promise.all([a.waitForLine(/"pathChanged".*"to":"direct"/, 40_000), b.waitForLine(/"pathChanged".*"to":"direct"/, 40_000)]).catch((err: Error) => {
        throw new Error(`${err.message}\n--- s1: ${b.tail(40)}`);
      });
      const upgradeMs = performance.now() - t0;
      // relayReleaseMs (3 s) after the upgrade the allocation is gone, while the link streams on.
      let left = await allocationsNow();
      for (let i = 0; i < 40 && left !== 0; i++) {
        await new Promise((r) => setTimeout(r, 250));
        left = await allocationsNow();
      }
      const releasedMs = performance.now() - t0 - upgradeMs;
      expect(left, 'allocations at the service after the release').to.equal(0);
      // The link streams on after the release; then both end their streams.
      const [ra] = await endStreams(a, b, 2000, 'direct');
      // One ENet peer: no link went down and came back.
      for (const p of [a, b]) expect(p.lines.filter((x) => /"linkUp"/.test(x)), p.tail(20)).to.have.length.at.most(1);
      console.log(`      [natlab] q1 ↔ s1 relay → direct ${upgradeMs.toFixed(0)} ms after S turned full-cone, allocation released ${releasedMs.toFixed(0)} ms later; ${ra.sent}+${ra.received} reliable messages, all in order`);
    } finally {
      await l.setNat('S', 'symmetric', { udpOnly: true });
    }
  });
});
