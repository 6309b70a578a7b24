// Simulation: two agents' LinkMachines (core) drive the nat package's StunClient and
// PunchMachine on one simulated socket each, behind simulated NATs, with candidates relayed by a
// simulated signaling service — in virtual time, reproducibly (MESHPUNCH_SEED). The ENet
// handshake is not simulated here: a proven path counts as connected (the NAT lab and the e2e
// tests run the real one).
import { expect } from 'chai';
import { answerBindingRequest, nodeHmacSha1, PunchMachine, StunClient, type PunchEvent, type RankedCandidate, type StunClientEvent } from '@meshpunch/nat';
import { NatBox, natPreset, Prng, seedFromEnv, SimDriver, SimNet, type NatPresetName, type SansIoCore } from '@meshpunch/sim';
import { SimSignal } from './sim-signal.js';
import { LinkMachine, type LinkOutcome, type LinkRole } from '../../src/core/link-machine.js';

type Kind = 'none' | NatPresetName;
const STUN = { address: '203.0.113.10', port: 3478 };
/** One agent's link on one socket: LinkMachine + StunClient + PunchMachine. */
class SimAgentLink implements SansIoCore {
  readonly link: LinkMachine<RankedCandidate>;
  peer: SimAgentLink | undefined;
  private readonly stun: StunClient;
  private punch: PunchMachine | undefined;
  private local: RankedCandidate[] = [];

  constructor(readonly name: string, readonly address: string, readonly port: number, role: LinkRole, private readonly signal: SimSignal, private readonly prng: Prng) {
    this.link = new LinkMachine<RankedCandidate>({ pairId: '7', remoteId: role === 'connect' ? 1 : 2, role, startAt: 500 });
    this.stun = new StunClient({ random: (out) => this.fill(out), rtoMs: 200, requestCount: 3, lastWaitFactor: 4 });
  }

  private fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.prng.nextUint32() & 0xff;
  }

  begin(now: number): void {
    this.link.begin(now);
    this.act(now);
  }

  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): void {
    if (!this.stun.handleDatagram(now, from, bytes)) this.punch?.handleDatagram(now, from, bytes);
    this.act(now);
  }

  handleTimeout(now: number): void {
    const due = (t: number | undefined): boolean => t !== undefined && t <= now;
    if (due(this.link.pollTimeout())) this.link.handleTimeout(now);
    if (due(this.stun.pollTimeout())) this.stun.handleTimeout(now);
    if (this.punch !== undefined && due(this.punch.pollTimeout())) this.punch.handleTimeout(now);
    this.act(now);
  }

  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    const n = this.stun.pollTransmit(now, out, to);
    return n > 0 ? n : (this.punch?.pollTransmit(now, out, to) ?? 0);
  }

  pollTimeout(): number | undefined {
    const ts = [this.link.pollTimeout(), this.stun.pollTimeout(), this.punch?.pollTimeout()].filter((t): t is number => t !== undefined);
    return ts.length === 0 ? undefined : Math.min(...ts);
  }

  receiveCandidates(now: number, c: readonly RankedCandidate[]): void {
    this.link.handleRemoteCandidates(now, c);
    this.act(now);
  }

  /** Feeds core events into the link machine and performs its actions, until both are quiet. */
  private act(now: number): void {
    for (let guard = 0; guard < 100; guard++) {
      let busy = false;
      for (let e: StunClientEvent | undefined = this.stun.pollEvent(); e !== undefined; e = this.stun.pollEvent()) {
        busy = true;
        const host: RankedCandidate = { kind: 'host', family: 4, address: this.address, port: this.port, priority: 2130706431 };
        this.local = e.type === 'stunSuccess' && (e.mapped.address !== this.address || e.mapped.port !== this.port)
          ? [host, { kind: 'srflx', family: 4, address: e.mapped.address, port: e.mapped.port, priority: 1694498815 }]
          : [host];
        this.link.handleGathered(now, this.local);
      }
      for (let e: PunchEvent | undefined = this.punch?.pollEvent(); e !== undefined; e = this.punch?.pollEvent()) {
        busy = true;
        if (e.type === 'selected') this.link.handlePunchSucceeded(now, { address: e.selected.address, port: e.selected.port }, e.selected.path);
        if (e.type === 'failed') this.link.handlePunchFailed(now, e.reason);
      }
      for (let a = this.link.pollAction(); a !== undefined; a = this.link.pollAction()) {
        busy = true;
        switch (a.type) {
          case 'gather':
            this.stun.request(now, STUN);
            break;
          case 'sendCandidates': {
            const peer = this.peer!;
            const list = [...a.candidates];
            this.signal.send(now, (t) => peer.receiveCandidates(t, list));
            break;
          }
          case 'punch':
            this.punch = new PunchMachine({
              role: this.link.start.role, pairId: '7', secret: 'sixteen-byte-key', startAt: Math.min(a.startAt, now),
              remoteCandidates: a.remoteCandidates, localCandidates: this.local, random: (out) => this.fill(out), hmacSha1: nodeHmacSha1, timeoutMs: 5000,
            });
            break;
          case 'connect':
          case 'accept':
            // ENet handshake not simulated: the proven path is the connection.
            this.link.handleConnected(now, { address: this.address, port: this.port }, a.remote, this.punch?.selected?.rttMs ?? 0);
            break;
          case 'addMeshPeer':
            this.link.handleAdded(now);
            break;
          case 'report':
          case 'release':
            break;
        }
      }
      if (!busy) return;
    }
  }
}

/** A STUN server (one address) answering binding requests. */
function stunServer(net: SimNet): void {
  const out = new Uint8Array(512);
  net.bind(STUN.address, STUN.port, (now, dg) => {
    const a = answerBindingRequest(dg.bytes, dg.from, out, {});
    if (a.kind !== 'drop') net.send(now, STUN, dg.from, out.subarray(0, a.length));
  });
}

interface PairResult {
  readonly connect: LinkOutcome | undefined;
  readonly listen: LinkOutcome | undefined;
  readonly settledAtMs: number;
}

function runPair(seed: number, a: Kind, b: Kind): PairResult {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: 20, jitterMs: 0, loss: 0 } });
  const driver = new SimDriver(net);
  stunServer(net);
  const signal = new SimSignal();
  driver.add(signal, '203.0.113.200', 1);
  const place = (name: string, kind: Kind, index: number, role: LinkRole): SimAgentLink => {
    if (kind === 'none') {
      const core = new SimAgentLink(name, `198.51.100.${50 + index}`, 40000, role, signal, new Prng(prng.nextUint32()));
      driver.add(core, core.address, core.port);
      return core;
    }
    const realm = `lan-${name}`;
    net.addGateway(new NatBox({ insideRealm: realm, publicAddress: `198.51.100.${index}`, prng: new Prng(prng.nextUint32()), ...natPreset(kind) }));
    const core = new SimAgentLink(name, `10.0.${index}.2`, 40000, role, signal, new Prng(prng.nextUint32()));
    driver.add(core, core.address, core.port, realm);
    return core;
  };
  const x = place('a', a, 1, 'connect');
  const y = place('b', b, 2, 'listen');
  x.peer = y;
  y.peer = x;
  x.begin(driver.now);
  y.begin(driver.now);
  const settled = (): boolean => !x.link.isActive && !y.link.isActive;
  driver.runUntil(settled, { maxVirtualMs: 20_000 });
  return { connect: x.link.outcome, listen: y.link.outcome, settledAtMs: driver.now };
}

describe('LinkMachine over simulated NATs (sim)', () => {
  const seed = seedFromEnv(0x5eed);
  const kinds: Kind[] = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric'];
  /** Ford et al. 2005 / natlab.md §3.6: punching fails when one side maps endpoint-dependently and the other filters by port (or both map so). */
  const expectUp = (a: Kind, b: Kind): boolean => {
    const hard = (k: Kind): boolean => k === 'symmetric';
    const portFilter = (k: Kind): boolean => k === 'port-restricted' || k === 'symmetric';
    return !((hard(a) && portFilter(b)) || (hard(b) && portFilter(a)));
  };
  const grid: string[] = [];

  for (const a of kinds) {
    for (const b of kinds) {
      const up = expectUp(a, b);
      it(`${a} (connect) ↔ ${b} (listen): ${up ? 'both sides connected, direct' : 'typed failure on both sides within the punch limit'}`, () => {
        const r = runPair(seed, a, b);
        grid.push(`${a.padEnd(18)} ${b.padEnd(18)} ${r.connect?.ok ? 'up' : `fail:${r.connect?.ok === false ? r.connect.reason : '?'}`} @${r.settledAtMs} ms`);
        if (up) {
          expect(r.connect?.ok, `seed ${seed}: ${JSON.stringify(r)}`).to.equal(true);
          expect(r.listen?.ok, `seed ${seed}: ${JSON.stringify(r)}`).to.equal(true);
          if (r.connect?.ok === true) expect(r.connect.path).to.equal('direct');
        } else {
          expect(r.connect?.ok, `seed ${seed}: ${JSON.stringify(r)}`).to.equal(false);
          expect(r.listen?.ok, `seed ${seed}: ${JSON.stringify(r)}`).to.equal(false);
          for (const o of [r.connect, r.listen]) if (o?.ok === false) expect(o.reason).to.be.oneOf(['punch-timeout', 'punch-failed']);
          // Bounded: gather + exchange + the 5 s punch limit, in virtual time.
          expect(r.settledAtMs).to.be.below(7000);
        }
      });
    }
  }

  after(() => {
    if (process.env.MESHPUNCH_TRACE === '1') console.log(grid.join('\n'));
  });
});
