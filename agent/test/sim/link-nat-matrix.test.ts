// Simulation: two agents' LinkMachines (core) drive the nat package's StunClient and
// PunchMachine on one simulated socket each, behind simulated NATs, with candidates relayed by a
// simulated signaling service — in virtual time, reproducibly (MESHPUNCH_SEED). The ENet
// handshake is not simulated here: a proven path counts as connected (the NAT lab and the e2e
// tests run the real one).
import { expect } from 'chai';
import { answerBindingRequest } from '@meshpunch/nat';
import { NatBox, natPreset, Prng, seedFromEnv, SimDriver, SimNet, type NatPresetName } from '@meshpunch/sim';
import { SimSignal } from './sim-signal.js';
import type { LinkOutcome, LinkRole } from '../../src/core/link-machine.js';
import { SIM_STUN as STUN, SimLinkSide } from './sim-link-side.js';

type Kind = 'none' | NatPresetName;
/** Random bytes for a side's cores, drawn from its own Prng. */
const fillFrom = (prng: Prng) => (out: Uint8Array): void => {
  for (let i = 0; i < out.length; i++) out[i] = prng.nextUint32() & 0xff;
};

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
  const place = (name: string, kind: Kind, index: number, role: LinkRole): SimLinkSide => {
    if (kind === 'none') {
      const core = new SimLinkSide(`198.51.100.${50 + index}`, 40000, role, signal, fillFrom(new Prng(prng.nextUint32())));
      driver.add(core, core.address, core.port);
      return core;
    }
    const realm = `lan-${name}`;
    net.addGateway(new NatBox({ insideRealm: realm, publicAddress: `198.51.100.${index}`, prng: new Prng(prng.nextUint32()), ...natPreset(kind) }));
    const core = new SimLinkSide(`10.0.${index}.2`, 40000, role, signal, fillFrom(new Prng(prng.nextUint32())));
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
