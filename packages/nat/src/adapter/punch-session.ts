// Runs the punch state machine on a transport (adapter): the ENet socket via its intercept hook
// and socketSend, or a plain dgram socket. The session keeps the chosen path warm until stopped.
import { EventEmitter } from 'node:events';
import { NatError } from '../errors.js';
import { PunchMachine, type PunchCheckTimeline, type PunchEvent, type PunchPath } from '../core/punch/punch-machine.js';
import type { PunchOptions } from '../core/punch/punch-config.js';
import type { RejectedCandidate } from '../core/candidate-policy.js';
import { CoreRunner } from './core-runner.js';
import { monotonicNow } from '@meshpunch/base';
import { nodeHmacSha1, nodeRandom } from './hmac-sha1.js';
import type { DatagramTransport } from './transport.js';

/** Punch options for the adapter: the clock, randomness and HMAC are supplied here. */
export interface PunchSessionOptions extends Omit<PunchOptions, 'random' | 'hmacSha1' | 'startAt'> {
  /** Start time on `monotonicNow()`'s clock; default now. */
  startAt?: number;
}

/** A running punch. Events: 'selected' | 'nominated' | 'peerReflexive' | 'failed' (the core's PunchEvent). */
export class PunchSession extends EventEmitter {
  readonly machine: PunchMachine;
  /** Resolves with the selected path; rejects with NatError NAT_PUNCH_FAILED (details.reason, details.timeline, details.rejected). */
  readonly result: Promise<PunchPath>;
  #runner: CoreRunner;

  /** @throws NatError ERR_INVALID_PARAMETER for bad options. */
  constructor(transport: DatagramTransport, options: PunchSessionOptions) {
    super();
    this.machine = new PunchMachine({ ...options, startAt: options.startAt ?? monotonicNow(), random: nodeRandom, hmacSha1: nodeHmacSha1 });
    let resolve!: (p: PunchPath) => void;
    let reject!: (e: Error) => void;
    this.result = new Promise<PunchPath>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that only listens to events must not get an unhandled rejection.
    this.result.catch(() => undefined);
    this.#runner = new CoreRunner(transport, this.machine, () => {
      for (let e: PunchEvent | undefined = this.machine.pollEvent(); e; e = this.machine.pollEvent()) {
        if (e.type === 'selected') resolve(e.selected);
        if (e.type === 'failed') {
          reject(new NatError('NAT_PUNCH_FAILED', `punch failed: ${e.reason}`, { reason: e.reason, timeline: this.machine.timeline(), rejected: this.machine.rejectedCandidates() }));
          this.#runner.stop();
        }
        this.emit(e.type, e);
      }
    });
    this.#runner.start();
  }

  /** Per-candidate timeline (times on `monotonicNow()`'s clock). */
  timeline(): PunchCheckTimeline[] {
    return this.machine.timeline();
  }

  /** The peer's candidates that were refused, with the reason (candidate-policy.ts). */
  rejectedCandidates(): readonly RejectedCandidate[] {
    return this.machine.rejectedCandidates();
  }

  /** Stops probing and keepalives and detaches from the transport. */
  stop(): void {
    this.machine.stop(monotonicNow());
    this.#runner.kick();
    this.#runner.stop();
  }
}
