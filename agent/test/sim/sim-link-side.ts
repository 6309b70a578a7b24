// One agent's link on one simulated socket, for the agent's link simulations: the LinkMachine
// (core) drives the nat package's StunClient and PunchMachine, and its candidates reach the peer
// through a SimSignal. The ENet handshake is not simulated: a proven path counts as connected (the
// NAT lab and the e2e tests run the real one). A simulation that adds a source of candidates (a
// TURN Allocate's mapping: stun-dropped.test.ts) extends it through the protected hooks.
import { nodeHmacSha1, PunchMachine, StunClient, type PunchEvent, type RankedCandidate, type StunClientEvent } from '@meshpunch/nat';
import type { SansIoCore } from '@meshpunch/sim';
import { LinkMachine, type LinkRole } from '../../src/core/link-machine.js';
import type { SimSignal } from './sim-signal.js';

/** The simulations' STUN server. */
export const SIM_STUN = { address: '203.0.113.10', port: 3478 };
export const HOST_PRIORITY = 2130706431;
export const SRFLX_PRIORITY = 1694498815;

type Endpoint = { address: string; port: number };
const due = (t: number | undefined, now: number): boolean => t !== undefined && t <= now;

export class SimLinkSide implements SansIoCore {
  readonly link: LinkMachine<RankedCandidate>;
  peer: SimLinkSide | undefined;
  protected readonly stun: StunClient;
  protected punch: PunchMachine | undefined;
  protected local: RankedCandidate[] = [];

  constructor(readonly address: string, readonly port: number, role: LinkRole, private readonly signal: SimSignal, protected readonly random: (out: Uint8Array) => void) {
    this.link = new LinkMachine<RankedCandidate>({ pairId: '7', remoteId: role === 'connect' ? 1 : 2, role, startAt: 500 });
    this.stun = new StunClient({ random, rtoMs: 200, requestCount: 3, lastWaitFactor: 4 });
  }

  begin(now: number): void {
    this.link.begin(now);
    this.act(now);
  }

  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    if (!this.handleExtraDatagram(now, from, bytes) && !this.stun.handleDatagram(now, from, bytes)) this.punch?.handleDatagram(now, from, bytes);
    this.act(now);
  }

  handleTimeout(now: number): void {
    if (due(this.link.pollTimeout(), now)) this.link.handleTimeout(now);
    if (due(this.stun.pollTimeout(), now)) this.stun.handleTimeout(now);
    if (due(this.extraPollTimeout(), now)) this.handleExtraTimeout(now);
    if (this.punch !== undefined && due(this.punch.pollTimeout(), now)) this.punch.handleTimeout(now);
    this.act(now);
  }

  pollTransmit(now: number, out: Uint8Array, to: Endpoint): number {
    for (const n of [this.stun.pollTransmit(now, out, to), this.extraPollTransmit(now, out, to)]) if (n > 0) return n;
    return this.punch?.pollTransmit(now, out, to) ?? 0;
  }

  pollTimeout(): number | undefined {
    const ts = [this.link.pollTimeout(), this.stun.pollTimeout(), this.extraPollTimeout(), this.punch?.pollTimeout()].filter((t): t is number => t !== undefined);
    return ts.length === 0 ? undefined : Math.min(...ts);
  }

  /** Candidates of the peer: the first batch to the machine, later ones (trickled) into the running punch. */
  receiveCandidates(now: number, c: readonly RankedCandidate[]): void {
    if (this.punch !== undefined) for (const x of c) this.punch.addRemoteCandidate(now, x);
    else this.link.handleRemoteCandidates(now, c);
    this.act(now);
  }

  protected sendCandidates(now: number, list: readonly RankedCandidate[]): void {
    const peer = this.peer!;
    const copy = [...list];
    this.signal.send(now, (t) => peer.receiveCandidates(t, copy));
  }

  /** Gathering's answer: host, plus srflx when the mapping differs from it (no NAT: none). */
  protected gathered(now: number, e: StunClientEvent): void {
    const host: RankedCandidate = { kind: 'host', family: 4, address: this.address, port: this.port, priority: HOST_PRIORITY };
    this.local = e.type === 'stunSuccess' && (e.mapped.address !== this.address || e.mapped.port !== this.port)
      ? [host, { kind: 'srflx', family: 4, address: e.mapped.address, port: e.mapped.port, priority: SRFLX_PRIORITY }]
      : [host];
    this.link.handleGathered(now, this.local);
  }

  // Hooks for another core on the socket: true when it took the datagram; its events (true when any).
  protected handleExtraDatagram(_now: number, _from: Endpoint, _bytes: Uint8Array): boolean { return false; }
  protected handleExtraTimeout(_now: number): void {}
  protected extraPollTimeout(): number | undefined { return undefined; }
  protected extraPollTransmit(_now: number, _out: Uint8Array, _to: Endpoint): number { return 0; }
  protected extraEvents(_now: number): boolean { return false; }

  /** Feeds core events into the link machine and performs its actions, until all are quiet. */
  private act(now: number): void {
    for (let guard = 0; guard < 100; guard++) {
      let busy = false;
      for (let e = this.stun.pollEvent(); e !== undefined; e = this.stun.pollEvent()) {
        busy = true;
        this.gathered(now, e);
      }
      if (this.extraEvents(now)) busy = true;
      for (let e: PunchEvent | undefined = this.punch?.pollEvent(); e !== undefined; e = this.punch?.pollEvent()) {
        busy = true;
        if (e.type === 'selected') this.link.handlePunchSucceeded(now, { address: e.selected.address, port: e.selected.port }, e.selected.path);
        if (e.type === 'failed') this.link.handlePunchFailed(now, e.reason);
      }
      for (let a = this.link.pollAction(); a !== undefined; a = this.link.pollAction()) {
        busy = true;
        switch (a.type) {
          case 'gather':
            this.stun.request(now, SIM_STUN);
            break;
          case 'sendCandidates':
            this.sendCandidates(now, a.candidates);
            break;
          case 'punch':
            this.punch = new PunchMachine({
              role: this.link.start.role, pairId: '7', secret: 'sixteen-byte-key', startAt: Math.min(a.startAt, now),
              remoteCandidates: a.remoteCandidates, localCandidates: this.local, random: this.random, hmacSha1: nodeHmacSha1, timeoutMs: 5000,
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
