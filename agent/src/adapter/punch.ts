// The punch for one link (adapter): the nat package's PunchMachine (authenticated STUN probes
// with the pair secret) driven on the link's ENet socket through the CoreDriver.

import { isStunMessage, nodeHmacSha1, nodeRandom, PunchMachine, validateCandidate, type Candidate, type PunchEvent } from '@meshpunch/nat';
import type { Endpoint } from '../core/endpoint.js';
import type { LinkRole, PathKind } from '../core/link-machine.js';
import type { Address, CoreDriver, DrivenCore } from './core-driver.js';
import type { GatheredCandidate } from './gather.js';

/** How a punch ended. */
export type PunchResult = { readonly ok: true; readonly remote: Endpoint; readonly path: PathKind } | { readonly ok: false; readonly detail: string };

/** Inputs of startPunch. */
export interface StartPunchOptions {
  readonly driver: CoreDriver;
  readonly role: LinkRole;
  readonly pairId: string;
  readonly secret: string;
  /** Scheduled start, ms on `now()`'s clock. */
  readonly startAt: number;
  readonly local: readonly GatheredCandidate[];
  readonly remote: readonly GatheredCandidate[];
  readonly timeoutMs: number;
  now(): number;
  onResult(r: PunchResult): void;
}

/** A running punch; `cancel()` stops its probes and keepalives. */
export interface PunchHandle {
  cancel(): void;
}

/** Remote candidates as the punch machine wants them; invalid ones are dropped (hostile input). */
export function toPunchCandidates(list: readonly GatheredCandidate[]): Candidate[] {
  const out: Candidate[] = [];
  for (const c of list) {
    const v = validateCandidate({ type: c.kind === 'relay' ? 'srflx' : c.kind, address: c.address, port: c.port, priority: c.priority > 0 ? c.priority : 1 });
    if (v.ok) out.push(v.candidate);
  }
  return out;
}

/** Adapts the PunchMachine to the driver: it consumes every STUN datagram (ENet never looks like STUN). */
class PunchCore implements DrivenCore<PunchEvent> {
  constructor(readonly machine: PunchMachine) {}
  handleDatagram(now: number, from: Address, bytes: Uint8Array): boolean {
    if (!isStunMessage(bytes)) return false;
    this.machine.handleDatagram(now, from, bytes);
    return true;
  }
  handleTimeout(now: number): void {
    this.machine.handleTimeout(now);
  }
  pollTransmit(now: number, out: Uint8Array, to: Address): number {
    return this.machine.pollTransmit(now, out, to);
  }
  pollTimeout(): number | undefined {
    return this.machine.pollTimeout();
  }
  pollEvent(): PunchEvent | undefined {
    return this.machine.pollEvent();
  }
}

/**
 * Starts probing at `startAt` (or earlier, on the peer's first valid probe). Reports once: the
 * first selected path, or the typed failure (`timeout`, `one-way`, `incompatible-nat`, …).
 * @throws NatError ERR_INVALID_PARAMETER when the pair id or secret is unusable.
 */
export function startPunch(o: StartPunchOptions): PunchHandle {
  const machine = new PunchMachine({
    role: o.role,
    pairId: o.pairId,
    secret: o.secret,
    startAt: Math.max(0, Math.floor(o.startAt)),
    remoteCandidates: toPunchCandidates(o.remote),
    random: nodeRandom,
    hmacSha1: nodeHmacSha1,
    timeoutMs: o.timeoutMs,
  });
  const core = new PunchCore(machine);
  let reported = false;
  o.driver.add(core, (e: PunchEvent) => {
    if (reported) return;
    if (e.type === 'selected') {
      reported = true;
      o.onResult({ ok: true, remote: { address: e.selected.address, port: e.selected.port }, path: e.selected.path });
    } else if (e.type === 'failed') {
      reported = true;
      o.onResult({ ok: false, detail: e.reason });
    }
  });
  return {
    cancel() {
      machine.stop(Math.floor(o.now()));
      o.driver.remove(core);
    },
  };
}
