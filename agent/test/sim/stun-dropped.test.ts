// Simulation (issue 11, every pair links): the connect side's STUN Binding requests never get an
// answer (its network drops them), while its TURN relay answers an Allocate. As LinkRunner does,
// the link asks the relay for its mapping when gathering gave no server-reflexive candidate
// (core/relay-reflexive.ts) and trickles the Allocate's XOR-MAPPED-ADDRESS as a srflx candidate.
// Behind endpoint-independent mapping (port-restricted NATs both sides) that is the mapping the
// peer's probes need, and the pair punches direct. Without it the peer knew only a private host
// address and the pair found no path (in the agent: relay-failed; here, with no relay, a typed
// punch failure). LinkMachine, StunClient, TurnClient, TurnServerCore and PunchMachine (cores) on
// simulated NATs, in virtual time, reproducibly (MESHPUNCH_SEED).
import { expect } from 'chai';
import {
  answerBindingRequest, mintTurnRestCredential, nodeHmacSha1, nodeMd5, TurnClient, TurnServerCore,
  type RankedCandidate, type StunClientEvent,
} from '@meshpunch/nat';
import { NatBox, natPreset, Prng, seedFromEnv, SimDriver, SimNet, type SansIoCore } from '@meshpunch/sim';
import { HOST_PRIORITY, SIM_STUN as STUN, SimLinkSide, SRFLX_PRIORITY } from './sim-link-side.js';
import { SimSignal } from './sim-signal.js';
import type { LinkOutcome, LinkRole } from '../../src/core/link-machine.js';
import { reflexiveFromRelay, wantsRelayMapping } from '../../src/core/relay-reflexive.js';

const TURN = { address: '203.0.113.30', port: 3478 };
const SECRET = 'sim-relay-secret';
/** The TURN server's Unix clock at virtual 0 (credentials expire against it). */
const UNIX_MS_AT_ZERO = 1_700_000_000_000;

/** The embedded relay's core on its control port (no relayed traffic here: only its Allocate answers matter). */
class SimTurnControl implements SansIoCore {
  readonly core: TurnServerCore;
  allocations = 0;
  private nextPort = 49152;
  private readonly to = { address: '', port: 0, relayPort: 0 };
  constructor(prng: Prng) {
    this.core = new TurnServerCore({
      secret: SECRET, relayAddress: TURN.address, hmacSha1: nodeHmacSha1, md5: nodeMd5, unixMsAtZero: UNIX_MS_AT_ZERO,
      isMember: () => true, random: (out) => prng.fill(out),
    });
  }
  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): void {
    this.core.handleDatagram(now, from, bytes);
  }
  handleTimeout(now: number): void {
    this.core.handleTimeout(now);
  }
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      if (e.type === 'bindPort') {
        this.allocations++;
        this.core.portBound(now, e.allocation, this.nextPort++);
      }
    }
    // Only the control port's answers go out (nothing is relayed in this world).
    for (let n = this.core.pollTransmit(now, out, this.to); n > 0; n = this.core.pollTransmit(now, out, this.to)) {
      if (this.to.relayPort !== 0) continue;
      to.address = this.to.address;
      to.port = this.to.port;
      return n;
    }
    return 0;
  }
  pollTimeout(): number | undefined {
    return this.core.pollTimeout();
  }
}

/** One agent's link on one socket: LinkMachine + StunClient + (for its mapping) TurnClient + PunchMachine. */
/** A link side that, as LinkRunner does, asks the relay for its mapping when gathering gave no srflx. */
class Link extends SimLinkSide {
  /** The srflx candidate the relay's answer gave, if any. */
  fromRelay: RankedCandidate | undefined;
  private turn: TurnClient | undefined;

  constructor(address: string, port: number, role: LinkRole, signal: SimSignal, prng: Prng, private readonly askRelay: boolean) {
    super(address, port, role, signal, (out) => prng.fill(out));
  }

  /** Host, plus srflx for any STUN answer; then LinkRunner.gather's rule: no srflx and a relay offered → ask the relay. */
  protected override gathered(now: number, e: StunClientEvent): void {
    this.local = [{ kind: 'host', family: 4, address: this.address, port: this.port, priority: HOST_PRIORITY }];
    if (e.type === 'stunSuccess') this.local.push({ kind: 'srflx', family: 4, address: e.mapped.address, port: e.mapped.port, priority: SRFLX_PRIORITY });
    this.link.handleGathered(now, this.local);
    if (this.askRelay && this.link.start.role === 'connect' && wantsRelayMapping(this.local, true, e.type === 'stunSuccess')) {
      const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lobby', String(this.link.start.remoteId), Math.floor(UNIX_MS_AT_ZERO / 1000) + 600, nodeHmacSha1);
      this.turn = new TurnClient({ server: TURN, ...cred, hmacSha1: nodeHmacSha1, md5: nodeMd5, random: this.random });
      this.turn.allocate(now);
    }
  }

  // Demultiplexed by source first, as LinkRouter does: only the server's datagrams are TURN.
  protected override handleExtraDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): boolean {
    if (this.turn === undefined || !this.turn.isFromServer(from)) return false;
    this.turn.handleDatagram(now, from, bytes);
    return true;
  }

  protected override handleExtraTimeout(now: number): void {
    this.turn?.handleTimeout(now);
  }

  protected override extraPollTimeout(): number | undefined {
    return this.turn?.pollTimeout();
  }

  protected override extraPollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    return this.turn?.pollTransmit(now, out, to) ?? 0;
  }

  protected override extraEvents(now: number): boolean {
    let busy = false;
    for (let e = this.turn?.pollEvent(); e !== undefined; e = this.turn?.pollEvent()) {
      busy = true;
      if (e.type !== 'allocated') continue;
      // The mapping is all this allocation was for: it goes at once (Refresh 0).
      this.turn!.close(now);
      this.fromRelay = reflexiveFromRelay(this.local, e.mapped);
      if (this.fromRelay !== undefined) {
        this.local.push(this.fromRelay);
        this.sendCandidates(now, [this.fromRelay]);
      }
    }
    return busy;
  }
}

interface Run {
  readonly connect: LinkOutcome | undefined;
  readonly listen: LinkOutcome | undefined;
  readonly fromRelay: RankedCandidate | undefined;
  readonly stunDropped: number;
  readonly allocations: number;
}

/** a (connect) behind a port-restricted NAT whose STUN Binding requests are dropped; b (listen) behind another. */
function run(seed: number, askRelay: boolean): Run {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: 20, jitterMs: 5, loss: 0 } });
  const driver = new SimDriver(net);
  const A_PUBLIC = '198.51.100.1';
  let stunDropped = 0;
  const out = new Uint8Array(512);
  net.bind(STUN.address, STUN.port, (now, dg) => {
    // a's network drops its Binding requests on the way: they never reach the server.
    if (dg.from.address === A_PUBLIC) {
      stunDropped++;
      return;
    }
    const r = answerBindingRequest(dg.bytes, dg.from, out, {});
    if (r.kind !== 'drop') net.send(now, STUN, dg.from, out.subarray(0, r.length));
  });
  const relay = new SimTurnControl(new Prng(prng.nextUint32()));
  driver.add(relay, TURN.address, TURN.port);
  const signal = new SimSignal();
  driver.add(signal, '203.0.113.200', 1);
  const place = (index: number, publicAddress: string, role: LinkRole): Link => {
    const realm = `lan-${index}`;
    net.addGateway(new NatBox({ insideRealm: realm, publicAddress, prng: new Prng(prng.nextUint32()), ...natPreset('port-restricted') }));
    const link = new Link(`10.0.${index}.2`, 40000, role, signal, new Prng(prng.nextUint32()), askRelay);
    driver.add(link, link.address, link.port, realm);
    return link;
  };
  const a = place(1, A_PUBLIC, 'connect');
  const b = place(2, '198.51.100.2', 'listen');
  a.peer = b;
  b.peer = a;
  a.begin(driver.now);
  b.begin(driver.now);
  driver.runUntil(() => !a.link.isActive && !b.link.isActive, { maxVirtualMs: 30_000 });
  return { connect: a.link.outcome, listen: b.link.outcome, fromRelay: a.fromRelay, stunDropped, allocations: relay.allocations };
}

describe('a link whose STUN Binding requests are dropped, its relay answering (sim, issue 11)', () => {
  for (const seed of [seedFromEnv(11_001), 11_002, 11_003]) {
    it(`links direct through the srflx candidate taken from the Allocate's XOR-MAPPED-ADDRESS (seed ${seed})`, () => {
      const r = run(seed, true);
      expect(r.stunDropped, 'the connect side asked STUN and got nothing').to.be.above(0);
      expect(r.allocations).to.equal(1);
      expect(r.fromRelay).to.deep.include({ kind: 'srflx', address: '198.51.100.1' });
      expect(r.connect, `seed ${seed}: ${JSON.stringify(r.connect)}`).to.deep.include({ ok: true, path: 'direct' });
      expect(r.listen, `seed ${seed}: ${JSON.stringify(r.listen)}`).to.deep.include({ ok: true, path: 'direct' });
      // The peer reached the mapping the relay saw: its one NAT mapping for the socket (RFC 4787 EIM).
      if (r.listen?.ok) expect(r.listen.remote).to.deep.equal({ address: r.fromRelay!.address, port: r.fromRelay!.port });
    });
  }

  it('without asking the relay (as before), the same pair finds no path: the peer knows only a private host address', () => {
    const r = run(11_001, false);
    expect(r.connect?.ok).to.equal(false);
    expect(r.listen?.ok).to.equal(false);
  });
});
