// Drives sans-IO cores over a SimNet with a virtual clock, in the manner of quinn's test `Pair`:
// deliver due datagrams, fire due timeouts, drain transmits, jump to the next event.
import { SimClock } from './clock.js';
import { SimNet } from './net.js';
import type { Endpoint, MutableEndpoint, SansIoCore } from './endpoint.js';
import { endpointKey } from './endpoint.js';
import { SimError } from './errors.js';

interface Node {
  core: SansIoCore;
  local: Endpoint;
}

export interface RunLimits {
  /** Give up after this much virtual time from the call (ms). */
  maxVirtualMs?: number;
  /** Give up after this many steps. */
  maxSteps?: number;
}

/** Thrown when a run hits a limit; carries the seed and the last trace lines for replay. */
export class SimLimitError extends SimError {
  override readonly name = 'SimLimitError';
  constructor(message: string, readonly seed: number, readonly trace: readonly string[]) {
    super('SIM_LIMIT', `${message} (replay with MESHPUNCH_SEED=${seed})\n  last hops:\n    ${trace.slice(-20).join('\n    ')}`, { seed });
  }
}

/** Biggest datagram a core may emit: UDP's own limit. */
const MAX_DATAGRAM = 65536;
/** Transmits drained from one core per drain call; a core that never stops sending is a bug. */
const MAX_TRANSMITS_PER_DRAIN = 100_000;

export class SimDriver {
  readonly clock: SimClock;
  readonly net: SimNet;
  #nodes: Node[] = [];
  #out = new Uint8Array(MAX_DATAGRAM);
  #to: MutableEndpoint = { address: '', port: 0 };
  steps = 0;

  constructor(net = new SimNet(), clock = new SimClock()) {
    this.net = net;
    this.clock = clock;
  }

  get now(): number {
    return this.clock.now;
  }

  /** Binds `core` at `address:port` and puts the address in `realm`. */
  add(core: SansIoCore, address: string, port: number, realm?: string): void {
    if (realm !== undefined) this.net.addHost(address, realm);
    const node: Node = { core, local: { address, port } };
    this.#nodes.push(node);
    this.net.bind(address, port, (now, dg) => {
      core.handleDatagram(now, dg.from, dg.bytes);
      this.#drain(node);
    });
  }

  /** Unbinds and forgets a core (as if its process died: nothing more is sent or received). */
  remove(core: SansIoCore): void {
    const i = this.#nodes.findIndex((n) => n.core === core);
    if (i < 0) return;
    const [node] = this.#nodes.splice(i, 1);
    this.net.unbind(node!.local.address, node!.local.port);
  }

  /** Drains every core's transmits into the network; call after issuing commands to cores. */
  flush(): void {
    for (const node of this.#nodes) this.#drain(node);
  }

  #drain(node: Node): void {
    for (let i = 0; i < MAX_TRANSMITS_PER_DRAIN; i++) {
      const n = node.core.pollTransmit(this.clock.now, this.#out, this.#to);
      if (n === 0) return;
      this.net.send(this.clock.now, node.local, this.#to, this.#out.subarray(0, n));
    }
    throw new SimError('SIM_RUNAWAY_CORE', `core at ${endpointKey(node.local.address, node.local.port)} emitted over ${MAX_TRANSMITS_PER_DRAIN} datagrams in one drain`);
  }

  /** The earliest pending delivery or core deadline, or undefined when all is idle. */
  nextEventAt(): number | undefined {
    let t = this.net.nextDeliveryAt();
    for (const node of this.#nodes) {
      const d = node.core.pollTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  /** One step: flush, jump to the next event, deliver due datagrams, fire due timeouts. */
  step(): boolean {
    this.flush();
    const t = this.nextEventAt();
    if (t === undefined) return false;
    this.clock.advanceTo(t);
    const now = this.clock.now;
    this.net.deliverDue(now);
    for (const node of this.#nodes) {
      const d = node.core.pollTimeout();
      if (d !== undefined && d <= now) {
        node.core.handleTimeout(now);
        this.#drain(node);
      }
    }
    this.steps++;
    return true;
  }

  /** Steps until `pred()` holds; throws SimLimitError when a limit is reached or all is idle. */
  runUntil(pred: () => boolean, limits: RunLimits = {}): void {
    const maxMs = limits.maxVirtualMs ?? 60_000;
    const maxSteps = limits.maxSteps ?? 10_000_000;
    const deadline = this.clock.now + maxMs;
    for (let i = 0; i < maxSteps; i++) {
      this.flush();
      if (pred()) return;
      const t = this.nextEventAt();
      if (t === undefined) throw this.#limit('simulation went idle before the condition held');
      if (t > deadline) {
        this.clock.advanceTo(deadline);
        if (pred()) return;
        throw this.#limit(`condition not met within ${maxMs} virtual ms`);
      }
      this.step();
    }
    if (pred()) return;
    throw this.#limit(`condition not met within ${maxSteps} steps`);
  }

  /** Advances virtual time by `ms`, processing everything due on the way. */
  runFor(ms: number, maxSteps = 10_000_000): void {
    const until = this.clock.now + ms;
    for (let i = 0; i < maxSteps; i++) {
      this.flush();
      const t = this.nextEventAt();
      if (t === undefined || t > until) {
        this.clock.advanceTo(until);
        return;
      }
      this.step();
    }
    throw this.#limit(`runFor(${ms}) exceeded ${maxSteps} steps`);
  }

  /** Runs until no datagram is queued and no core has a deadline. */
  runUntilIdle(limits: RunLimits = {}): void {
    this.runUntil(() => this.nextEventAt() === undefined, limits);
  }

  #limit(message: string): SimLimitError {
    return new SimLimitError(message, this.net.prng.seed, this.net.traceTail);
  }
}
